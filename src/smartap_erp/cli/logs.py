"""`smartap-erp logs`: the sync log (every import, export and payment sync) as a table or JSON."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

import typer
from sqlalchemy import select

from smartap_erp.cli.output import JsonOption, emit
from smartap_erp.cli.runtime import find_connection, runtime
from smartap_erp.db.models import ERPConnection, ERPSyncLog
from smartap_erp.domain.enums import SyncStatus


def _row(log: ERPSyncLog, connection_name: str) -> dict[str, Any]:
    return {
        "started_at": log.started_at.isoformat(timespec="seconds"),
        "connection": connection_name,
        "entity": log.entity_type.value,
        "direction": log.sync_direction.value,
        "status": log.status.value,
        "total": log.total_count,
        "ok": log.success_count,
        "errors": log.error_count,
        "duration_s": log.duration_seconds,
        "triggered_by": log.triggered_by,
        "error_message": log.error_message,
        "record_errors": log.errors,
        "id": str(log.id),
    }


def logs(
    connection: Annotated[str | None, typer.Option(help="Only this connection (name or id).")] = None,
    status: Annotated[SyncStatus | None, typer.Option(help="Only logs in this status.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000, help="Newest first, at most this many.")] = 50,
    as_json: JsonOption = False,
) -> None:
    """Show sync logs, newest first; with --json each log includes its per-record errors."""

    async def run() -> list[dict[str, Any]]:
        async with runtime() as rt, rt.sessions() as session:
            query = (
                select(ERPSyncLog, ERPConnection.name)
                .join(ERPConnection)
                .order_by(ERPSyncLog.started_at.desc())
                .limit(limit)
            )
            if connection is not None:
                query = query.where(
                    ERPSyncLog.connection_id == (await find_connection(session, connection)).id
                )
            if status is not None:
                query = query.where(ERPSyncLog.status == status)
            return [_row(log, name) for log, name in (await session.execute(query)).all()]

    emit(
        asyncio.run(run()),
        as_json=as_json,
        title="Sync logs",
        columns=[
            "started_at",
            "connection",
            "entity",
            "direction",
            "status",
            "total",
            "ok",
            "errors",
            "duration_s",
            "triggered_by",
            "error_message",
        ],
    )
