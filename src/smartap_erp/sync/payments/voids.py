"""Exported bills the ERP voided, cancelled or deleted: their invoices go to review, with the reason.

The payment sync learns of a dead bill three ways: its payment status reads `voided` (QuickBooks
`status: "Voided"`, Xero VOIDED or DELETED, NetSuite Cancelled / Rejected, SAP `Cancelled = tYES`), the
connector's removal feed names it (QuickBooks CDC `Deleted` / `Voided`, NetSuite `DeletedRecord`), or
reading it alone answers "not found" (a QuickBooks or NetSuite bill deleted past the feed's reach).
Each way ends here, in the transaction that records the mapping's `voided` status: the SmartAP invoice
becomes `needs_review` with `review_reason` naming the bill, the ERP and what happened, and `bill.voided`
is raised (`events.record_event`, committed with the change). Nothing is deleted: the mapping keeps the
bill id, so a person sees which bill it was; the invoice is not exported again by itself (it is no longer
approved). A bill is reported once: a voided mapping is no longer an open bill, so later runs skip it.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast

from sqlalchemy import Table, bindparam
from sqlalchemy.ext.asyncio import AsyncSession

from smartap_erp.connectors.removals import ERPRemoval, RemovalKind
from smartap_erp.db.models import Invoice
from smartap_erp.domain.enums import ERPSystem, InvoiceStatus
from smartap_erp.events import record_event

_ERP_NAMES = {
    "quickbooks": "QuickBooks",
    "xero": "Xero",
    "sap": "SAP Business One",
    "netsuite": "NetSuite",
}


def erp_name(system: ERPSystem) -> str:
    return _ERP_NAMES.get(system.value, system.value)


def reason_for(bill_id: str, system: ERPSystem, removal: ERPRemoval | None) -> str:
    """Why the invoice is in review, e.g. "bill 145 was deleted in QuickBooks"."""
    if removal is None:  # read with a void status: the ERPs do not say which of these it was
        how = "was voided, cancelled or deleted"
    elif removal.kind is RemovalKind.DELETED:
        how = "was deleted"
    else:
        how = "was voided"
    when = f" on {removal.removed_at.date().isoformat()}" if removal and removal.removed_at else ""
    return f"bill {bill_id} {how} in {erp_name(system)}{when}; check the invoice before exporting it again"


@dataclass(frozen=True)
class VoidedBill:
    invoice_id: uuid.UUID
    bill_id: str
    reason: str
    kind: str  # "voided" (a void status read) or the removal's kind


async def send_to_review(
    session: AsyncSession, connection_id: uuid.UUID, voided: Sequence[VoidedBill], now: dt.datetime
) -> None:
    """Invoices of `voided` bills to `needs_review` with their reasons, and one `bill.voided` each;
    the caller's transaction commits them with the mappings' new status."""
    if not voided:
        return
    table = cast(Table, Invoice.__table__)
    await session.execute(
        table.update()
        .where(table.c.id == bindparam("invoice_id"))
        .values(status=InvoiceStatus.NEEDS_REVIEW, review_reason=bindparam("reason"), updated_at=now),
        [{"invoice_id": v.invoice_id, "reason": v.reason} for v in voided],
    )
    for bill in voided:
        await record_event(
            session,
            "bill.voided",
            connection_id=connection_id,
            data={
                "invoice_id": str(bill.invoice_id),
                "bill_id": bill.bill_id,
                "how": bill.kind,
                "reason": bill.reason,
            },
            occurred_at=now,
        )
