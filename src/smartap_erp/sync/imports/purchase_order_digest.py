"""The database-free part of writing an imported purchase order (issue 17): its amounts in minor
units, the length checks, its lines as rows, and the canonical JSON its `synced_hash` is taken over,
built once per record and ahead of the page's transaction (`PurchaseOrderImport.prepare`).

The hash is `canonical_hash(erp_projection(po, vendor))`, the text `records.canonical_json` gives
(keys sorted, None left out, Decimals as `records.plain` renders them), here written out for the
projection's known shape: about three times cheaper than walking the dict. The projection's last key
is `vendor_id`, the SmartAP vendor the database maps the ERP vendor to, so a digest keeps the text up
to it (`Digest.head`) and `Digest.hash(vendor)` completes it. Any value of an unexpected type takes
`canonical_json` itself, so the text is the reference one whatever the record holds.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import Table

from smartap_erp.db.models import ERPPurchaseOrderLink, PurchaseOrder, PurchaseOrderLine
from smartap_erp.domain.models import ERPPurchaseOrder
from smartap_erp.domain.money import MoneyError, to_minor_units
from smartap_erp.domain.results import RecordError
from smartap_erp.sync.records import canonical_json, plain, too_long

ORDERS: Table = PurchaseOrder.__table__  # type: ignore[assignment]
LINES: Table = PurchaseOrderLine.__table__  # type: ignore[assignment]
MAPPINGS: Table = ERPPurchaseOrderLink.__table__  # type: ignore[assignment]
LINE_FIELDS = (
    "line_number",
    "erp_line_id",
    "description",
    "quantity",
    "unit_price",
    "amount_minor",
    "account_code",
    "item_code",
    "tax_code",
)
_quote = json.encoder.encode_basestring  # how canonical_json quotes a string
_LINE_KEYS = tuple((name, _quote(name) + ":") for name in sorted(LINE_FIELDS))


def erp_projection(po: ERPPurchaseOrder, vendor_id: uuid.UUID) -> dict[str, Any]:
    """The PO as SmartAP stores it (raises MoneyError for an amount its currency cannot hold): what
    `synced_hash` is the canonical hash of (`Digest.hash`)."""
    return {
        "vendor_id": str(vendor_id),
        "po_number": po.po_number,
        "status": po.status.value,
        "order_date": po.order_date.isoformat() if po.order_date else None,
        "currency": po.currency,
        "total_minor": to_minor_units(po.total_amount, po.currency),
        "lines": _lines(po),
    }


def _lines(po: ERPPurchaseOrder) -> list[dict[str, Any]]:
    """The PO's lines as their rows' columns (numbered from 1); raises MoneyError."""
    return [
        {
            "line_number": number,
            "erp_line_id": line.line_id,
            "description": line.description,
            "quantity": line.quantity,
            "unit_price": line.unit_price,
            "amount_minor": to_minor_units(line.amount, po.currency),
            "account_code": line.account_code,
            "item_code": line.item_code,
            "tax_code": line.tax_code,
        }
        for number, line in enumerate(po.line_items, start=1)
    ]


@dataclass(slots=True)
class Digest:
    """One record's database-free work: the record error its amounts or lengths make, or its total,
    its lines (`erp_projection`'s) and the canonical JSON of its projection up to the vendor id."""

    record: ERPPurchaseOrder
    error: RecordError | None = None
    total_minor: int = 0
    lines: list[dict[str, Any]] = field(default_factory=list)
    head: str = ""

    def hash(self, vendor: uuid.UUID) -> str:
        """`canonical_hash(erp_projection(record, vendor))` (the head holds every key before `vendor_id`)."""
        return hashlib.sha256(f'{self.head}"vendor_id":"{vendor}"}}'.encode()).hexdigest()


def digest(record: ERPPurchaseOrder) -> Digest:
    key = record.external_id
    try:
        total, lines = to_minor_units(record.total_amount, record.currency), _lines(record)
    except MoneyError as exc:
        return Digest(record, RecordError(record_id=key, field="amount", message=str(exc)))
    # the checks `too_long` makes before writing, in the projection's order: the PO, then each line
    bad = too_long(ORDERS, {"po_number": record.po_number, "currency": record.currency})
    bad = bad or next((error for error in (too_long(LINES, line) for line in lines) if error), None)
    if bad is not None:
        return Digest(record, bad.model_copy(update={"record_id": key}))
    order_date = f'"order_date":{_text(record.order_date.isoformat())},' if record.order_date else ""
    head = (
        f'{{"currency":{_text(record.currency)},"lines":[{",".join(map(_line_json, lines))}],{order_date}'
        f'"po_number":{_text(record.po_number)},"status":{_text(record.status.value)},'
        f'"total_minor":{_text(total)},'
    )
    return Digest(record, None, total, lines, head)


def _line_json(line: dict[str, Any]) -> str:
    parts = []
    for name, key in _LINE_KEYS:
        value = line[name]
        if value is not None:
            kind = type(value)
            parts.append(key + (_quote(value) if kind is str else _text(value)))
    return "{" + ",".join(parts) + "}"


def _text(value: Any) -> str:
    """`canonical_json(value)` for a projection's scalar, the common types written out."""
    kind = type(value)
    if kind is str:
        return _quote(value)
    if kind is int:
        return int.__repr__(value)
    if kind is Decimal:
        return _decimal(value)
    return canonical_json(value)


_DECIMALS: dict[Decimal, str] = {}  # a page's quantities and prices repeat: each rendered once


def _decimal(value: Decimal) -> str:
    """`_quote(plain(value))`, the same for equal Decimals (`normalize` makes 12.5 and 12.50 one text)."""
    try:
        text = _DECIMALS.get(value)
    except TypeError:  # a signalling NaN cannot be hashed (validated amounts are finite)
        return _quote(plain(value))
    if text is None:
        if len(_DECIMALS) >= 4096:
            _DECIMALS.clear()
        text = _DECIMALS[value] = _quote(plain(value))
    return text


class DigestedPage(list[ERPPurchaseOrder]):
    """A page of POs that iterates as its records (what `ImportRun` asks of a digest), with each
    record's `Digest` by ERP id (the last of repeated ids, as the page writer keeps) and, once
    `PurchaseOrderImport.prepare` has read them, the SmartAP ids of the vendors the page names."""

    def __init__(self, records: Iterable[ERPPurchaseOrder]) -> None:
        super().__init__(records)
        self.digests = {record.external_id: digest(record) for record in self}
        self.vendors: dict[str, uuid.UUID] | None = None
