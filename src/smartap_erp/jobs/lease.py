"""One run per connection at a time, whichever path started it: a worker's job, `--inline`, the demo.

The workers' queue keeps two queued jobs of one connection apart, but a run in another process
(`--inline`, the demo) bypasses it, and two overlapping exports could both see "no bill yet" and both
create it (SAP Business One has no idempotency key). So every run holds the connection's lease, a row
of `erp_connection_leases`: `claim` takes it atomically (renew it if ours, take it over if expired,
insert it if absent: the database decides a race, on SQLite and PostgreSQL alike), `kept` renews it
while the run goes on, `release` deletes it at the end, and a holder that died stops renewing, so its
lease expires after `LEASE_FOR`. Holders are "job WORKFLOW_ID" for a worker's job (a job recovered on
another worker after a crash is the same holder and carries on) and "host/pid" for an in-process run.
Every function takes `now` (or a clock and a sleep), so tests move time instead of waiting.
Expiry compares the clocks of the machines involved: keep them in sync (NTP); `LEASE_FOR` leaves
minutes of margin.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table, case, delete, literal, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from smartap_erp.db.base import UTCDateTime
from smartap_erp.db.models import ERPConnection
from smartap_erp.db.models.jobs import ERPConnectionLease
from smartap_erp.errors import SmartAPError
from smartap_erp.http.redact import get_logger
from smartap_erp.sync.logs import this_process

LEASE_FOR = dt.timedelta(minutes=2)  # a holder not heard of for this long is dead
RENEW_EVERY = dt.timedelta(seconds=30)  # four renewals may fail before the lease expires
BUSY_POLL_MAX = dt.timedelta(seconds=30)  # a waiting job looks again at least this often
BUSY_WAIT_MAX = dt.timedelta(hours=1)  # then it gives up (`sync retry` queues it again)
LEASES: Table = ERPConnectionLease.__table__  # type: ignore[assignment]
Sessions = async_sessionmaker[AsyncSession]
Clock = Callable[[], dt.datetime]
Sleep = Callable[[float], Awaitable[None]]

log = get_logger(__name__)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def job_holder(workflow_id: str) -> str:
    return f"job {workflow_id}"


@dataclass(frozen=True)
class Holding:
    """Who holds a connection's lease, from where, since when, until when unless renewed."""

    holder: str
    process: str
    acquired_at: dt.datetime
    expires_at: dt.datetime

    def describe(self) -> str:
        return self.holder if self.holder == self.process else f"{self.holder} on {self.process}"


class ConnectionBusyError(SmartAPError):
    """Another live run holds the connection's lease."""

    def __init__(self, connection: str, held: Holding) -> None:
        self.held = held
        since = held.acquired_at.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        super().__init__(
            f"connection {connection} is busy: {held.describe()} is running a job on it since {since}"
        )


async def current(sessions: Sessions, connection_id: uuid.UUID) -> Holding | None:
    """The lease of this connection as stored (it may have expired), or None."""
    async with sessions() as session:
        row = await session.get(ERPConnectionLease, connection_id)
        if row is None:
            return None
        return Holding(row.holder, row.process, row.acquired_at, row.expires_at)


async def claim(
    sessions: Sessions,
    connection_id: uuid.UUID,
    holder: str,
    *,
    now: dt.datetime,
    process: str | None = None,
    ttl: dt.timedelta = LEASE_FOR,
) -> None:
    """Take the connection's lease for `holder` until `now + ttl` (renew it if `holder` has it);
    `ConnectionBusyError` (naming the connection) if another holder's lease is live."""
    values: dict[str, Any] = {
        "connection_id": connection_id,
        "holder": holder,
        "process": process or this_process(),
        "acquired_at": now,
        "expires_at": now + ttl,
    }
    for _ in range(3):  # the row may vanish between our insert and our read: look again
        async with sessions() as session, session.begin():
            if await _take(session, values):
                return
            row = await session.get(ERPConnectionLease, connection_id, populate_existing=True)
            if row is not None:
                held = Holding(row.holder, row.process, row.acquired_at, row.expires_at)
                connection = await session.get(ERPConnection, connection_id)
                raise ConnectionBusyError(connection.name if connection else str(connection_id), held)
    raise RuntimeError(f"lease of connection {connection_id}: could not be claimed nor read")


