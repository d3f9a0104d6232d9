"""A small SuiteQL engine over the simulated account: a table (or tables joined), conjunctive WHERE, ORDER BY.

Supports `SELECT <*|col|TO_CHAR(col, 'fmt') [AS alias], ...> FROM <table> [alias] [[LEFT] JOIN <table>
[alias] ON ...]... (suiteql_join.py: columns then read `alias.col`) [WHERE <cond> [AND
<cond>]...] [ORDER BY <col> [ASC|DESC], ...]` where a condition is `col <op> value` (`=`, `<>`, `!=`,
`<`, `<=`, `>`, `>=`), `col IN (v, ...)` or `col IS [NOT] NULL`, and a value is a quoted string, a
number, `TO_TIMESTAMP('2024-05-01 00:00:00', 'YYYY-MM-DD HH24:MI:SS')` or `TO_DATE('2024-05-01',
'YYYY-MM-DD')`. Tables (analytics data source names, netsuite-connector.md §SuiteQL, column names UNCERTAIN
there): `vendor`, `transaction` (type `VendBill` / `PurchOrd` / `VendPymt`), `account`, `salestaxitem` and
`nexttransactionlinelink` (payments applied to bills), `deletedrecord` (deletions.py), `accountingperiod` and
`currency` (periods.py). Keywords and names
are case-insensitive; rows come back
with lower-case keys and every value as a string (booleans `T`/`F`, dates in the default `M/D/YYYY` preference
unless TO_CHAR'ed), null columns omitted (netsuite-connector.md §SuiteQL [N11]); `transaction.status` is
the one-letter code a real account answers (`A` open bill, `B` paid in full, ...; store.py), not the
label. Anything else is refused with NetSuite's "Invalid search query" error rather than guessed at.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from erpsim.netsuite import suiteql_join
from erpsim.netsuite.deletions import COLUMNS as DELETED_COLUMNS
from erpsim.netsuite.deletions import deleted_rows
from erpsim.netsuite.errors import invalid_parameter
from erpsim.netsuite.periods import CURRENCY_COLUMNS, PERIOD_COLUMNS, currency_rows, period_rows
from erpsim.netsuite.store import BILL_STATUS_CODE, PO_STATUS_CODE, NetSuiteStore, Record

_TOKEN = re.compile(
    r"\s*(?:(?P<str>'(?:[^']|'')*')|(?P<num>\d+(?:\.\d+)?)|(?P<name>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)?)"
    r"|(?P<op><>|!=|>=|<=|[=<>(),*]))"
)
_FORMATS = {
    "YYYY-MM-DD HH24:MI:SS": "%Y-%m-%d %H:%M:%S",
    'YYYY-MM-DD"T"HH24:MI:SS': "%Y-%m-%dT%H:%M:%S",
    "YYYY-MM-DD": "%Y-%m-%d",
}
Row = dict[str, Any]


def _fail(why: str) -> Exception:
    return invalid_parameter(
        f"Invalid search query. Detailed unprocessed description follows. {why}", rest=True, path="q"
    )


def _flag(value: bool) -> str:
    return "T" if value else "F"


def _ref_id(ref: dict[str, str] | None) -> str | None:
    return ref["id"] if ref else None


def _vendor_rows(store: NetSuiteStore) -> list[Row]:
    return [
        {
            "id": v["id"],
            "entityid": v["entityId"],
            "companyname": v["companyName"],
            "isperson": _flag(v["isPerson"]),
            "email": v["email"],
            "phone": v["phone"],
            "isinactive": _flag(v["isInactive"]),
            "externalid": v.get("externalId"),
            "currency": _ref_id(v["currency"]),
            "subsidiary": _ref_id(v["subsidiary"]),
            "terms": _ref_id(v["terms"]),
            "lastmodifieddate": v["lastModifiedDate"],
        }
        for v in store.records["vendor"].values()
    ]


def _txn_row(store: NetSuiteStore, txn: Record, kind: str) -> Row:
    row = {
        "id": txn["id"],
        "type": kind,
        "tranid": txn["tranId"],
        "entity": _ref_id(txn["entity"]),
        "trandate": txn["tranDate"],
        "currency": _ref_id(txn["currency"]),
        "memo": txn.get("memo"),
        "externalid": txn.get("externalId"),
        "lastmodifieddate": txn["lastModifiedDate"],
    }
    if kind == "VendBill":
        row.update(
            duedate=txn.get("dueDate"),
            status=BILL_STATUS_CODE[txn["statusRef"]],  # one-letter code (store.py)
            foreigntotal=store.total(txn),
            foreignamountpaid=store.amount_paid(txn),
            foreignamountremaining=store.amount_remaining(txn),
            foreignamountunpaid=store.amount_remaining(txn),  # the analytics name (Prolecto, UNCERTAIN)
        )
    elif kind == "PurchOrd":
        row.update(status=PO_STATUS_CODE[txn["status"]], foreigntotal=store.total(txn))
    else:
        row.update(foreigntotal=txn["total"])
    return row


def _transaction_rows(store: NetSuiteStore) -> list[Row]:
    rows = []
    for record_type, kind in (
        ("purchaseOrder", "PurchOrd"),
        ("vendorBill", "VendBill"),
        ("vendorPayment", "VendPymt"),
    ):
        rows += [_txn_row(store, txn, kind) for txn in store.records[record_type].values()]
    return rows


def _account_rows(store: NetSuiteStore) -> list[Row]:
    return [
        {
            "id": a["id"],
            "acctnumber": a["acctNumber"],
            "accountsearchdisplayname": a["acctName"],
            "fullname": a["name"],
            "accttype": a["acctType"],
            "isinactive": _flag(a["isInactive"]),
            "currency": _ref_id(a["currency"]),
            "lastmodifieddate": a["lastModifiedDate"],
        }
        for a in store.records["account"].values()
    ]


def _tax_rows(store: NetSuiteStore) -> list[Row]:
    return [
        {
            "id": t["id"],
            "itemid": t["itemId"],
            "description": t["description"],
            "rate": t["rate"],
            "isinactive": _flag(t["isInactive"]),
        }
        for t in store.records["taxCode"].values()
    ]


def _link_rows(store: NetSuiteStore) -> list[Row]:
    rows = []
    for payment in store.records["vendorPayment"].values():
        for application in payment["apply"]:
            rows.append(
                {
                    "previousdoc": application["doc"],
                    "nextdoc": payment["id"],
                    "linktype": "Payment",
                    "foreignamount": application["amount"],
                    "linkdate": payment["tranDate"],
                }
            )
    return rows


TABLES: dict[str, Callable[[NetSuiteStore], list[Row]]] = {
    "vendor": _vendor_rows,
    "transaction": _transaction_rows,
    "account": _account_rows,
    "salestaxitem": _tax_rows,
    "nexttransactionlinelink": _link_rows,
    "deletedrecord": deleted_rows,  # deletions.py
    "accountingperiod": period_rows,  # periods.py
    "currency": currency_rows,  # periods.py
}


class _Tokens:
    def __init__(self, text: str) -> None:
        self.items: list[tuple[str, str]] = []
        pos, text = 0, text.strip().rstrip(";")
        while pos < len(text):
            match = _TOKEN.match(text, pos)
            if not match or match.end() == pos:
                raise _fail(f"Syntax error near '{text[pos : pos + 20]}'.")
            kind = match.lastgroup or ""
            self.items.append((kind, match.group(kind)))
            pos = match.end()
            while pos < len(text) and text[pos].isspace():
                pos += 1
        self.pos = 0

    def peek(self) -> str:
        return self.items[self.pos][1].upper() if self.pos < len(self.items) else ""

    def take(self, expected: str | None = None) -> tuple[str, str]:
        if self.pos >= len(self.items):
            raise _fail("Unexpected end of query.")
        kind, value = self.items[self.pos]
        if expected is not None and value.upper() != expected:
            raise _fail(f"Expected {expected} but found '{value}'.")
        self.pos += 1
        return kind, value

    def name(self) -> str:
        kind, value = self.take()
        if kind != "name":
            raise _fail(f"Expected a column name but found '{value}'.")
        return value.lower()


def _literal(tokens: _Tokens) -> Any:
    kind, value = tokens.take()
    if kind == "str":
        return value[1:-1].replace("''", "'")
    if kind == "num":
        return Decimal(value)
    if kind == "name" and value.upper() in ("TO_TIMESTAMP", "TO_DATE"):
        tokens.take("(")
        text, fmt = _literal(tokens), (tokens.take(","), _literal(tokens))[1]
        tokens.take(")")
        pattern = _FORMATS.get(str(fmt))
        try:
            parsed = datetime.strptime(str(text), pattern or "").replace(tzinfo=UTC)
        except ValueError:
            raise _fail(f"Cannot convert '{text}' with format '{fmt}'.") from None
        return parsed if value.upper() == "TO_TIMESTAMP" else parsed.date()
    raise _fail(f"Expected a value but found '{value}'.")


def _comparable(cell: Any, literal: Any) -> tuple[Any, Any]:
    if isinstance(cell, datetime) and isinstance(literal, date) and not isinstance(literal, datetime):
        return cell.date(), literal
    if isinstance(cell, date) and not isinstance(cell, datetime) and isinstance(literal, datetime):
        return cell, literal.date()
    if isinstance(cell, date) != isinstance(literal, date):
        raise _fail("Compare dates with TO_TIMESTAMP(...) or TO_DATE(...).")
    if isinstance(literal, Decimal) and cell is not None:
        return Decimal(str(cell)), literal
    return (str(cell) if cell is not None and not isinstance(cell, date) else cell), literal


_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "=": lambda a, b: a == b,
    "<>": lambda a, b: a != b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}
Condition = Callable[[Row], bool]


def _condition(tokens: _Tokens, columns: set[str]) -> Condition:
    column = tokens.name()
    if column not in columns:
        raise _fail(f"Field '{column}' was not found.")
    keyword = tokens.peek()
    if keyword == "IS":
        tokens.take()
        negate = tokens.peek() == "NOT" and bool(tokens.take())
        tokens.take("NULL")
        return lambda row: (row.get(column) is None) != negate
    if keyword == "IN":
        tokens.take()
        tokens.take("(")
        values = [_literal(tokens)]
        while tokens.peek() == ",":
            tokens.take()
            values.append(_literal(tokens))
        tokens.take(")")
        return lambda row: (
            row.get(column) is not None and any(_OPS["="](*_comparable(row[column], v)) for v in values)
        )
    _, op = tokens.take()
    if op not in _OPS:
        raise _fail(f"Unsupported operator '{op}'.")
    value = _literal(tokens)
    return lambda row: row.get(column) is not None and _OPS[op](*_comparable(row[column], value))


def _render(value: Any, fmt: str | None = None) -> str | None:
    if value is None:
        return None
    if isinstance(value, date):
        if fmt is not None:
            if not isinstance(value, datetime):
                value = datetime(value.year, value.month, value.day, tzinfo=UTC)
            return str(value.strftime(_FORMATS[fmt]))
        return f"{value.month}/{value.day}/{value.year}"  # the default date preference
    return str(value)


def _select_list(tokens: _Tokens) -> list[tuple[str, str, str | None]]:
    """(output name, column, TO_CHAR format or None); empty means `*`."""
    if tokens.peek() == "*":
        tokens.take()
        return []
    items = []
    while True:
        fmt = None
        if tokens.peek() == "TO_CHAR":
            tokens.take()
            tokens.take("(")
            column = tokens.name()
            tokens.take(",")
            fmt = str(_literal(tokens))
            tokens.take(")")
            if fmt not in _FORMATS:
                raise _fail(f"Unsupported TO_CHAR format '{fmt}'.")
        else:
            column = tokens.name()
        alias = column.rsplit(".", 1)[-1]
        if tokens.peek() == "AS":
            tokens.take()
            alias = tokens.name()
        items.append((alias, column, fmt))
        if tokens.peek() != ",":
            return items
        tokens.take()


def run(store: NetSuiteStore, query: str) -> list[Row]:
    """Evaluate `query`; rows in wire form (lower-case keys, string values, nulls omitted)."""
    tokens = _Tokens(query)
    tokens.take("SELECT")
    select = _select_list(tokens)
    tokens.take("FROM")
    table = tokens.name()
    rows, columns = _table(store, table)
    alias = suiteql_join.alias(tokens)
    if alias is not None or suiteql_join.joins_follow(tokens):  # columns become alias.column
        rows, columns = suiteql_join.qualified(rows, columns, alias or table)
        rows, columns = suiteql_join.join(
            tokens, rows, columns, lambda name: _table(store, name), _condition, _fail
        )
    for _, column, _ in select:
        if column not in columns:
            raise _fail(f"Field '{column}' for record '{table}' was not found.")
    conditions: list[Condition] = []
    if tokens.peek() == "WHERE":
        tokens.take()
        conditions.append(_condition(tokens, columns))
        while tokens.peek() == "AND":
            tokens.take()
            conditions.append(_condition(tokens, columns))
    rows = [row for row in rows if all(check(row) for check in conditions)]
    if tokens.peek() == "ORDER":
        tokens.take()
        tokens.take("BY")
        rows = _order(tokens, rows, columns)
    if tokens.pos != len(tokens.items):
        raise _fail(f"Unexpected '{tokens.items[tokens.pos][1]}'.")
    chosen = select or [(c, c, None) for c in sorted(columns)]
    return [
        {alias: text for alias, column, fmt in chosen if (text := _render(row.get(column), fmt)) is not None}
        for row in rows
    ]


def _table(store: NetSuiteStore, table: str) -> tuple[list[Row], set[str]]:
    if table not in TABLES:
        raise _fail(f"Search error occurred: Record '{table}' was not found.")
    return TABLES[table](store), _columns_of(table)


def _order(tokens: _Tokens, rows: list[Row], columns: set[str]) -> list[Row]:
    keys: list[tuple[str, bool]] = []
    while True:
        column = tokens.name()
        if column not in columns:
            raise _fail(f"Field '{column}' was not found.")
        descending = False
        if tokens.peek() in ("ASC", "DESC"):
            descending = tokens.take()[1].upper() == "DESC"
        keys.append((column, descending))
        if tokens.peek() != ",":
            break
        tokens.take()
    for column, descending in reversed(keys):  # stable sorts, last key first
        rows = sorted(rows, key=_key_of(column), reverse=descending)
    return rows


def _key_of(column: str) -> Callable[[Row], tuple[int, Any]]:
    return lambda row: _sort_key(row.get(column))


def _sort_key(value: Any) -> tuple[int, Any]:
    if value is None:
        return (2, "")
    if isinstance(value, str) and value.isdigit():
        return (0, Decimal(value))  # internal ids sort numerically
    if isinstance(value, Decimal | int):
        return (0, Decimal(value))
    if isinstance(value, datetime):
        return (1, value.timestamp())
    if isinstance(value, date):
        return (1, datetime(value.year, value.month, value.day, tzinfo=UTC).timestamp())
    return (3, str(value))


def _columns_of(table: str) -> set[str]:
    """The columns each simulated table exposes."""
    known = {
        "vendor": "id entityid companyname isperson email phone isinactive externalid currency "
        "subsidiary terms lastmodifieddate",
        "transaction": "id type tranid entity trandate duedate status currency memo externalid "
        "lastmodifieddate foreigntotal foreignamountpaid foreignamountremaining foreignamountunpaid",
        "account": "id acctnumber accountsearchdisplayname fullname accttype isinactive currency "
        "lastmodifieddate",
        "salestaxitem": "id itemid description rate isinactive",
        "nexttransactionlinelink": "previousdoc nextdoc linktype foreignamount linkdate",
        "deletedrecord": DELETED_COLUMNS,
        "accountingperiod": PERIOD_COLUMNS,
        "currency": CURRENCY_COLUMNS,
    }
    return set(known[table].split())
