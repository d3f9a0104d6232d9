"""The comparison behind a reconciliation report: SmartAP's side of one connection read from its own
tables (the vendors, purchase orders and exported bills this connection maps, with their amounts,
currencies and statuses), set against the ERP's rows (`connectors.reconciliation.ERPSnapshot`) by ERP
id, giving per object the count and the per-currency totals on each side and the differences.

- **vendors, purchase orders**: both directions. An ERP record no mapping names is `missing_in_smartap`
  (SmartAP imports every vendor and purchase order, inactive ones included), a mapped one the ERP no
  longer has is `missing_in_erp`; a status that differs (vendor active/inactive; purchase order
  open/closed/cancelled/draft) is `status_differs`, an amount or currency `amount_differs`.
- **bills**: the bills SmartAP exported on this connection. One the ERP no longer has is
  `missing_in_erp` (unless SmartAP already recorded it voided); a total or currency that differs is
  `amount_differs`; voided on one side only is `status_differs`. Bills entered in the ERP directly are
  no drift: they are counted (`erp_only`) and added to the ERP's totals, not listed.
- **payments**: for each exported bill the ERP has, SmartAP's recorded payment status and paid amount
  against the ERP's (`status_differs` / `amount_differs`); totals are the amounts paid.
Money is Decimal per currency and goes out as decimal strings.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from smartap_erp.connectors.reconciliation import ERPRow, ERPSnapshot, ReconcileObject
from smartap_erp.db.models import (
    ERPInvoiceLink,
    ERPPurchaseOrderLink,
    ERPVendorLink,
    Invoice,
    PurchaseOrder,
    Vendor,
)
from smartap_erp.domain.enums import PaymentStatus
from smartap_erp.domain.money import from_minor_units

MAX_LISTED = 1000  # differences kept in a report; `difference_count` is always the true number


@dataclass(frozen=True)
class Side:
    """SmartAP's rows of one object, keyed by ERP id, in the same shape as the ERP's."""

    rows: dict[str, ERPRow]


async def _linked(
    session: AsyncSession, connection_id: uuid.UUID, link: Any, fk: Any, key: Any, *columns: Any
) -> list[Any]:
    """(`key`, `columns`...) of this connection's `link` rows joined to the SmartAP rows `fk` names."""
    record = columns[0].class_
    query = select(key, *columns).join(record, record.id == fk).where(link.connection_id == connection_id)
    return list((await session.execute(query)).all())


async def smartap_side(session: AsyncSession, connection_id: uuid.UUID) -> dict[ReconcileObject, Side]:
    vl, pl, il, po = ERPVendorLink, ERPPurchaseOrderLink, ERPInvoiceLink, PurchaseOrder
    vendors = await _linked(
        session, connection_id, vl, vl.smartap_vendor_id, vl.erp_vendor_id, Vendor.name, vl.is_active
    )
    orders = await _linked(
        session,
        connection_id,
        pl,
        pl.smartap_po_id,
        pl.erp_po_id,
        po.po_number,
        po.total_minor,
        po.currency,
        po.status,
    )
    bills = await _linked(
        session,
        connection_id,
        il,
        il.smartap_invoice_id,
        il.erp_invoice_id,
        *(Invoice.invoice_number, Invoice.total_minor, Invoice.currency),
        *(il.payment_status, il.payment_amount, il.payment_currency),
    )
    return {
        ReconcileObject.VENDORS: Side(
            {
                key: ERPRow(key, name, "active" if active else "inactive")  # this connection's view
                for key, name, active in vendors
            }
        ),
        ReconcileObject.PURCHASE_ORDERS: Side(
            {
                key: ERPRow(key, number, str(status), from_minor_units(total, currency), currency)
                for key, number, total, currency, status in orders
            }
        ),
        ReconcileObject.BILLS: Side(
            {
                key: ERPRow(
                    key,
                    number,
                    "voided" if paid_status == PaymentStatus.VOIDED else "open",
                    from_minor_units(total, currency),
                    currency,
                )
                for key, number, total, currency, paid_status, _, _ in bills
            }
        ),
        ReconcileObject.PAYMENTS: Side(
            {
                key: ERPRow(
                    key,
                    number,
                    str(paid_status),
                    from_minor_units(paid, paid_currency or currency),
                    paid_currency or currency,
                )
                for key, number, _, currency, paid_status, paid, paid_currency in bills
            }
        ),
    }


