"""The database side of invoice export, every write set-based and one transaction per batch.

Reads: which invoices to export, and for one batch the invoices with their lines and vendors, the
vendor / purchase-order / PO-line references and the connection's export field mappings. Writes:
the outbox rows (upserted before the ERP is called, one deterministic idempotency key per
connection and invoice, reused by every retry), the outcome of a call (mapping rows, outbox
confirmed, invoice status exported; or outbox failed with the ERP's reason), and the `sent` state
of a batch whose call ended without an answer. Each outcome raises its event (invoice.exported,
invoice.export_failed, invoice.needs_review) in the same transaction.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, bindparam, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from smartap_erp.connectors.models import ExportResult
from smartap_erp.db.models import (
    ERPExportOutbox,
    ERPInvoiceLink,
    ERPPurchaseOrderLink,
    ERPVendorLink,
    ExportState,
    Invoice,
    PurchaseOrderLine,
)
from smartap_erp.domain.enums import ERPEntity, InvoiceStatus, PaymentStatus
from smartap_erp.events import engine as raised
from smartap_erp.mappings.apply import CompiledRule
from smartap_erp.sync.export.build import ExportRefs
from smartap_erp.sync.export.common import IN_CHUNK, chunks, insert_for
from smartap_erp.sync.records import load_rules

_KEY_NAMESPACE = uuid.UUID("5b0f3f0e-9a52-4c55-8a1e-6f1d2c7e4b21")


def idempotency_key(connection_id: uuid.UUID, invoice_id: uuid.UUID) -> str:
    """The export's key: the same for every attempt of one invoice on one connection (36 chars)."""
    return str(uuid.uuid5(_KEY_NAMESPACE, f"{connection_id}:{invoice_id}"))


async def pending_invoice_ids(session: AsyncSession, connection_id: uuid.UUID) -> list[uuid.UUID]:
    """Approved invoices of the connection's mapped vendors with no bill in this ERP yet."""
    mapped_vendors = select(ERPVendorLink.smartap_vendor_id).where(
        ERPVendorLink.connection_id == connection_id
    )
    exported = select(ERPInvoiceLink.smartap_invoice_id).where(ERPInvoiceLink.connection_id == connection_id)
    rows = await session.scalars(
        select(Invoice.id)
        .where(
            Invoice.status == InvoiceStatus.APPROVED,
            Invoice.vendor_id.in_(mapped_vendors),
            Invoice.id.not_in(exported),
        )
        .order_by(Invoice.invoice_date, Invoice.id)
    )
    return list(rows)


@dataclass
class Batch:
    invoices: list[Invoice]
    missing: list[uuid.UUID]  # asked for, but no such invoice
    mapped: dict[uuid.UUID, str]  # already exported on this connection: invoice id -> ERP bill id
    refs: ExportRefs


async def load_batch(
    session: AsyncSession, connection_id: uuid.UUID, ids: Sequence[uuid.UUID], rules: Sequence[CompiledRule]
) -> Batch:
    found = list(
        await session.scalars(
            select(Invoice)
            .where(Invoice.id.in_(ids))
            .options(selectinload(Invoice.lines), selectinload(Invoice.vendor))
        )
    )
    by_id = {invoice.id: invoice for invoice in found}
    invoices = [by_id[i] for i in ids if i in by_id]
    missing = [i for i in ids if i not in by_id]
    mapped: dict[uuid.UUID, str] = await _pairs(
        session,
        select(ERPInvoiceLink.smartap_invoice_id, ERPInvoiceLink.erp_invoice_id).where(
            ERPInvoiceLink.connection_id == connection_id, ERPInvoiceLink.smartap_invoice_id.in_(ids)
        ),
    )
    vendors: dict[uuid.UUID, str] = await _pairs(
        session,
        select(ERPVendorLink.smartap_vendor_id, ERPVendorLink.erp_vendor_id).where(
            ERPVendorLink.connection_id == connection_id,
            ERPVendorLink.smartap_vendor_id.in_({i.vendor_id for i in invoices}),
        ),
    )
    po_ids = {i.purchase_order_id for i in invoices if i.purchase_order_id}
    purchase_orders: dict[uuid.UUID, str] = await _pairs(
        session,
        select(ERPPurchaseOrderLink.smartap_po_id, ERPPurchaseOrderLink.erp_po_id).where(
            ERPPurchaseOrderLink.connection_id == connection_id,
            ERPPurchaseOrderLink.smartap_po_id.in_(po_ids),
        ),
    )
    line_ids = {ln.purchase_order_line_id for i in invoices for ln in i.lines if ln.purchase_order_line_id}
    po_lines: dict[uuid.UUID, str] = await _pairs(
        session,
        select(PurchaseOrderLine.id, PurchaseOrderLine.erp_line_id).where(
            PurchaseOrderLine.id.in_(line_ids), PurchaseOrderLine.erp_line_id.is_not(None)
        ),
    )
    refs = ExportRefs(vendors=vendors, purchase_orders=purchase_orders, po_lines=po_lines, rules=rules)
    return Batch(invoices, missing, mapped, refs)


