"""Worker heartbeats (`erp_worker_heartbeats`): how a process that is not a worker knows whether any
worker will run what it queues, and whether the worker of a demo still serves its simulators.

Every worker writes its row every `BEAT_EVERY` while it runs and deletes it when it stops; a worker
killed outright stops writing, and a row not written within `ALIVE_WITHIN` counts as dead. Every
function takes `now`, so tests move the clock instead of sleeping.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table, delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from smartap_erp.db.models import WorkerHeartbeat

BEAT_EVERY = dt.timedelta(seconds=5)
ALIVE_WITHIN = dt.timedelta(seconds=20)  # four missed beats: killed, hung or its machine gone
HEARTBEATS: Table = WorkerHeartbeat.__table__  # type: ignore[assignment]
START_HINT = "start one with `smartap-erp worker` (in another terminal or as a service)"


async def beat(
    sessions: async_sessionmaker[AsyncSession], worker_id: str, *, now: dt.datetime, started_at: dt.datetime
) -> None:
    """Say that `worker_id` is alive at `now` (insert its row, or move its `seen_at`)."""
    # Only workers beat: the CLI, which reads heartbeats, does not import the sync package for it.
    from smartap_erp.sync.records import upsert_statement

    row: dict[str, Any] = {
        "worker_id": worker_id,
        "host": socket.gethostname()[:255],
        "pid": os.getpid(),
        "started_at": started_at,
        "seen_at": now,
    }
    async with sessions() as session, session.begin():
        update = ["host", "pid", "started_at", "seen_at"]
        await session.execute(upsert_statement(session, HEARTBEATS, ["worker_id"], update), [row])


async def forget(sessions: async_sessionmaker[AsyncSession], worker_id: str) -> None:
    """The worker stopped cleanly: it is gone at once, not after `ALIVE_WITHIN`."""
    async with sessions() as session, session.begin():
        await session.execute(delete(WorkerHeartbeat).where(WorkerHeartbeat.worker_id == worker_id))


async def alive(
    sessions: async_sessionmaker[AsyncSession], *, now: dt.datetime, within: dt.timedelta = ALIVE_WITHIN
) -> Sequence[WorkerHeartbeat]:
    """The workers seen within `within` of `now`, most recently seen first."""
    async with sessions() as session:
        rows = await session.scalars(
            select(WorkerHeartbeat)
            .where(WorkerHeartbeat.seen_at >= now - within)
            .order_by(WorkerHeartbeat.seen_at.desc())
        )
        return list(rows)


async def alive_ids(sessions: async_sessionmaker[AsyncSession], *, now: dt.datetime) -> set[str]:
    return {row.worker_id for row in await alive(sessions, now=now)}


def no_worker_message(what: str) -> str:
    """The one line a command prints when no worker would run `what`."""
    seconds = int(ALIVE_WITHIN.total_seconds())
    return f"no worker is running (none seen in the last {seconds} s) to run {what}: {START_HINT}"
