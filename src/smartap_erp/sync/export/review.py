"""Sending invoices to review from export, with their reason, in the caller's transaction (issue 16).

`send_to_review` is used for invoices the pre-export checks stopped before any write (a closed period,
a bill with the same number and a different amount: `export_guards`) and for bills the ERP refused
because their period was locked after the check. For each: the outbox row (inserted if the export
never reached the ERP) becomes `failed` with the reason and the ERP bill involved, if any; the invoice
becomes `needs_review` with `review_reason` (migration 0017); an `invoice.needs_review` event is
recorded (E2's outbox, delivered after the commit). `note_log` adds what the checks did on their own
(re-dated or draft bills, bills linked) to the sync log's `sync_params`, so the log says so.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, bindparam
from sqlalchemy.ext.asyncio import AsyncSession

from smartap_erp.db.models import ERPExportOutbox, ERPSyncLog, ExportState, Invoice
from smartap_erp.domain.enums import InvoiceStatus
from smartap_erp.events import record_event
from smartap_erp.sync.export.common import insert_for
from smartap_erp.sync.export.store import idempotency_key


@dataclass(frozen=True)
class ToReview:
    invoice_id: uuid.UUID
    invoice_number: str
    code: str  # period_closed | period_locked | duplicate_bill_differs
    reason: str
    bill_id: str | None = None


async def send_to_review(
    session: AsyncSession, connection_id: uuid.UUID, items: Sequence[ToReview], now: dt.datetime
) -> None:
    if not items:
        return
    outbox = cast(Table, ERPExportOutbox.__table__)
    statement = insert_for(session, outbox)
    statement = statement.on_conflict_do_update(
        index_elements=[outbox.c.connection_id, outbox.c.smartap_invoice_id],
        set_={
            "state": ExportState.FAILED,
            "last_error": statement.excluded.last_error,
            "erp_invoice_id": statement.excluded.erp_invoice_id,
            "updated_at": now,
        },
    )
    await session.execute(
        statement,
        [
            {
                "id": uuid.uuid4(),
                "connection_id": connection_id,
                "smartap_invoice_id": item.invoice_id,
                "idempotency_key": idempotency_key(connection_id, item.invoice_id),
                "state": ExportState.FAILED,
                "attempts": 0,
                "last_error": item.reason[:2000],
                "erp_invoice_id": item.bill_id,
                "created_at": now,
                "updated_at": now,
            }
            for item in items
        ],
    )
    invoices = cast(Table, Invoice.__table__)
    await session.execute(
        invoices.update()
        .where(
            invoices.c.id == bindparam("invoice_id"),
            invoices.c.status.in_((InvoiceStatus.APPROVED, InvoiceStatus.NEEDS_REVIEW)),
        )
        .values(status=InvoiceStatus.NEEDS_REVIEW, review_reason=bindparam("reason"), updated_at=now),
        [{"invoice_id": item.invoice_id, "reason": item.reason} for item in items],
    )
    for item in items:
        data: dict[str, Any] = {
            "invoice_id": str(item.invoice_id),
            "invoice_number": item.invoice_number,
            "reason_code": item.code,
            "reason": item.reason,
        }
        if item.bill_id is not None:
            data["bill_id"] = item.bill_id
        await record_event(session, "invoice.needs_review", connection_id=connection_id, data=data)


async def note_log(session: AsyncSession, log_id: uuid.UUID, notes: Mapping[str, Sequence[Any]]) -> None:
    """Append the checks' notes (lists per kind) to the log's `sync_params`."""
    if not any(notes.values()):
        return
    log = await session.get(ERPSyncLog, log_id)
    if log is None:  # pragma: no cover - the run wrote it
        return
    params = dict(log.sync_params or {})
    for kind, entries in notes.items():
        params[kind] = [*params.get(kind, []), *entries]
    log.sync_params = params
