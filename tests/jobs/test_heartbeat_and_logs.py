"""Worker heartbeats and sync-log recovery on SQLite and PostgreSQL, with an injected clock: who is
alive, a job step re-run after a crash resuming its own log, and logs whose run died being closed
(issue 12, items 11 and 12)."""

from __future__ import annotations

import datetime as dt
import socket
import uuid

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from smartap_erp.db.models import ERPConnection, ERPSyncLog
from smartap_erp.domain.enums import ERPEntity, SyncDirection, SyncStatus
from smartap_erp.jobs import heartbeat
from smartap_erp.sync import log_recovery, logs
from tests.jobs.dbhelpers import add_connection

T0 = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)


async def _start(
    sessions: async_sessionmaker[AsyncSession], cid: uuid.UUID, workflow_id: str | None = None
) -> uuid.UUID:
    async with sessions() as session:
        connection = await session.get(ERPConnection, cid)
        assert connection is not None
        with logs.running_in(workflow_id):
            log = await logs.start_log(
                session, connection, entity=ERPEntity.VENDOR, direction=SyncDirection.IMPORT, now=T0
            )
        await session.commit()
        return log.id


async def _log(sessions: async_sessionmaker[AsyncSession], log_id: uuid.UUID) -> ERPSyncLog:
    async with sessions() as session:
        found = await session.get(ERPSyncLog, log_id)
        assert found is not None
        return found


async def test_alive_means_seen_within_the_bound_and_a_clean_stop_is_gone_at_once(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    await heartbeat.beat(session_factory, "w1", now=T0, started_at=T0)
    await heartbeat.beat(session_factory, "w2", now=T0, started_at=T0)
    later = T0 + heartbeat.ALIVE_WITHIN - dt.timedelta(seconds=1)
    await heartbeat.beat(session_factory, "w2", now=later, started_at=T0)  # w2 beats again, w1 does not

    assert await heartbeat.alive_ids(session_factory, now=later) == {"w1", "w2"}
    assert await heartbeat.alive_ids(session_factory, now=later + dt.timedelta(seconds=2)) == {"w2"}
    await heartbeat.forget(session_factory, "w2")
    assert await heartbeat.alive_ids(session_factory, now=later) == {"w1"}


async def test_a_job_step_rerun_after_a_crash_resumes_its_own_log(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    cid = await add_connection(session_factory)
    first = await _start(session_factory, cid, "wf-1")
    assert (await _start(session_factory, cid, "wf-1")) == first  # the crashed attempt's log
    assert (await _log(session_factory, first)).sync_params["resumed"] == 1
    assert (await _start(session_factory, cid, "wf-2")) != first  # another job: its own log
    assert (await _start(session_factory, cid)) != first  # an in-process run: its own log


async def test_logs_whose_run_died_are_closed_and_live_ones_kept(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    cid = await add_connection(session_factory)
    pending = await _start(session_factory, cid, "wf-pending")
    failed = await _start(session_factory, cid, "wf-error")
    forgotten = await _start(session_factory, cid, "wf-gone")
    here = await _start(session_factory, cid)  # this test process: alive
    states = {"wf-pending": "PENDING", "wf-error": "ERROR"}

    async def state(workflow_id: str) -> str | None:
        return states.get(workflow_id)

    async with session_factory() as session, session.begin():
        dead, elsewhere = (
            ERPSyncLog(
                id=uuid.uuid4(),
                connection_id=cid,
                entity_type=ERPEntity.INVOICE,
                sync_direction=SyncDirection.EXPORT,
                status=SyncStatus.IN_PROGRESS,
                started_at=T0,
                runner=runner,
            )
            for runner in (f"{socket.gethostname()}/999999", "other-machine/42")
        )
        session.add_all([dead, elsewhere])

    now = T0 + dt.timedelta(minutes=3)
    closed = await log_recovery.close_abandoned(
        session_factory, now=now, workflow_state=state, alive=lambda pid: pid != 999999
    )
    assert set(closed) == {failed, forgotten, dead.id}  # `elsewhere` may still run on its machine
    for log_id, words in ((failed, "wf-error ended ERROR"), (forgotten, "no longer known")):
        log = await _log(session_factory, log_id)
        assert log.status == SyncStatus.FAILED and words in (log.error_message or "")
        assert log.completed_at == now and log.duration_seconds == 180
    assert "/999999) ended" in ((await _log(session_factory, dead.id)).error_message or "")
    for kept in (pending, here, elsewhere.id):
        assert (await _log(session_factory, kept)).status == SyncStatus.IN_PROGRESS

    a_day_later = T0 + log_recovery.OTHER_HOST_AFTER + dt.timedelta(minutes=1)
    closed = await log_recovery.close_abandoned(session_factory, now=a_day_later, workflow_state=state)
    assert closed == [elsewhere.id]
