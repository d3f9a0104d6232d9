"""The database side of payment-status sync, every write set-based.

Reads the connection's open bills (exported, not fully paid: `erp_invoice_mappings` rows whose
payment status is unpaid or partial) and its `payment` cursor; writes the changed statuses (one
executemany per chunk), the invoices' statuses that follow them, the `payment_synced_at` of bills
read and unchanged, and the cursor.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from smartap_erp.db.models import ERPInvoiceLink, ERPSyncCursor, Invoice
from smartap_erp.domain.enums import ERPEntity, InvoiceStatus, PaymentStatus
from smartap_erp.sync.export.common import IN_CHUNK, chunks, insert_for

OPEN_STATUSES = (PaymentStatus.UNPAID, PaymentStatus.PARTIAL)
# The invoice status a bill's payment status puts the SmartAP invoice in (voided bills: `voids.py`).
INVOICE_STATUS = {
    PaymentStatus.UNPAID: InvoiceStatus.EXPORTED,
    PaymentStatus.PARTIAL: InvoiceStatus.PARTIALLY_PAID,
    PaymentStatus.PAID: InvoiceStatus.PAID,
}
_FOLLOWS_PAYMENTS = (InvoiceStatus.EXPORTED, InvoiceStatus.PARTIALLY_PAID, InvoiceStatus.PAID)


@dataclass(frozen=True)
class OpenBill:
    mapping_id: uuid.UUID
    invoice_id: uuid.UUID
    bill_id: str
    status: PaymentStatus
    amount: int
    currency: str | None
    synced_at: dt.datetime | None  # payment status known as of then; None: never read


@dataclass(frozen=True)
class StatusChange:
    bill: OpenBill
    status: PaymentStatus
    amount: int
    currency: str | None


async def open_bills(session: AsyncSession, connection_id: uuid.UUID) -> list[OpenBill]:
    rows = await session.execute(
        select(
            ERPInvoiceLink.id,
            ERPInvoiceLink.smartap_invoice_id,
            ERPInvoiceLink.erp_invoice_id,
            ERPInvoiceLink.payment_status,
            ERPInvoiceLink.payment_amount,
            ERPInvoiceLink.payment_currency,
            ERPInvoiceLink.payment_synced_at,
        )
        .where(
            ERPInvoiceLink.connection_id == connection_id,
            ERPInvoiceLink.payment_status.in_(OPEN_STATUSES),
        )
        .order_by(ERPInvoiceLink.id)
    )
    return [OpenBill(*row) for row in rows]


async def cursor_time(session: AsyncSession, connection_id: uuid.UUID) -> dt.datetime | None:
    return await session.scalar(
        select(ERPSyncCursor.cursor_time).where(
            ERPSyncCursor.connection_id == connection_id, ERPSyncCursor.entity_type == ERPEntity.PAYMENT
        )
    )


async def save_cursor(session: AsyncSession, connection_id: uuid.UUID, signpost: dt.datetime) -> None:
    table = cast(Table, ERPSyncCursor.__table__)
    statement = insert_for(session, table)
    statement = statement.on_conflict_do_update(
        index_elements=[table.c.connection_id, table.c.entity_type],
        set_={"cursor_time": signpost, "updated_at": signpost},
    )
    await session.execute(
        statement,
        {
            "id": uuid.uuid4(),
            "connection_id": connection_id,
            "entity_type": ERPEntity.PAYMENT,
            "cursor_time": signpost,
            "created_at": signpost,
            "updated_at": signpost,
        },
    )


async def apply_changes(session: AsyncSession, changes: Sequence[StatusChange], now: dt.datetime) -> None:
    """New payment statuses of `changes` and the invoice statuses that follow; the caller commits."""
    if not changes:
        return
    table = cast(Table, ERPInvoiceLink.__table__)
    await session.execute(
        table.update()
        .where(table.c.id == bindparam("mapping_id"))
        .values(
            payment_status=bindparam("new_status"),
            payment_amount=bindparam("new_amount"),
            payment_currency=bindparam("new_currency"),
            payment_synced_at=now,
            updated_at=now,
        ),
        [
            {
                "mapping_id": c.bill.mapping_id,
                "new_status": c.status,
                "new_amount": c.amount,
                "new_currency": c.currency,
            }
            for c in changes
        ],
    )
    for payment_status, invoice_status in INVOICE_STATUS.items():
        ids = [c.bill.invoice_id for c in changes if c.status == payment_status]
        if ids:
            await session.execute(
                update(Invoice)
                .where(Invoice.id.in_(ids), Invoice.status.in_(_FOLLOWS_PAYMENTS))
                .values(status=invoice_status, updated_at=now)
                .execution_options(synchronize_session=False)
            )


async def mark_read(session: AsyncSession, mapping_ids: Sequence[uuid.UUID], now: dt.datetime) -> None:
    """Bills read and found unchanged: their status is known as of `now`."""
    for part in chunks(mapping_ids, IN_CHUNK):
        await session.execute(
            update(ERPInvoiceLink)
            .where(ERPInvoiceLink.id.in_(part))
            .values(payment_synced_at=now)
            .execution_options(synchronize_session=False)
        )
