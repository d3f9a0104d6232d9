"""`smartap-erp logs`: the sync log (every import, export and payment sync) as a table or JSON, read
through `app.logs`."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Annotated, Any

import typer

from smartap_erp.cli.lazy import lazy
from smartap_erp.cli.output import JsonOption, emit
from smartap_erp.cli.runtime import runtime
from smartap_erp.domain.enums import SyncStatus

if TYPE_CHECKING:
    from smartap_erp.app import logs as app_logs
else:
    app_logs = lazy("smartap_erp.app.logs")


def _row(log: app_logs.SyncLogEntry) -> dict[str, Any]:
    return {
        "started_at": log.started_at.isoformat(timespec="seconds"),
        "connection": log.connection,
        "entity": log.entity.value,
        "direction": log.direction.value,
        "status": log.status.value,
        "total": log.total_count,
        "ok": log.success_count,
        "errors": log.error_count,
        "duration_s": log.duration_seconds,
        "triggered_by": log.triggered_by,
        "error_message": log.error_message,
        "record_errors": [e.model_dump(mode="json") for e in log.record_errors or []],
        "id": str(log.id),
    }


def logs(
    connection: Annotated[str | None, typer.Option(help="Only this connection (name or id).")] = None,
    status: Annotated[SyncStatus | None, typer.Option(help="Only logs in this status.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000, help="Newest first, at most this many.")] = 50,
    as_json: JsonOption = False,
) -> None:
    """Show sync logs, newest first; with --json each log includes its per-record errors."""
    query = app_logs.LogFilter(connection=connection, status=status, limit=limit, with_record_errors=True)

    async def run() -> app_logs.LogPage:
        async with runtime() as rt:
            return await app_logs.list_logs(rt, query)

    emit(
        [_row(log) for log in asyncio.run(run()).items],
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