async def _take(session: AsyncSession, values: dict[str, Any]) -> bool:
    """Renew ours or take over an expired lease, else insert one: whether we hold it now."""
    lease = ERPConnectionLease
    mine = lease.holder == values["holder"]
    taken = await session.execute(
        update(lease)
        .where(
            lease.connection_id == values["connection_id"], mine | (lease.expires_at <= values["acquired_at"])
        )
        .values(
            holder=values["holder"],
            process=values["process"],
            acquired_at=case((mine, lease.acquired_at), else_=literal(values["acquired_at"], UTCDateTime())),
            expires_at=values["expires_at"],
        )
        .execution_options(synchronize_session=False)
    )
    if _count(taken) == 1:
        return True
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    inserted = await session.execute(
        insert(LEASES).values(**values).on_conflict_do_nothing(index_elements=["connection_id"])
    )
    return _count(inserted) == 1


def _count(result: Any) -> int:
    return int(result.rowcount)


async def renew(
    sessions: Sessions,
    connection_id: uuid.UUID,
    holder: str,
    *,
    now: dt.datetime,
    ttl: dt.timedelta = LEASE_FOR,
) -> bool:
    """Move `holder`'s lease to expire at `now + ttl`; False if `holder` does not hold it."""
    async with sessions() as session, session.begin():
        moved = await session.execute(
            update(ERPConnectionLease)
            .where(ERPConnectionLease.connection_id == connection_id, ERPConnectionLease.holder == holder)
            .values(expires_at=now + ttl)
            .execution_options(synchronize_session=False)
        )
        return _count(moved) == 1


async def release(sessions: Sessions, connection_id: uuid.UUID, holder: str) -> bool:
    """Delete `holder`'s lease (never another holder's); whether there was one."""
    async with sessions() as session, session.begin():
        gone = await session.execute(
            delete(ERPConnectionLease)
            .where(ERPConnectionLease.connection_id == connection_id, ERPConnectionLease.holder == holder)
            .execution_options(synchronize_session=False)
        )
        return _count(gone) == 1


@contextlib.asynccontextmanager
async def kept(
    sessions: Sessions,
    connection_id: uuid.UUID,
    holder: str,
    *,
    clock: Clock = utcnow,
    sleep: Sleep = asyncio.sleep,
    every: dt.timedelta = RENEW_EVERY,
) -> AsyncIterator[None]:
    """Renew `holder`'s lease every `every` while the block runs. A renewal that fails (the database
    away for a moment) is logged and tried again next time; the lease outlives a few of them."""

    async def renew_forever() -> None:
        while True:
            await sleep(every.total_seconds())
            try:
                await renew(sessions, connection_id, holder, now=clock())
            except Exception as exc:
                log.warning("could not renew the lease of connection %s (%s): %s", connection_id, holder, exc)

    task = asyncio.create_task(renew_forever())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


@contextlib.asynccontextmanager
async def holding(
    sessions: Sessions,
    connection_id: uuid.UUID,
    holder: str,
    *,
    clock: Clock = utcnow,
    sleep: Sleep = asyncio.sleep,
) -> AsyncIterator[None]:
    """Hold the lease for the block (an in-process run): claimed at once (`ConnectionBusyError` if
    another live run has it), kept alive, released at the end, also on failure."""
    await claim(sessions, connection_id, holder, now=clock())
    try:
        async with kept(sessions, connection_id, holder, clock=clock, sleep=sleep):
            yield
    finally:
        await release(sessions, connection_id, holder)


def busy_delay(base_seconds: float, polls: int) -> float:
    """Seconds a job waits before its next look at a busy connection: doubling, at most a cap."""
    return float(min(base_seconds * 2**polls, BUSY_POLL_MAX.total_seconds()))
