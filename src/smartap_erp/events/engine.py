"""What the sync engine raises, shaped here so each raising site is one line: a finished sync log
(`sync.completed`: the run went to its end, record errors or not; `sync.failed`: it stopped part-way),
a connection's status going to `error` or back to `active` from `error`, exported / refused / reviewed
invoices, payment-status changes and new open conflicts. Every function only adds outbox rows to the
session it is given (`events.outbox`), so they are committed with the change they report. Money is a
decimal string beside its currency.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, object_session

from smartap_erp.db.models import ERPConnection, ERPSyncLog
from smartap_erp.domain.enums import ConnectionStatus, SyncStatus
from smartap_erp.domain.money import from_minor_units
from smartap_erp.events.outbox import record_events, stage_event

AnySession = AsyncSession | Session


def money(minor: int, currency: str) -> dict[str, str]:
    return {"amount": str(from_minor_units(minor, currency)), "currency": currency}


def _stage(session: AnySession, type_: str, connection_id: uuid.UUID | None, data: dict[str, Any]) -> None:
    stage_event(session, type_, connection_id=connection_id, data=data)  # type: ignore[arg-type]


def sync_finished(log: ERPSyncLog, connection: ERPConnection, *, stopped: bool) -> None:
    """`sync.completed` or `sync.failed` for a log `finish_log` just closed, in the log's session."""
    session = object_session(log)
    if session is None:  # pragma: no cover - finish_log is always given a loaded log
        return
    _stage(
        session,
        "sync.failed" if stopped or log.status == SyncStatus.FAILED else "sync.completed",
        connection.id,
        {
            "connection": connection.name,
            "sync_log_id": str(log.id),
            "entity": log.entity_type.value,
            "direction": log.sync_direction.value,
            "status": log.status.value,
            "total_count": log.total_count,
            "success_count": log.success_count,
            "error_count": log.error_count,
            "error_message": log.error_message,
            "error_kind": log.error_kind,
            "started_at": log.started_at.isoformat(),
            "completed_at": None if log.completed_at is None else log.completed_at.isoformat(),
        },
    )


def connection_status(connection: ERPConnection, previous: ConnectionStatus) -> None:
    """`connection.broken` when it went to `error`, `connection.recovered` when it left `error` for
    `active`; nothing otherwise (pending -> active is a first connection, not a recovery)."""
    session = object_session(connection)
    if session is None or previous == connection.status:
        return
    if connection.status == ConnectionStatus.ERROR:
        type_ = "connection.broken"
    elif previous == ConnectionStatus.ERROR and connection.status == ConnectionStatus.ACTIVE:
        type_ = "connection.recovered"
    else:
        return
    data: dict[str, Any] = {
        "connection": connection.name,
        "system": connection.system_type.value,
        "status": connection.status.value,
    }
    if connection.status == ConnectionStatus.ERROR:
        data["error"] = connection.connection_error
    _stage(session, type_, connection.id, data)


def invoices_exported(session: AnySession, connection_id: uuid.UUID, exported: Iterable[Any]) -> None:
    """`invoice.exported` per confirmed export (`sync.export.store.Confirmed`)."""
    for c in exported:
        _stage(
            session,
            "invoice.exported",
            connection_id,
            {
                "invoice_id": str(c.invoice.id),
                "invoice_number": c.invoice.invoice_number,
                "total": money(c.invoice.total_minor, c.invoice.currency),
                "erp_bill_id": c.result.external_id,
                "erp_bill_number": c.result.external_number,
                "created": bool(c.result.created),
            },
        )


def invoices_failed(
    session: AnySession, connection_id: uuid.UUID, failures: Iterable[tuple[uuid.UUID, str]]
) -> None:
    """`invoice.export_failed` per (invoice id, the ERP's reason)."""
    for invoice_id, reason in failures:
        _stage(
            session, "invoice.export_failed", connection_id, {"invoice_id": str(invoice_id), "reason": reason}
        )


def invoices_to_review(
    session: AnySession, connection_id: uuid.UUID, reviews: Iterable[tuple[uuid.UUID, str, str]]
) -> None:
    """`invoice.needs_review` per (invoice id, ERP bill id, reason)."""
    for invoice_id, bill_id, reason in reviews:
        _stage(
            session,
            "invoice.needs_review",
            connection_id,
            {"invoice_id": str(invoice_id), "erp_bill_id": bill_id, "reason": reason},
        )


def payments_changed(session: AnySession, connection_id: uuid.UUID, changes: Iterable[Any]) -> None:
    """`invoice.payment_changed` per `sync.payments.store.StatusChange` (status or paid amount moved)."""
    for c in changes:
        data: dict[str, Any] = {
            "invoice_id": str(c.bill.invoice_id),
            "erp_bill_id": c.bill.bill_id,
            "previous_status": c.bill.status.value,
            "status": c.status.value,
            "paid": money(c.amount, c.currency),
        }
        if c.bill.currency:
            data["previous_paid"] = money(c.bill.amount, c.bill.currency)
        _stage(session, "invoice.payment_changed", connection_id, data)


async def conflicts_opened(
    session: AsyncSession, connection_id: uuid.UUID, rows: Iterable[dict[str, Any]]
) -> None:
    """`conflict.created` per new open conflict row (`sync.imports.planning.write_conflicts`), written
    with the page in one statement."""
    await record_events(
        session,
        "conflict.created",
        connection_id=connection_id,
        data=[
            {
                "conflict_id": str(row["id"]),
                "entity": str(getattr(row["entity_type"], "value", row["entity_type"])),
                "erp_record_id": row["erp_record_id"],
                "smartap_record_id": None
                if row["smartap_record_id"] is None
                else str(row["smartap_record_id"]),
            }
            for row in rows
        ],
    )
