"""Jobs and the connection lease (issue 12): a job step that meets another live run of its connection
waits (not a failed attempt) and completes once it is released, or gives up after the bound; a job
releases the lease when it ends, also on failure; `--inline` while another run holds the connection
refuses in one line, exit 1, running nothing; a worker's job waits for an `--inline`-held lease and
completes after its release. Job bodies run in-process on SQLite and PostgreSQL (outside a workflow a
DBOS step is a plain call); the CLI and the worker run as subprocesses with tests/jobs/fakes.py."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import queue
import threading
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from smartap_erp.db.models import ERPConnection
from smartap_erp.db.models.jobs import ERPConnectionLease
from smartap_erp.db.session import make_engine, make_session_factory
from smartap_erp.domain.enums import ConnectionStatus, ERPSystem
from smartap_erp.errors import ERPAuthError
from smartap_erp.jobs import lease, operations, workflows
from smartap_erp.jobs.config import JobOptions
from smartap_erp.settings import Settings
from smartap_erp.sync.context import SyncContext
from smartap_erp.sync.logs import this_process
from tests.jobs.conftest import Jobs
from tests.jobs.dbhelpers import add_connection

KEY = Fernet.generate_key().decode()
OTHER = "job other-run"
CALLS: list[dict[str, Any]] = []  # what the recording operations saw, in this process
Sessions = async_sessionmaker[AsyncSession]


class Recording:
    """Operations that note, for each call, who held the connection's lease while it ran."""

    def __init__(self, ctx: SyncContext) -> None:
        self.ctx = ctx

    async def _call(self, op: str, connection_id: uuid.UUID) -> dict[str, Any]:
        held = await lease.current(self.ctx.session_factory, connection_id)
        CALLS.append({"op": op, "holder": held.holder if held else None})
        if op == "payments" and FAIL_AUTH:
            raise ERPAuthError("token revoked", erp=ERPSystem.QUICKBOOKS, status=401)
        return {"status": "completed", "total_count": 1, "success_count": 1, "error_count": 0}

    async def import_entity(
        self, connection_id: uuid.UUID, entity: str, *_: Any, **__: Any
    ) -> dict[str, Any]:
        return await self._call(f"import:{entity}", connection_id)

    async def export_invoices(self, connection_id: uuid.UUID, *_: Any) -> dict[str, Any]:
        return await self._call("export", connection_id)

    async def sync_payment_statuses(self, connection_id: uuid.UUID, by: str) -> dict[str, Any]:
        return await self._call("payments", connection_id)


FAIL_AUTH = False


class Runner:
    """A job runner whose sleeps are recorded and run `on_sleep` instead of waiting."""

    def __init__(self, on_sleep: Any = None) -> None:
        self.slept: list[float] = []
        self._on_sleep = on_sleep

    @property
    def job_id(self) -> str:
        return "test-job"

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        if self._on_sleep is not None:
            await self._on_sleep()

    async def progress(self, value: dict[str, Any]) -> None:
        pass


@pytest.fixture
def installed(_engine_url: str) -> Iterator[None]:
    settings = Settings(database_url=_engine_url, smartap_encryption_keys=KEY, erp_max_sync_retries=0)
    options = JobOptions(retry_base_seconds=30, operations=f"{__name__}:Recording")
    operations.install(operations.JobEnvironment(settings, options))
    CALLS.clear()
    yield
    operations._environment = None


async def _held_by_other(sessions: Sessions) -> uuid.UUID:
    cid = await add_connection(sessions, "qb", KEY.encode(), status=ConnectionStatus.ACTIVE)
    await lease.claim(sessions, cid, OTHER, now=lease.utcnow(), process="elsewhere/4242")
    return cid


async def test_a_job_meeting_a_held_lease_waits_without_spending_retries_then_completes(
    session_factory: Sessions, installed: None
) -> None:
    cid = await _held_by_other(session_factory)
    released: list[bool] = []

    async def other_run_ends() -> None:
        if len(released) == 2:  # it still runs after our first look, and ends during our second wait
            await lease.release(session_factory, cid, OTHER)
        released.append(True)

    runner = Runner(other_run_ends)
    try:
        result = await workflows.run_sync(runner, str(cid), ["vendor", "purchase_order"], None, None, "t")
    finally:
        await operations.environment().close()
    assert result["results"]["vendor"]["ok"] and result["results"]["purchase_order"]["ok"]
    assert runner.slept == [30.0, 30.0, 30.0]  # three looks at a busy connection, no retries spent
    me = this_process()
    assert [{"op": "import:vendor", "holder": me}, {"op": "import:purchase_order", "holder": me}] == CALLS


async def test_a_job_gives_up_on_a_connection_busy_past_the_bound(
    session_factory: Sessions, installed: None
) -> None:
    cid = await _held_by_other(session_factory)
    runner = Runner()
    try:
        with pytest.raises(
            workflows.JobFailedError, match=r"connection .* is busy: job other-run on elsewhere/4242"
        ):
            await workflows.run_payments(runner, str(cid), "t")
    finally:
        await operations.environment().close()
    assert sum(runner.slept) == lease.BUSY_WAIT_MAX.total_seconds()
    assert max(runner.slept) == lease.BUSY_POLL_MAX.total_seconds()
    assert CALLS == []
    held = await lease.current(session_factory, cid)
    assert held is not None and held.holder == OTHER