def _totals(rows: list[ERPRow]) -> dict[str, str]:
    sums: dict[str, Decimal] = defaultdict(Decimal)
    for row in rows:
        if row.amount is not None and row.currency:
            sums[row.currency] += row.amount
    return {currency: str(total) for currency, total in sorted(sums.items())}


def _figures(rows: list[ERPRow], *, money: bool) -> dict[str, Any]:
    return {"count": len(rows), "totals": _totals(rows) if money else {}}


def _money(row: ERPRow | None) -> dict[str, Any] | None:
    if row is None:
        return None
    return {
        "status": row.status,
        "amount": None if row.amount is None else str(row.amount),
        "currency": row.currency,
    }


def _difference(
    obj: ReconcileObject, kind: str, key: str, ours: ERPRow | None, theirs: ERPRow | None
) -> dict[str, Any]:
    label = (ours.label if ours else None) or (theirs.label if theirs else None)
    return {
        "object": obj.value,
        "kind": kind,
        "erp_id": key,
        "label": label,
        "smartap": _money(ours),
        "erp": _money(theirs),
    }


def _payment_row(row: ERPRow) -> ERPRow:
    """The ERP bill seen as its payment: the paid amount and payment status."""
    return ERPRow(row.key, row.label, row.paid_status or "", row.paid, row.currency)


def _pair(obj: ReconcileObject, ours: ERPRow, theirs: ERPRow) -> str | None:
    """The kind of difference between two rows of the same record, or None."""
    if ours.status != theirs.status:
        return "status_differs"
    if (
        obj is ReconcileObject.PAYMENTS
        and ours.status == PaymentStatus.UNPAID
        and theirs.status == ours.status
    ):
        return None  # nothing paid on either side: a currency never recorded is no difference
    if ours.amount is not None and theirs.amount is not None and ours.amount != theirs.amount:
        return "amount_differs"
    if ours.currency and theirs.currency and ours.currency != theirs.currency:
        return "amount_differs"
    return None


def compare(
    obj: ReconcileObject, ours: Side, erp: ERPSnapshot
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """(the object's summary: each side's count and totals, difference count; its differences)."""
    theirs = {row.key: row for row in erp.rows(obj)}
    money = obj is not ReconcileObject.VENDORS
    found: list[dict[str, Any]] = []
    summary: dict[str, Any] = {}
    if obj in (ReconcileObject.VENDORS, ReconcileObject.PURCHASE_ORDERS):
        erp_rows = list(theirs.values())
        for key in sorted(theirs.keys() - ours.rows.keys()):
            found.append(_difference(obj, "missing_in_smartap", key, None, theirs[key]))
    else:  # bills and payments: SmartAP's exported bills; the ERP's own bills only counted
        if obj is ReconcileObject.PAYMENTS:
            theirs = {k: _payment_row(r) for k, r in theirs.items() if k in ours.rows and r.paid_status}
            erp_rows = list(theirs.values())
        else:
            erp_rows = list(theirs.values())
            summary["erp_only"] = len(theirs.keys() - ours.rows.keys())
    for key in sorted(ours.rows):
        mine, other = ours.rows[key], theirs.get(key)
        if other is None:
            if obj is ReconcileObject.PAYMENTS or (obj is ReconcileObject.BILLS and mine.status == "voided"):
                continue  # a bill gone from the ERP is reported once, under bills
            found.append(_difference(obj, "missing_in_erp", key, mine, None))
        elif kind := _pair(obj, mine, other):
            found.append(_difference(obj, kind, key, mine, other))
    summary.update(
        smartap=_figures(list(ours.rows.values()), money=money),
        erp=_figures(erp_rows, money=money),
        differences=len(found),
    )
    return summary, found
