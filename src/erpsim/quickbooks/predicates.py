"""How one QBO query condition and one ORDERBY key are evaluated on one stored record
(quickbooks.md §Query language), and the plain evaluation of a whole WHERE over every record.

Reference properties (`VendorRef`) compare on their value; MetaData times compare as instants (epoch
seconds; a zone-less literal is company-local time); dates as dates; numbers as Decimal; LIKE is
case-insensitive. A literal is coerced to the type of the stored value it is compared with, lazily: an
invalid literal is a 4001 QueryValidationError only when some record reaches the comparison, as
`matches` runs the conditions of a record in order and stops at the first that fails. `scan` and
`sort` are the straightforward evaluation (every record, then a stable sort per ORDERBY key, last key
first); `erpsim.quickbooks.queryplan` serves the same results from indexes and falls back to them.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from erpsim.quickbooks import faults as f
from erpsim.quickbooks.store import COMPANY_TZ, QboStore

DATETIME_PROPS = frozenset({"MetaData.CreateTime", "MetaData.LastUpdatedTime"})
DATE_PROPS = frozenset({"TxnDate", "DueDate", "ExpectedDate", "CompanyStartDate"})
_COMPARE = {"<": operator.lt, ">": operator.gt, "<=": operator.le, ">=": operator.ge}


@dataclass
class Condition:
    prop: str
    op: str
    values: list[Any]
    coerced: dict[type, list[Any]] = field(default_factory=dict)  # per type of the stored value


def instant(value: Any) -> float:
    text = str(value)
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise f.query_validation_error(f"Invalid date/time value: {text}") from None
    if moment.tzinfo is None:  # a zone-less literal is company-local time
        moment = moment.replace(tzinfo=COMPANY_TZ)
    return moment.timestamp()


def as_date(value: Any) -> date:
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        raise f.query_validation_error(f"Invalid date value: {value}") from None


def field_value(store: QboStore, entity: str, record: dict[str, Any], prop: str) -> Any:
    if prop == "MetaData.LastUpdatedTime":
        return store.updated[entity][record["Id"]]
    if prop == "MetaData.CreateTime":
        return instant(record["MetaData"]["CreateTime"])
    value = record.get(prop)
    if isinstance(value, dict):
        value = value.get("value", value.get("Address"))
    return value


def coerce(prop: str, value: Any, sample: Any) -> Any:
    if prop in DATETIME_PROPS:
        return instant(value)
    if prop in DATE_PROPS:
        return as_date(value)
    if isinstance(sample, bool):
        if not isinstance(value, bool):
            return str(value).lower() == "true"
        return value
    if isinstance(sample, Decimal | int) and not isinstance(sample, bool):
        try:
            return Decimal(str(value))
        except InvalidOperation:
            raise f.query_validation_error(f"Invalid number for {prop}: {value}") from None
    if prop == "Id" and str(value).isdigit():
        return int(value)
    return str(value)


def comparable(prop: str, value: Any) -> Any:
    if prop in DATE_PROPS and isinstance(value, str):
        return as_date(value)
    if prop == "Id" and str(value).isdigit():
        return int(value)
    return value


def matches(store: QboStore, entity: str, record: dict[str, Any], cond: Condition) -> bool:
    actual = comparable(cond.prop, field_value(store, entity, record, cond.prop))
    if actual is None:
        return False
    wanted = cond.coerced.get(type(actual))
    if wanted is None:
        wanted = cond.coerced[type(actual)] = [coerce(cond.prop, v, actual) for v in cond.values]
    if cond.op == "LIKE":
        regex = "^" + ".*".join(re.escape(part) for part in str(cond.values[0]).split("%")) + "$"
        return re.match(regex, str(actual), re.IGNORECASE | re.DOTALL) is not None
    try:
        if cond.op in ("=", "IN"):
            return any(actual == w for w in wanted)
        return bool(_COMPARE[cond.op](actual, wanted[0]))
    except TypeError:
        return False


def sort_key(store: QboStore, entity: str, record: dict[str, Any], prop: str) -> tuple[int, Any]:
    value = comparable(prop, field_value(store, entity, record, prop))
    if value is None:
        return (2, "")
    if isinstance(value, str):
        # Ids mix numbers (already ints) and codes (TaxCode "NON"): numbers first, then text.
        return (1, value.lower())
    return (0, value)


def predicate(store: QboStore, entity: str, cond: Condition) -> Callable[[dict[str, Any]], bool]:
    """`matches` for one condition as a function of the record, with shortcuts that give the same
    answer for the common conditions: Active against booleans (a stored bool is compared directly,
    anything else goes through `matches`) and LastUpdatedTime against a valid literal (the store's
    epoch seconds against the literal's, converted once)."""
    if cond.prop == "Active" and cond.op in ("=", "IN") and all(isinstance(v, bool) for v in cond.values):
        wanted = set(cond.values)

        def active(record: dict[str, Any]) -> bool:
            value = record.get("Active")
            if value is True or value is False:
                return value in wanted
            return matches(store, entity, record, cond)

        return active
    if cond.prop == "MetaData.LastUpdatedTime" and cond.op in _COMPARE:
        try:
            moment = instant(cond.values[0])
        except f.QboFault:  # raised by `matches` when (and only if) a record reaches it
            return lambda record: matches(store, entity, record, cond)
        compare, updated = _COMPARE[cond.op], store.updated[entity]
        return lambda record: bool(compare(updated[record["Id"]], moment))
    return lambda record: matches(store, entity, record, cond)


def scan(store: QboStore, entity: str, conditions: list[Condition], rows: Any = None) -> list[dict[str, Any]]:
    """The records (of `rows`, default every stored one, in insertion order) that are not hidden by a
    running batch and meet every condition (evaluated in order, each only if those before held)."""
    rows = store.records[entity].values() if rows is None else rows
    tests = [predicate(store, entity, c) for c in conditions]
    if store.hidden:
        return [r for r in rows if (entity, r["Id"]) not in store.hidden and all(t(r) for t in tests)]
    if len(tests) == 1:
        return list(filter(tests[0], rows))
    return [r for r in rows if all(t(r) for t in tests)]


def _id_key(record: dict[str, Any]) -> tuple[int, Any]:
    """`sort_key` for Id, inlined (the ORDERBY of every paged read)."""
    value: Any = record.get("Id")
    if isinstance(value, dict):
        value = value.get("value", value.get("Address"))
    if str(value).isdigit():
        value = int(value)
    if value is None:
        return (2, "")
    if isinstance(value, str):
        return (1, value.lower())
    return (0, value)


def sort(
    store: QboStore, entity: str, rows: list[dict[str, Any]], order: list[tuple[str, bool]]
) -> list[dict[str, Any]]:
    """`rows` sorted in place by the ORDERBY keys (stable: ties keep their order) and returned."""
    for prop, descending in reversed(order):
        if prop == "Id":
            rows.sort(key=_id_key, reverse=descending)
        else:
            rows.sort(key=lambda r, p=prop: sort_key(store, entity, r, p), reverse=descending)  # type: ignore[misc]
    return rows