async def _pairs(session: AsyncSession, statement: Any) -> dict[Any, Any]:
    return {key: value for key, value in await session.execute(statement)}


async def export_rules(session: AsyncSession, connection_id: uuid.UUID) -> list[CompiledRule]:
    """The connection's invoice field mappings, checked against its ERP's field catalogue and compiled."""
    return await load_rules(session, connection_id, ERPEntity.INVOICE)


async def write_pending(
    session: AsyncSession, connection_id: uuid.UUID, invoice_ids: Sequence[uuid.UUID], now: dt.datetime
) -> dict[uuid.UUID, dt.datetime]:
    """Upsert the batch's outbox rows as `pending` (a retry reuses its row and key, attempts + 1).

    Returns each invoice's `sent_at`: when its first attempt was about to call the ERP, so no bill
    for it can have existed, or been paid, before that moment.
    """
    table = ERPExportOutbox.__table__
    statement = insert_for(session, table)
    rows = [
        {
            "id": uuid.uuid4(),
            "connection_id": connection_id,
            "smartap_invoice_id": invoice_id,
            "idempotency_key": idempotency_key(connection_id, invoice_id),
            "state": ExportState.PENDING,
            "attempts": 1,
            "sent_at": now,
            "created_at": now,
            "updated_at": now,
        }
        for invoice_id in invoice_ids
    ]
    statement = statement.on_conflict_do_update(
        index_elements=[table.c.connection_id, table.c.smartap_invoice_id],
        set_={
            "state": ExportState.PENDING,
            "attempts": table.c.attempts + 1,
            "sent_at": func.coalesce(table.c.sent_at, statement.excluded.sent_at),
            "last_error": None,
            "updated_at": now,
        },
    )
    await session.execute(statement, rows)
    sent = await session.execute(
        select(ERPExportOutbox.smartap_invoice_id, ERPExportOutbox.sent_at).where(
            ERPExportOutbox.connection_id == connection_id,
            ERPExportOutbox.smartap_invoice_id.in_(invoice_ids),
        )
    )
    return {invoice_id: sent_at or now for invoice_id, sent_at in sent}


async def mark_unanswered(
    session: AsyncSession,
    connection_id: uuid.UUID,
    invoice_ids: Sequence[uuid.UUID],
    reason: str,
    now: dt.datetime,
) -> None:
    """The call went out and no answer came back: the ERP may have the bills (`sent`)."""
    for part in chunks(invoice_ids, IN_CHUNK):
        await session.execute(
            update(ERPExportOutbox)
            .where(
                ERPExportOutbox.connection_id == connection_id, ERPExportOutbox.smartap_invoice_id.in_(part)
            )
            .values(state=ExportState.SENT, last_error=reason[:2000], updated_at=now)
        )


async def taken_bills(
    session: AsyncSession, connection_id: uuid.UUID, bill_ids: Sequence[str]
) -> dict[str, uuid.UUID]:
    """ERP bills already linked to some SmartAP invoice on this connection: bill id -> invoice id."""
    if not bill_ids:
        return {}
    rows = await session.execute(
        select(ERPInvoiceLink.erp_invoice_id, ERPInvoiceLink.smartap_invoice_id).where(
            ERPInvoiceLink.connection_id == connection_id, ERPInvoiceLink.erp_invoice_id.in_(bill_ids)
        )
    )
    return {key: value for key, value in rows}


@dataclass(frozen=True)
class Confirmed:
    invoice: Invoice
    result: ExportResult
    sent_at: dt.datetime


