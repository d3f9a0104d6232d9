"""Request-body checks shared by the QBO write paths (Vendor, Bill, BillPayment).

Each helper raises the `QboFault` the real API answers with (quickbooks.md §Faults): 2020 for a missing
required value, 2500 for a reference to a record that does not exist or is inactive, 2010 for a
malformed property, 5010 for a stale SyncToken, 610 for an update of a record that does not exist.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from erpsim.quickbooks import faults as f
from erpsim.quickbooks.store import QboStore, ref

# Read-only members clients may echo back from a read; QBO ignores them on writes.
READ_ONLY = frozenset(
    {
        "Id",
        "SyncToken",
        "MetaData",
        "domain",
        "sparse",
        "status",
        "TotalAmt",
        "Balance",
        "HomeBalance",
        "HomeTotalAmt",
    }
)


def check_properties(body: dict[str, Any], allowed: frozenset[str], entity: str) -> None:
    """Unknown top-level properties are refused, as the real deserializer does."""
    for key in body:
        if key not in allowed and key not in READ_ONLY:
            raise f.request_error(f"{key} (not a property of {entity})", element=key)


def as_decimal(value: Any, element: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal | str):
        raise f.request_error(f"{element} must be a number", element=element)
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise f.request_error(f"{element} must be a number", element=element) from None
    if not number.is_finite():
        raise f.request_error(f"{element} must be a number", element=element)
    return number


def ref_id(body: dict[str, Any], key: str, *, required: bool, element: str | None = None) -> str | None:
    """The `value` of a reference member `{"value": Id, "name": ...}`."""
    element = element or key
    value = body.get(key)
    if value is None:
        if required:
            raise f.required_param(element)
        return None
    if not isinstance(value, dict) or value.get("value") in (None, ""):
        raise (
            f.required_param(f"{element}.value")
            if isinstance(value, dict)
            else f.request_error(element, element)
        )
    return str(value["value"])


def lookup(
    store: QboStore, entity: str, ident: str, element: str, *, kind: str | None = None, active: bool = True
) -> dict[str, Any]:
    """The referenced record; 2500 Invalid Reference Id if missing or inactive (quickbooks.md §Faults)."""
    record = store.get(entity, ident)
    if record is None or (active and record.get("Active") is False):
        raise f.invalid_reference(kind or entity, ident, element)
    return record


def named_ref(record: dict[str, Any], name_key: str = "Name") -> dict[str, str]:
    return ref(record["Id"], record.get(name_key))


def check_date(value: Any, element: str) -> str:
    """A plain YYYY-MM-DD date (TxnDate, DueDate are dates, quickbooks.md §Entities)."""
    if not isinstance(value, str):
        raise f.request_error(f"{element} must be a date (YYYY-MM-DD)", element=element)
    try:
        return date.fromisoformat(value[:10]).isoformat()
    except ValueError:
        raise f.request_error(f"{element} must be a date (YYYY-MM-DD)", element=element) from None


def check_length(value: Any, element: str, maximum: int) -> str:
    text = str(value)
    if len(text) > maximum:
        raise f.business_validation(
            f"String length is either shorter or longer than supported by specification. "
            f"Min:0 Max:{maximum} supplied length:{len(text)}",
            element=element,
        )
    return text


def for_update(store: QboStore, entity: str, body: dict[str, Any]) -> dict[str, Any]:
    """The record an update names, after the Id and SyncToken checks
    (quickbooks.md §Updates and SyncToken)."""
    ident = body.get("Id")
    if ident in (None, ""):
        raise f.required_param("Id")
    token = body.get("SyncToken")
    if token in (None, ""):
        raise f.required_param("SyncToken")
    record = store.get(entity, ident)
    if record is None:
        raise f.object_not_found(entity, str(ident))
    if str(token) != record["SyncToken"]:
        raise f.stale_object(str(ident))
    return record


def merged_body(record: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
    """Sparse update: stored writable members overlaid by the request's; arrays replaced whole
    (quickbooks.md §Updates and SyncToken)."""
    base = {k: v for k, v in record.items() if k not in READ_ONLY}
    base.update({k: v for k, v in body.items() if k not in READ_ONLY})
    return base
