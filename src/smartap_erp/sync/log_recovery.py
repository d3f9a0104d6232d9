"""Closing sync logs whose run died: no log stays `in_progress` after its run is gone.

A log names its runner (`smartap_erp.sync.logs`). A job's log is left alone while its DBOS workflow
is still queued or pending (the worker that recovers the workflow resumes the same log) and closed as
`failed` once the workflow ended, was cancelled or is unknown. An in-process run's log ("host/pid") is
closed when that process no longer exists on this host, or after `OTHER_HOST_AFTER` when it ran on
another machine we cannot look at. Logs from before runners were recorded are closed outright: the
process that wrote them predates the current code. Workers call `close_abandoned` when they start.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import uuid
from collections.abc import Awaitable, Callable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from smartap_erp.db.models import ERPSyncLog
from smartap_erp.domain.enums import SyncStatus
from smartap_erp.sync.error_kinds import ErrorKind

WorkflowState = Callable[[str], Awaitable[str | None]]  # DBOS status of a workflow id, None if unknown
STILL_RUNNING = frozenset({"ENQUEUED", "PENDING", "DELAYED"})
OTHER_HOST_AFTER = dt.timedelta(hours=24)


def process_alive(pid: int) -> bool:
    """Whether a process with this id exists on this machine."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by someone else
    return True


async def abandoned_reason(
    log: ERPSyncLog,
    *,
    now: dt.datetime,
    workflow_state: WorkflowState,
    alive: Callable[[int], bool] = process_alive,
    host: str | None = None,
) -> str | None:
    """Why this `in_progress` log's run is gone, or None if it may still be running."""
    if log.workflow_id:
        state = await workflow_state(log.workflow_id)
        if state in STILL_RUNNING:
            return None
        ended = f"ended {state}" if state else "is no longer known"
        return f"interrupted: its job {log.workflow_id} {ended} without finishing this run"
    if not log.runner:
        return "interrupted: started before runs were tracked, and its run is gone"
    runner_host, _, pid = log.runner.rpartition("/")
    if runner_host == (host or socket.gethostname()):
        if pid.isdigit() and alive(int(pid)):
            return None
        return f"interrupted: the process that ran it ({log.runner}) ended before finishing"
    if now - log.started_at > OTHER_HOST_AFTER:
        hours = int(OTHER_HOST_AFTER.total_seconds() // 3600)
        return f"interrupted: no news for {hours} h from the process that ran it ({log.runner})"
    return None


def interrupt(log: ERPSyncLog, reason: str, now: dt.datetime) -> None:
    """Close the log as failed with `reason`; its counts stay what was recorded (nothing, usually)."""
    log.status = SyncStatus.FAILED
    log.error_message = reason
    log.error_kind = ErrorKind.INTERNAL.value  # the process or job running it died
    log.completed_at = now
    log.duration_seconds = max(0, round((now - log.started_at).total_seconds()))


async def close_abandoned(
    sessions: async_sessionmaker[AsyncSession],
    *,
    now: dt.datetime,
    workflow_state: WorkflowState,
    alive: Callable[[int], bool] = process_alive,
    host: str | None = None,
) -> list[uuid.UUID]:
    """Close every `in_progress` log whose run is gone; the ids of those closed."""
    closed: list[uuid.UUID] = []
    async with sessions() as session, session.begin():
        logs = await session.scalars(
            select(ERPSyncLog).where(ERPSyncLog.status == SyncStatus.IN_PROGRESS).with_for_update()
        )
        for log in logs:
            reason = await abandoned_reason(
                log, now=now, workflow_state=workflow_state, alive=alive, host=host
            )
            if reason is not None:
                interrupt(log, reason, now)
                closed.append(log.id)
    return closed