async def confirm(
    session: AsyncSession,
    connection_id: uuid.UUID,
    confirmed: Sequence[Confirmed],
    *,
    by: str,
    now: dt.datetime,
) -> None:
    """Mapping rows, outbox confirmed and invoices exported: the caller commits them together.

    A bill the export created cannot have been paid before its first attempt was sent, so its
    payment status is known (unpaid) as of `sent_at`; a bill that already existed (found by the
    ERP's idempotency lookup) has an unknown one (`payment_synced_at` None) until payment sync reads it.
    """
    if not confirmed:
        return
    table = ERPInvoiceLink.__table__
    rows = [
        {
            "id": uuid.uuid4(),
            "connection_id": connection_id,
            "smartap_invoice_id": c.invoice.id,
            "erp_invoice_id": c.result.external_id,
            "erp_invoice_number": c.result.external_number,
            "exported_at": now,
            "exported_by": by,
            "payment_status": PaymentStatus.UNPAID,
            "payment_amount": 0,
            "payment_currency": c.invoice.currency,
            "payment_synced_at": c.sent_at if c.result.created else None,
            "created_at": now,
            "updated_at": now,
        }
        for c in confirmed
    ]
    statement = insert_for(session, table).on_conflict_do_nothing(
        index_elements=[table.c.connection_id, table.c.smartap_invoice_id]
    )
    await session.execute(statement, rows)
    outbox = cast(Table, ERPExportOutbox.__table__)
    await session.execute(
        outbox.update()
        .where(
            outbox.c.connection_id == connection_id, outbox.c.smartap_invoice_id == bindparam("invoice_id")
        )
        .values(
            state=ExportState.CONFIRMED,
            erp_invoice_id=bindparam("bill_id"),
            confirmed_at=now,
            last_error=None,
            updated_at=now,
        ),
        [{"invoice_id": c.invoice.id, "bill_id": c.result.external_id} for c in confirmed],
    )
    await session.execute(
        update(Invoice)
        .where(
            Invoice.id.in_([c.invoice.id for c in confirmed]),
            Invoice.status.in_((InvoiceStatus.APPROVED, InvoiceStatus.NEEDS_REVIEW)),
        )
        .values(status=InvoiceStatus.EXPORTED, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    raised.invoices_exported(session, connection_id, confirmed)  # invoice.exported


async def mark_failed(
    session: AsyncSession,
    connection_id: uuid.UUID,
    failures: Sequence[tuple[uuid.UUID, str]],
    now: dt.datetime,
    bills: Mapping[uuid.UUID, str] | None = None,
) -> None:
    """Outbox rows the ERP refused: `failed` with its reason; a person fixes the invoice and retries.
    `bills` (invoice id -> ERP bill id) records the bill of those whose bill exists (review)."""
    if not failures:
        return
    table = cast(Table, ERPExportOutbox.__table__)
    values: dict[str, Any] = {
        "state": ExportState.FAILED,
        "last_error": bindparam("reason"),
        "updated_at": now,
    }
    if bills is not None:
        values["erp_invoice_id"] = bindparam("bill_id")
    await session.execute(
        table.update()
        .where(table.c.connection_id == connection_id, table.c.smartap_invoice_id == bindparam("invoice_id"))
        .values(**values),
        [
            {"invoice_id": i, "reason": reason[:2000], **({"bill_id": bills[i]} if bills is not None else {})}
            for i, reason in failures
        ],
    )
    raised.invoices_failed(session, connection_id, failures)  # invoice.export_failed


async def mark_review(
    session: AsyncSession,
    connection_id: uuid.UUID,
    reviews: Sequence[tuple[uuid.UUID, str, str]],
    now: dt.datetime,
) -> None:
    """Bills the ERP holds whose total is not the invoice's: (invoice id, ERP bill id, reason).

    The outbox row keeps the bill id and the reason (`failed`: it is not confirmed); the invoice goes
    to `needs_review`; no mapping row is written, so payment sync never tracks the bill as if right.
    """
    if not reviews:
        return
    await mark_failed(
        session, connection_id, [(i, reason) for i, _, reason in reviews], now, {i: b for i, b, _ in reviews}
    )
    await session.execute(
        update(Invoice)
        .where(
            Invoice.id.in_([i for i, _, _ in reviews]),
            Invoice.status.in_((InvoiceStatus.APPROVED, InvoiceStatus.NEEDS_REVIEW)),
        )
        .values(status=InvoiceStatus.NEEDS_REVIEW, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    raised.invoices_to_review(session, connection_id, reviews)  # invoice.needs_review