@pytest.mark.parametrize("fail", [False, True])
async def test_a_job_releases_its_lease_when_it_ends_also_on_failure(
    session_factory: Sessions, installed: None, fail: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(f"{__name__}.FAIL_AUTH", fail)
    cid = await add_connection(session_factory, "qb", KEY.encode(), status=ConnectionStatus.ACTIVE)
    body = workflows.run_payments(Runner(), str(cid), "t")
    try:
        if fail:
            with pytest.raises(workflows.JobFailedError, match="token revoked"):
                await workflows._leased(str(cid), body)
        else:
            await workflows._leased(str(cid), body)
    finally:
        await operations.environment().close()
    assert [{"op": "payments", "holder": this_process()}] == CALLS  # it held the lease while running
    assert await lease.current(session_factory, cid) is None


def _hold(jobs: Jobs, name: str, holder: str, process: str = "elsewhere/4242") -> None:
    """Another run (elsewhere) holds connection `name`, live for an hour."""

    async def go() -> None:
        engine = make_engine(jobs.env["DATABASE_URL"])
        sessions = make_session_factory(engine)
        try:
            async with sessions() as session:
                cid = await session.scalar(select(ERPConnection.id).where(ERPConnection.name == name))
            assert cid is not None
            acquired = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)
            await lease.claim(sessions, cid, holder, now=acquired, process=process, ttl=_hour_from(acquired))
        finally:
            await engine.dispose()

    asyncio.run(go())


def _hour_from(acquired: dt.datetime) -> dt.timedelta:
    return dt.datetime.now(dt.UTC) + dt.timedelta(hours=1) - acquired


def _release(jobs: Jobs, holder: str) -> None:
    async def go() -> None:
        engine = make_engine(jobs.env["DATABASE_URL"])
        try:
            async with engine.begin() as conn:
                gone = await conn.execute(
                    delete(ERPConnectionLease).where(ERPConnectionLease.holder == holder)
                )
            assert gone.rowcount == 1
        finally:
            await engine.dispose()

    asyncio.run(go())


def _inline_refused_then_runs(jobs: Jobs) -> None:
    jobs.add_connection("qb")
    _hold(jobs, "qb", OTHER)
    for command in (("sync", "vendors", "qb"), ("export", "--connection", "qb")):
        done = jobs.cli(*command, "--inline", "--json")
        assert done.returncode == 1, done.stderr
        assert done.stdout == "" and done.stderr.strip().count("\n") == 0, done.stderr
        assert done.stderr.strip() == (
            "error: connection qb is busy: job other-run on elsewhere/4242 is running a job on it since "
            "2026-03-01 12:00:00 UTC; wait for it or run without --inline"
        )
    assert jobs.ops() == []  # nothing ran

    _release(jobs, OTHER)
    done = jobs.cli("sync", "vendors", "qb", "--inline", "--json")
    assert done.returncode == 0, done.stderr
    assert [op["op"] for op in jobs.ops()] == ["import:vendor:None"]


def test_inline_refuses_in_one_line_while_another_run_holds_the_connection(jobs: Jobs) -> None:
    _inline_refused_then_runs(jobs)


def test_inline_refuses_while_another_run_holds_the_connection_on_postgres(pg_jobs: Jobs) -> None:
    _inline_refused_then_runs(pg_jobs)


def test_a_worker_job_waits_for_an_inline_run_and_completes_after_it(jobs: Jobs) -> None:
    jobs.add_connection("qb")
    inline = "laptop/777"  # an `--inline` run: its holder is its process
    _hold(jobs, "qb", inline, process=inline)
    queued = jobs.cli("payments", "sync", "--connection", "qb", "--no-wait", "--json")
    assert queued.returncode == 0, queued.stderr
    workflow_id = json.loads(queued.stdout)["workflow_id"]

    worker = jobs.worker("--exit-when-idle")
    lines: queue.Queue[str | None] = queue.Queue()
    seen: list[str] = []

    def read() -> None:
        assert worker.stdout is not None
        for line in worker.stdout:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=read, daemon=True).start()
    while not any(" waits: connection qb is busy: laptop/777 is running" in line for line in seen):
        try:
            line = lines.get(timeout=60)
        except queue.Empty:
            line = None
        assert line is not None, "".join(seen)
        seen.append(line)
    assert jobs.ops() == []  # it waited instead of running alongside
    _release(jobs, inline)
    assert worker.wait(timeout=60) == 0
    while (line := lines.get(timeout=10)) is not None:
        seen.append(line)
    assert " gave up" not in "".join(seen)
    assert [op["op"] for op in jobs.ops()] == ["payments"]
    status = jobs.cli("sync", "status", workflow_id, "--json")
    assert json.loads(status.stdout)["status"] == "SUCCESS", status.stdout
