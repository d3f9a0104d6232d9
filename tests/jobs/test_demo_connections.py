"""Demo connections (issue 12): the schedule tick and the job steps leave alone a demo connection whose
demo worker is gone (its simulators died with it), and serve it while that worker's heartbeat is
fresh; on SQLite and PostgreSQL, with the steps called directly (outside a workflow, a DBOS step is a
plain call)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator

import pytest
from cryptography.fernet import Fernet
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from smartap_erp.db.models import ERPConnection
from smartap_erp.domain.enums import ConnectionStatus
from smartap_erp.jobs import heartbeat, operations, schedules, workflows
from smartap_erp.jobs.config import JobOptions
from smartap_erp.settings import Settings
from tests.jobs.dbhelpers import add_connection

KEY = Fernet.generate_key().decode()


@pytest.fixture
def installed(_engine_url: str) -> Iterator[None]:
    settings = Settings(database_url=_engine_url, smartap_encryption_keys=KEY)
    operations.install(operations.JobEnvironment(settings, JobOptions()))
    yield
    operations._environment = None


async def _connection(sessions: async_sessionmaker[AsyncSession], name: str, demo_worker: str | None) -> str:
    cid = await add_connection(
        sessions,
        name,
        KEY.encode(),
        status=ConnectionStatus.ACTIVE,
        is_demo=demo_worker is not None,
        demo_worker_id=demo_worker,
    )
    return str(cid)


async def _due(at: dt.datetime) -> set[str]:
    try:
        return {cid for _, cid, _ in await schedules.find_due(at.isoformat())}
    finally:
        await operations.environment().close()


async def test_a_demo_connection_is_scheduled_only_while_its_demo_worker_lives(
    session_factory: async_sessionmaker[AsyncSession], installed: None
) -> None:
    real = await _connection(session_factory, "Books", None)
    demo = await _connection(session_factory, "Demo Books", "demo")
    now = dt.datetime.now(dt.UTC)
    assert await _due(now) == {real}  # no demo worker ever seen

    await heartbeat.beat(session_factory, "demo", now=now, started_at=now)
    assert await _due(now) == {real, demo}
    await heartbeat.forget(session_factory, "demo")  # the demo stopped
    assert await _due(now) == {real}


async def test_a_job_of_a_dead_demo_connection_fails_at_once_without_retries(
    session_factory: async_sessionmaker[AsyncSession], installed: None
) -> None:
    demo = await _connection(session_factory, "Demo Xero", "demo")
    try:
        outcome = await workflows.import_entity(demo, "vendor", None, None, "schedule")
    finally:
        await operations.environment().close()
    assert (outcome["ok"], outcome["retry"]) == (False, False)
    assert "demo connection 'Demo Xero'" in outcome["error"] and "stopped" in outcome["error"]
    async with session_factory() as session:
        assert (await session.get(ERPConnection, uuid.UUID(demo))) is not None
