"""Sync logs (`erp_sync_logs`) and connection health: every operation opens a log row, and closes it
with its counts, per-record errors and status; the connection's `last_sync_at`, `status` and
`connection_error` follow. A partial success is `partial`, never `completed`. An authentication
failure puts the connection in `error` with a message a person can act on. A failed run, and each
refused record, carries its kind (`sync.error_kinds`: auth, rate_limit, period_locked ...).

Each log names who runs it: the DBOS workflow of a job (`running_in`), else this process
("host/pid"). A job step that DBOS re-runs after a crash finds the log its first attempt left
`in_progress` and carries on with it (`start_log`), so one run is one log; a log whose run died for
good is closed by `smartap_erp.sync.log_recovery`.

Each log records its run's HTTP exchanges (`smartap_erp.http.recorder`): `start_log` starts a
recorder in the run's context, `finish_log` adds what it kept to the session with the closed log (the
count of exchanges only counted goes in `sync_params["http_exchanges_omitted"]`). Closing a log raises
`sync.completed` / `sync.failed`, and a connection going to `error` or back `connection.broken` /
`connection.recovered` (`smartap_erp.events`), in the same transaction.
"""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import datetime as dt
import os
import socket
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import object_session

from smartap_erp.db.models import ERPConnection, ERPSyncLog, ERPSyncLogExchange
from smartap_erp.domain.enums import ConnectionStatus, ERPEntity, ERPSystem, SyncDirection, SyncStatus
from smartap_erp.domain.results import RecordError
from smartap_erp.errors import ConfigurationError, ERPAuthError, ERPPermissionError
from smartap_erp.events import engine as raised
from smartap_erp.http.recorder import ExchangeRecorder, current_recorder, start_recording, stop_recording
from smartap_erp.sync.error_kinds import ErrorKind, classify_record, run_kind

MAX_LOGGED_ERRORS = 1000  # per log row; the count is always exact


@dataclass
class _Run:
    workflow_id: str | None
    started: list[uuid.UUID] = field(default_factory=list)


_run: contextvars.ContextVar[_Run | None] = contextvars.ContextVar("sync_log_run", default=None)


def this_process() -> str:
    """ "host/pid": how the log of an in-process run (CLI `--inline`, the demo) names its runner."""
    return f"{socket.gethostname()}/{os.getpid()}"[:255]


@contextlib.contextmanager
def running_in(workflow_id: str | None) -> Iterator[list[uuid.UUID]]:
    """Logs started inside this block belong to the job `workflow_id` (None: to this process); the
    list yielded collects their ids, in order."""
    run = _Run(workflow_id)
    token = _run.set(run)
    try:
        yield run.started
    finally:
        _run.reset(token)


def outcome_status(total: int, failed: int) -> SyncStatus:
    """Completed only if nothing failed; failed if nothing succeeded; partial in between."""
    if failed == 0:
        return SyncStatus.COMPLETED
    return SyncStatus.FAILED if failed >= total else SyncStatus.PARTIAL


async def start_log(
    session: AsyncSession,
    connection: ERPConnection,
    *,
    entity: ERPEntity,
    direction: SyncDirection,
    params: dict[str, Any] | None = None,
    triggered_by: str = "system",
    now: dt.datetime,
) -> ERPSyncLog:
    """A new `in_progress` log; inside a job, the one an interrupted attempt of it left open."""
    run = _run.get()
    workflow_id = run.workflow_id if run is not None else None
    if workflow_id is not None:
        resumed = await _open_log_of(session, workflow_id, connection.id, entity, direction)
        if resumed is not None:
            attempts = int(resumed.sync_params.get("resumed", 0)) + 1
            resumed.sync_params = {**resumed.sync_params, **(params or {}), "resumed": attempts}
            resumed.runner = this_process()
            await session.flush()
            _note(run, resumed.id)
            seen = await session.scalar(
                select(func.max(ERPSyncLogExchange.seq)).where(ERPSyncLogExchange.sync_log_id == resumed.id)
            )
            start_recording(ExchangeRecorder(resumed.id, next_seq=(seen or 0) + 1))
            return resumed
    log = ERPSyncLog(
        id=uuid.uuid4(),
        connection_id=connection.id,
        entity_type=entity,
        sync_direction=direction,
        status=SyncStatus.IN_PROGRESS,
        started_at=now,
        sync_params=params or {},
        triggered_by=triggered_by,
        workflow_id=workflow_id,
        runner=this_process(),
    )
    session.add(log)
    await session.flush()
    _note(run, log.id)
    start_recording(ExchangeRecorder(log.id))
    return log


def _note(run: _Run | None, log_id: uuid.UUID) -> None:
    if run is not None:
        run.started.append(log_id)


