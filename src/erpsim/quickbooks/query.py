"""The QBO query language subset (quickbooks.md §Query language): a tokenizer, a parser and `run`.

    SELECT * | COUNT(*) | prop[, prop...] FROM Entity
      [WHERE prop op value [AND prop op value ...]]      op: = < > <= >= IN (v, ...) LIKE '%x%'
      [ORDERBY prop [ASC|DESC][, ...]]  [STARTPOSITION n] [MAXRESULTS n]

Keywords are case-insensitive, entity names case-sensitive (quickbooks.md §Query language), property names
matched without regard to case. Strings are single-quoted with `\\'` escapes. OR, JOIN, GROUP BY and unknown
tokens are parse errors (4000 QueryParserError); an unknown entity or property, MAXRESULTS over 1000 or a bad
STARTPOSITION are validation errors (4001 QueryValidationError, [Q5]). Column lists are accepted but full
objects are returned (quickbooks.md §Query language). Reference properties (`VendorRef`) compare on their
value; MetaData times compare as instants. Name-list entities (those with `Active`) return only active records
unless the WHERE clause mentions Active: standard QBO behaviour, not in Intuit's docs. LIKE is
case-insensitive here (not documented either way). Conditions are evaluated by `predicates`, and
`queryplan` serves COUNTs and pages from indexes kept between writes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from erpsim.quickbooks import faults as f
from erpsim.quickbooks.predicates import DATETIME_PROPS, Condition
from erpsim.quickbooks.queryplan import count as planned_count
from erpsim.quickbooks.queryplan import page as planned_page
from erpsim.quickbooks.store import ENTITIES, QboStore

MAX_RESULTS, DEFAULT_RESULTS = 1000, 100
_TOKEN = re.compile(
    r"""\s*(?:(?P<string>'(?:\\.|[^'\\])*')|(?P<number>-?\d+(?:\.\d+)?)(?![\w.])
    |(?P<op><=|>=|!=|<>|=|<|>)|(?P<punct>[(),*])|(?P<word>[A-Za-z_][A-Za-z0-9_.]*))""",
    re.X,
)
_FORBIDDEN = {"OR", "JOIN", "GROUP", "HAVING", "UNION", "NOT"}

QUERYABLE: dict[str, set[str]] = {
    "Vendor": {
        "Id",
        "SyncToken",
        "DisplayName",
        "CompanyName",
        "GivenName",
        "FamilyName",
        "PrintOnCheckName",
        "Active",
        "Balance",
        "AcctNum",
        "Vendor1099",
        "CurrencyRef",
        "TermRef",
        "PrimaryEmailAddr",
    },
    "PurchaseOrder": {
        "Id",
        "SyncToken",
        "DocNumber",
        "TxnDate",
        "DueDate",
        "VendorRef",
        "POStatus",
        "TotalAmt",
        "CurrencyRef",
        "APAccountRef",
    },
    "Bill": {
        "Id",
        "SyncToken",
        "DocNumber",
        "TxnDate",
        "DueDate",
        "VendorRef",
        "TotalAmt",
        "Balance",
        "CurrencyRef",
        "APAccountRef",
    },
    "BillPayment": {
        "Id",
        "SyncToken",
        "DocNumber",
        "TxnDate",
        "VendorRef",
        "TotalAmt",
        "PayType",
        "CurrencyRef",
    },
    "Account": {
        "Id",
        "SyncToken",
        "Name",
        "AcctNum",
        "AccountType",
        "AccountSubType",
        "Classification",
        "Active",
        "SubAccount",
        "FullyQualifiedName",
        "CurrentBalance",
        "CurrencyRef",
    },
    "TaxCode": {"Id", "SyncToken", "Name", "Active", "Taxable", "TaxGroup"},
    "TaxRate": {"Id", "SyncToken", "Name", "Active", "RateValue"},
    "Term": {"Id", "SyncToken", "Name", "Active", "DueDays", "Type"},
    "CompanyInfo": {"Id", "SyncToken", "CompanyName", "Country"},
    "Item": {"Id", "SyncToken", "Name", "Active", "Type", "FullyQualifiedName"},
}
for _props in QUERYABLE.values():
    _props.update(DATETIME_PROPS)

__all__ = ["QUERYABLE", "Condition", "Query", "parse", "run"]


@dataclass
class Query:
    entity: str
    count: bool = False
    where: list[Condition] = field(default_factory=list)
    order: list[tuple[str, bool]] = field(default_factory=list)  # (prop, descending)
    start: int = 1
    max_results: int = DEFAULT_RESULTS


class _Tokens:
    def __init__(self, text: str) -> None:
        self.items: list[tuple[str, str, int]] = []
        pos = 0
        while pos < len(text):
            match = _TOKEN.match(text, pos)
            if match is None or match.end() == pos:
                if text[pos:].strip() == "":
                    break
                raise f.query_parser_error(
                    f"Invalid content. Lexical error at line 1, column {pos + 1}. Encountered: {text[pos]!r}"
                )
            kind = match.lastgroup or ""
            self.items.append((kind, match.group(kind), match.start(kind) + 1))
            pos = match.end()
        self.index = 0

    def peek(self) -> tuple[str, str, int] | None:
        return self.items[self.index] if self.index < len(self.items) else None

    def keyword(self, *words: str) -> bool:
        token = self.peek()
        if token and token[0] == "word" and token[1].upper() in words:
            self.index += 1
            return True
        return False

    def take(self, what: str) -> tuple[str, str, int]:
        token = self.peek()
        if token is None:
            raise f.query_parser_error(f'Encountered "<EOF>" at end of query. Was expecting: {what}')
        if token[0] == "word" and token[1].upper() in _FORBIDDEN:
            raise f.query_parser_error(
                f'Encountered " <{token[1].upper()}> "{token[1]} "" at line 1, column '
                f"{token[2]}. {token[1].upper()} is not supported."
            )
        self.index += 1
        return token

    def unexpected(self, expected: str) -> f.QboFault:
        token = self.peek()
        if token is None:
            return f.query_parser_error(f'Encountered "<EOF>". Was expecting: {expected}')
        return f.query_parser_error(
            f'Encountered "{token[1]}" at line 1, column {token[2]}. Was expecting: {expected}'
        )


def parse(text: str) -> Query:
    """Parse a statement; raises QboFault 4000 / 4001 as the real parser and validator do."""
    if not text or not text.strip():
        raise f.query_parser_error("The query provided was empty")
    tokens = _Tokens(text)
    if not tokens.keyword("SELECT"):
        raise tokens.unexpected('"select"')
    count = _projection(tokens)
    if not tokens.keyword("FROM"):
        raise tokens.unexpected('"from"')
    entity = tokens.take("an entity name")[1]
    if entity not in ENTITIES:
        raise f.query_validation_error(f"Invalid entity name: {entity}")
    query = Query(entity, count=count)
    if tokens.keyword("WHERE"):
        query.where = _conditions(tokens, entity)
    _tail(tokens, query)
    if tokens.peek() is not None:
        tokens.take("end of query")  # forbidden keywords get their own message
        raise f.query_parser_error(
            f'Encountered "{tokens.items[tokens.index - 1][1]}" at line 1, column '
            f"{tokens.items[tokens.index - 1][2]}. Was expecting: <EOF>"
        )
    return query


def _projection(tokens: _Tokens) -> bool:
    if tokens.keyword("COUNT"):
        for expected in ("(", "*", ")"):
            if tokens.take(expected)[1] != expected:
                raise tokens.unexpected(expected)
        return True
    first = tokens.take('"*" or a property')
    if first[1] == "*":
        return False
    if first[0] != "word":
        raise f.query_parser_error(f'Encountered "{first[1]}" at line 1, column {first[2]}.')
    while tokens.peek() and tokens.peek()[1] == ",":  # type: ignore[index]
        tokens.take(",")
        tokens.take("a property")
    return False


def _property(tokens: _Tokens, entity: str) -> str:
    kind, word, column = tokens.take("a property name")
    if kind != "word":
        raise f.query_parser_error(
            f'Encountered "{word}" at line 1, column {column}. Was expecting a property'
        )
    canonical = {p.lower(): p for p in QUERYABLE[entity]}.get(word.lower())
    if canonical is None:
        raise f.query_validation_error(f"property '{word}' is not queryable for entity '{entity}'")
    return canonical


def _value(tokens: _Tokens) -> Any:
    kind, text, column = tokens.take("a value")
    if kind == "string":
        return re.sub(r"\\(.)", r"\1", text[1:-1])
    if kind == "number":
        return Decimal(text)
    if kind == "word" and text.lower() in ("true", "false"):
        return text.lower() == "true"
    raise f.query_parser_error(f'Encountered "{text}" at line 1, column {column}. Was expecting a value')


def _conditions(tokens: _Tokens, entity: str) -> list[Condition]:
    conditions = []
    while True:
        prop = _property(tokens, entity)
        if tokens.keyword("IN"):
            if tokens.take("(")[1] != "(":
                raise tokens.unexpected("(")
            values = [_value(tokens)]
            while tokens.peek() and tokens.peek()[1] == ",":  # type: ignore[index]
                tokens.take(",")
                values.append(_value(tokens))
            if tokens.take(")")[1] != ")":
                raise tokens.unexpected(")")
            conditions.append(Condition(prop, "IN", values))
        elif tokens.keyword("LIKE"):
            pattern = _value(tokens)
            if not isinstance(pattern, str):
                raise f.query_validation_error("LIKE needs a string pattern")
            conditions.append(Condition(prop, "LIKE", [pattern]))
        else:
            kind, op, column = tokens.take("an operator")
            if kind != "op" or op in ("!=", "<>"):
                raise f.query_parser_error(
                    f'Encountered "{op}" at line 1, column {column}. '
                    f"Was expecting one of: = < > <= >= IN LIKE"
                )
            conditions.append(Condition(prop, op, [_value(tokens)]))
        if not tokens.keyword("AND"):
            return conditions


def _tail(tokens: _Tokens, query: Query) -> None:
    if tokens.keyword("ORDERBY") or (tokens.keyword("ORDER") and tokens.keyword("BY")):
        while True:
            prop = _property(tokens, query.entity)
            descending = tokens.keyword("DESC")
            if not descending:
                tokens.keyword("ASC")
            query.order.append((prop, descending))
            if not (tokens.peek() and tokens.peek()[1] == ","):  # type: ignore[index]
                break
            tokens.take(",")
    seen: set[str] = set()
    while True:
        for word in ("STARTPOSITION", "MAXRESULTS"):
            if word not in seen and tokens.keyword(word):
                seen.add(word)
                number = tokens.take("a number")
                if number[0] != "number" or "." in number[1]:
                    raise f.query_parser_error(f'Encountered "{number[1]}" at line 1, column {number[2]}.')
                _paging(query, word, int(number[1]))
                break
        else:
            return


def _paging(query: Query, word: str, value: int) -> None:
    if word == "MAXRESULTS":
        if value > MAX_RESULTS:  # message per [Q5]
            raise f.query_validation_error(f"value {value} is too large. Max allowed value is {MAX_RESULTS}")
        if value < 1:
            raise f.query_validation_error(f"value {value} is too small. Min allowed value is 1")
        query.max_results = value
    else:
        if value < 1:
            raise f.query_validation_error(f"STARTPOSITION value {value} is invalid. Min allowed value is 1")
        query.start = value


# ---- execution ------------------------------------------------------------------------------------


def run(store: QboStore, query: Query) -> dict[str, Any]:
    """The `QueryResponse` object for a parsed query (quickbooks.md §Query language response shape)."""
    conditions = list(query.where)
    if "Active" in QUERYABLE[query.entity] and not any(c.prop == "Active" for c in conditions):
        conditions.append(Condition("Active", "=", [True]))
    if query.count:
        return {"totalCount": planned_count(store, query.entity, conditions)}
    page = planned_page(store, query.entity, conditions, query.order, query.start - 1, query.max_results)
    if not page:
        return {}
    return {query.entity: page, "startPosition": query.start, "maxResults": len(page)}
