"""Xero's `where` and `order` query mini-languages, parsed and evaluated against stored records.

Xero filters collections with C#-like expressions (xero.md §Where and order): comparisons `== != < > <= >=`,
`AND`/`&&`, `OR`/`||`, `NOT`/`!`, parentheses, string literals in double quotes, numbers, `true`,
`false`, `null`, `Guid("...")`, `DateTime(y, m, d[, h, mi, s])` literals (a date is a literal, never
a quoted string), nested properties (`Contact.ContactID`) and the string helpers `Contains`,
`StartsWith`, `EndsWith`, `ToLower`, `ToUpper`. An unknown property or a malformed expression is a
`WhereError` (rendered as Xero's `QueryParseException`). Records are plain dicts holding Python
values (str, bool, Decimal, date, aware datetime, nested dicts); dates compare with DateTime literals.
`order` is `Field [ASC|DESC][, Field [ASC|DESC]...]`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any

Record = dict[str, Any]
Predicate = Callable[[Record], bool]


class WhereError(ValueError):
    """A `where` or `order` expression Xero would refuse."""


_TOKEN = re.compile(
    r'\s*(?:(?P<str>"(?:[^"\\]|\\.)*")|(?P<num>-?\d+(?:\.\d+)?)|(?P<op>==|!=|<=|>=|&&|\|\||[<>!(),.])'
    r"|(?P<id>[A-Za-z_][A-Za-z0-9_]*))"
)
_KEYWORDS = {"and": "&&", "or": "||", "not": "!"}
_METHODS = {"contains", "startswith", "endswith", "tolower", "toupper"}


@dataclass(frozen=True)
class _Tok:
    kind: str  # str, num, op, id
    text: str


def _tokenize(text: str) -> list[_Tok]:
    tokens: list[_Tok] = []
    pos = 0
    text = text.rstrip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match or match.end() == pos:
            raise WhereError(f"Syntax error at position {pos} in '{text}'")
        kind = match.lastgroup or ""
        value = match.group(kind)
        if kind == "id" and value.lower() in _KEYWORDS:
            tokens.append(_Tok("op", _KEYWORDS[value.lower()]))
        else:
            tokens.append(_Tok(kind, value))
        pos = match.end()
    return tokens


def _as_datetime(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC)
    if isinstance(value, date):
        return datetime.combine(value, time(), UTC)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return Decimal(str(value))
    return value


def _compare(op: str, left: Any, right: Any) -> bool:
    left, right = _as_datetime(left), _as_datetime(right)
    if op == "==":
        return bool(left == right)
    if op == "!=":
        return bool(left != right)
    if left is None or right is None:
        return False
    if type(left) is not type(right) and not (isinstance(left, Decimal) and isinstance(right, Decimal)):
        raise WhereError(f"Operator '{op}' incompatible with operand types")
    if op == "<":
        return bool(left < right)
    if op == ">":
        return bool(left > right)
    if op == "<=":
        return bool(left <= right)
    return bool(left >= right)


def lookup(record: Record, path: Sequence[str]) -> Any:
    """Follow a property path case-insensitively; a missing nested value is None."""
    value: Any = record
    for name in path:
        if not isinstance(value, dict):
            return None
        if name in value:
            value = value[name]
            continue
        folded = {key.lower(): key for key in value}
        value = value.get(folded.get(name.lower(), name))
    return value


Getter = Callable[[Record], Any]


class _Parser:
    def __init__(self, text: str, fields: Collection[str], entity: str) -> None:
        self.tokens = _tokenize(text)
        self.pos = 0
        self.fields = {name.lower() for name in fields}
        self.entity = entity

    def peek(self) -> _Tok | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self, text: str | None = None) -> _Tok:
        tok = self.peek()
        if tok is None or (text is not None and tok.text != text):
            raise WhereError(f"Expected '{text or 'expression'}'")
        self.pos += 1
        return tok

    def parse(self) -> Predicate:
        predicate = self.or_expr()
        if self.peek() is not None:
            raise WhereError(f"Syntax error near '{self.peek().text}'")  # type: ignore[union-attr]
        return predicate

    def or_expr(self) -> Predicate:
        parts = [self.and_expr()]
        while (tok := self.peek()) is not None and tok.text == "||":
            self.take()
            parts.append(self.and_expr())
        return parts[0] if len(parts) == 1 else (lambda r: any(p(r) for p in parts))

    def and_expr(self) -> Predicate:
        parts = [self.not_expr()]
        while (tok := self.peek()) is not None and tok.text == "&&":
            self.take()
            parts.append(self.not_expr())
        return parts[0] if len(parts) == 1 else (lambda r: all(p(r) for p in parts))

    def not_expr(self) -> Predicate:
        tok = self.peek()
        if tok is not None and tok.text == "!":
            self.take()
            inner = self.not_expr()
            return lambda r: not inner(r)
        return self.comparison()

    def comparison(self) -> Predicate:
        tok = self.peek()
        if tok is not None and tok.text == "(":
            self.take()
            inner = self.or_expr()
            self.take(")")
            return inner
        left = self.operand()
        tok = self.peek()
        if tok is not None and tok.text in {"==", "!=", "<", ">", "<=", ">="}:
            op = self.take().text
            right = self.operand()
            return lambda r: _compare(op, left(r), right(r))
        return lambda r: left(r) is True

    def operand(self) -> Getter:
        tok = self.take()
        if tok.kind == "str":
            value = bytes(tok.text[1:-1], "utf-8").decode("unicode_escape")
            return lambda r: value
        if tok.kind == "num":
            number = Decimal(tok.text)
            return lambda r: number
        if tok.kind != "id":
            raise WhereError(f"Syntax error near '{tok.text}'")
        word = tok.text.lower()
        if word in {"true", "false", "null"}:
            constant = {"true": True, "false": False, "null": None}[word]
            return lambda r: constant
        if word == "guid" and self._next_is("("):
            guid = self._guid()
            return lambda r: guid
        if word == "datetime" and self._next_is("("):
            moment = self._datetime()
            return lambda r: moment
        return self._path(tok.text)

    def _next_is(self, text: str) -> bool:
        tok = self.peek()
        return tok is not None and tok.text == text

    def _guid(self) -> str:
        self.take("(")
        tok = self.take()
        self.take(")")
        if tok.kind != "str":
            raise WhereError("Guid() takes a quoted string")
        return tok.text[1:-1].lower()

    def _datetime(self) -> datetime:
        self.take("(")
        parts: list[int] = []
        while True:
            tok = self.take()
            if tok.kind != "num":
                raise WhereError("DateTime() takes integer year, month, day[, hour, minute, second]")
            parts.append(int(tok.text))
            if self.take().text == ")":
                break
        if len(parts) not in (3, 6):
            raise WhereError("DateTime() takes 3 or 6 integers")
        year, month, day, hour, minute, second = [*parts, 0, 0, 0][:6]
        try:
            return datetime(year, month, day, hour, minute, second, tzinfo=UTC)
        except (ValueError, InvalidOperation) as exc:
            raise WhereError(f"Invalid DateTime literal: {exc}") from None

    def _path(self, first: str) -> Getter:
        if first.lower() not in self.fields:
            raise WhereError(f"No property or field '{first}' exists in type '{self.entity}'")
        path = [first]
        getter: Getter = lambda r: lookup(r, path)  # noqa: E731
        while self._next_is("."):
            self.take(".")
            name = self.take().text
            if self._next_is("("):
                getter = self._method(getter, name)
            else:
                path.append(name)
        return getter

    def _method(self, target: Getter, name: str) -> Getter:
        if name.lower() not in _METHODS:
            raise WhereError(f"No applicable method '{name}' exists")
        self.take("(")
        if name.lower() in {"tolower", "toupper"}:
            self.take(")")
            upper = name.lower() == "toupper"
            return lambda r: _case(target(r), upper)
        arg = self.operand()
        self.take(")")
        method = name.lower()

        def call(record: Record) -> bool:
            value, needle = target(record), arg(record)
            if not isinstance(value, str) or not isinstance(needle, str):
                return False
            if method == "contains":
                return needle in value
            return value.startswith(needle) if method == "startswith" else value.endswith(needle)

        return call


def _case(value: Any, upper: bool) -> Any:
    if not isinstance(value, str):
        return value
    return value.upper() if upper else value.lower()


def compile_where(text: str, fields: Collection[str], entity: str) -> Predicate:
    """Compile a `where` expression over records with top-level `fields` of type `entity`."""
    if not text.strip():
        return lambda r: True
    return _Parser(text, fields, entity).parse()


def _sort_key(value: Any) -> tuple[int, Any]:
    value = _as_datetime(value)
    if value is None:
        return (0, "")
    if isinstance(value, bool):
        return (1, int(value))
    if isinstance(value, str):
        return (2, value.lower())
    return (3, value)


def apply_order(records: list[Record], order: str, fields: Collection[str], entity: str) -> list[Record]:
    """Sort by `Field [ASC|DESC], ...` (stable; an unknown field is a WhereError)."""
    known = {name.lower() for name in fields}
    result = list(records)
    clauses = [clause.split() for clause in order.split(",") if clause.strip()]
    for clause in reversed(clauses):
        if len(clause) > 2 or (len(clause) == 2 and clause[1].upper() not in {"ASC", "DESC"}):
            raise WhereError(f"Invalid order clause '{' '.join(clause)}'")
        path = clause[0].split(".")
        if path[0].lower() not in known:
            raise WhereError(f"No property or field '{path[0]}' exists in type '{entity}'")
        descending = len(clause) == 2 and clause[1].upper() == "DESC"
        result.sort(key=lambda r, p=path: _sort_key(lookup(r, p)), reverse=descending)  # type: ignore[misc]
    return result