async def _open_log_of(
    session: AsyncSession,
    workflow_id: str,
    connection_id: uuid.UUID,
    entity: ERPEntity,
    direction: SyncDirection,
) -> ERPSyncLog | None:
    found = await session.scalars(
        select(ERPSyncLog)
        .where(
            ERPSyncLog.workflow_id == workflow_id,
            ERPSyncLog.connection_id == connection_id,
            ERPSyncLog.entity_type == entity,
            ERPSyncLog.sync_direction == direction,
            ERPSyncLog.status == SyncStatus.IN_PROGRESS,
        )
        .order_by(ERPSyncLog.started_at.desc())
        .limit(1)
    )
    return found.first()


def finish_log(
    log: ERPSyncLog,
    connection: ERPConnection,
    *,
    total: int,
    succeeded: int,
    errors: Sequence[RecordError],
    now: dt.datetime,
    error_message: str | None = None,
    failure: BaseException | None = None,
) -> None:
    """Close the log with counts and errors; `error_message` means the operation itself stopped
    (`failure`, the exception that stopped it, gives the log's `error_kind`). Each logged record error
    gets its `kind` too (`sync.error_kinds`)."""
    log.total_count, log.success_count, log.error_count = total, succeeded, len(errors)
    system = connection.system_type.value
    kinds = [classify_record(system, e.code, e.message) for e in errors]
    log.errors = [
        {**e.model_dump(mode="json"), "kind": kind.value}
        for e, kind in zip(errors[:MAX_LOGGED_ERRORS], kinds, strict=False)
    ]
    log.error_message = error_message
    if error_message is not None and failure is None:  # stopped, and no exception to tell why
        kind: ErrorKind | None = ErrorKind.INTERNAL
    else:
        kind = run_kind(failure, kinds)
    log.error_kind = None if kind is None else kind.value
    if error_message is not None:  # stopped part-way: whatever was done before stays done
        log.status = SyncStatus.PARTIAL if succeeded else SyncStatus.FAILED
    else:
        log.status = outcome_status(total, len(errors))
    log.completed_at = now
    log.duration_seconds = max(0, round((now - log.started_at).total_seconds()))
    _write_exchanges(log)
    connection.last_sync_at = now
    previous = connection.status
    if error_message is None and connection.status != ConnectionStatus.ACTIVE:
        connection.status, connection.connection_error = ConnectionStatus.ACTIVE, None
    raised.sync_finished(log, connection, stopped=error_message is not None)  # outbound events
    raised.connection_status(connection, previous)


def _write_exchanges(log: ERPSyncLog) -> None:
    """The exchanges this context recorded for `log`, added to the session the log is in."""
    recorder = current_recorder()
    if recorder is None or recorder.log_id != log.id or not stop_recording(recorder):
        return
    session = object_session(log)
    if session is None:  # pragma: no cover - finish_log is always given a loaded log
        return
    session.add_all(
        ERPSyncLogExchange(id=uuid.uuid4(), sync_log_id=log.id, **dataclasses.asdict(e))
        for e in recorder.kept
    )
    if recorder.omitted:
        omitted = int(log.sync_params.get("http_exchanges_omitted", 0)) + recorder.omitted
        log.sync_params = {**log.sync_params, "http_exchanges_omitted": omitted}


def auth_failure_message(system: ERPSystem | str, exc: ERPAuthError) -> str:
    """What a person must do, first; the ERP's own words after."""
    from smartap_erp.connectors.registry import registry  # lazily: the registry imports connectors

    provider = registry.find(str(system))
    name = provider.name if provider is not None else str(system)
    if isinstance(exc, ERPPermissionError):
        return (
            f"grant the {name} user the permissions SmartAP needs, then retry: {exc.message or exc.summary}"
        )
    reason = exc.message or exc.code or exc.summary
    return f"reconnect {name}: its authorisation was refused ({reason})"


def mark_auth_failure(connection: ERPConnection, exc: ERPAuthError) -> None:
    """Stop the connection's syncs until a person fixes it."""
    previous = connection.status
    connection.status = ConnectionStatus.ERROR
    connection.connection_error = auth_failure_message(connection.system_type, exc)
    raised.connection_status(connection, previous)  # connection.broken


class ConnectionUnavailableError(ConfigurationError):
    """The connection does not exist, or is in `error` and waits for a person (reconnect, permissions)."""


async def usable_connection(session: AsyncSession, connection_id: uuid.UUID) -> ERPConnection:
    """The connection, or `ConnectionUnavailableError` if it is missing or in error (issue 8, item 9)."""
    connection = await session.get(ERPConnection, connection_id)
    if connection is None:
        raise ConnectionUnavailableError(f"no ERP connection with id {connection_id}")
    if connection.status == ConnectionStatus.ERROR:
        raise ConnectionUnavailableError(
            f"connection {connection.name!r} is in error and its syncs are stopped until it is fixed: "
            f"{connection.connection_error or 'no reason recorded'}"
        )
    return connection
