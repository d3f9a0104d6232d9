"""Syncs and jobs over HTTP on SQLite and PostgreSQL: a sync request answers 202 with the job id and
its status URL and is only queued (no sync log exists until a worker runs it); with no worker alive it
is queued all the same and says so; an identical request joins the queued job; a job's status reads
back; `since`/`limit`/`full` are checked as the request comes in; unknown connections and jobs are
404; a job that did not fail cannot be retried (409); one a worker process failed is queued again as
a new job that the next worker completes; syncs need a write key, job status a read key."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import httpx
from dbos import DBOSClient
from sqlalchemy import func, select

from smartap_erp.api.app import create_app
from smartap_erp.app import api_keys
from smartap_erp.app.api_keys import APIKeyCreate, Scope
from smartap_erp.app.context import open_app
from smartap_erp.db.models import ERPSyncLog
from smartap_erp.jobs import heartbeat
from smartap_erp.jobs.config import SYSTEM_SCHEMA, system_database_url
from smartap_erp.jobs.workflows import SYNC_WORKFLOW
from smartap_erp.settings import Settings
from tests.api.conftest import KeyFor, SimulatedApp, bearer
from tests.jobs.conftest import CREDENTIALS, Jobs, jobs  # noqa: F401 - `jobs`: worker processes on SQLite
from tests.jobs.dbhelpers import add_connection

SYNC = "/api/v1/erp/connections/{}/sync/{}"
JOBS = "/api/v1/jobs"


async def test_a_sync_is_queued_never_run_and_says_no_worker_is_alive(
    api: httpx.AsyncClient, api_ctx: SimulatedApp
) -> None:
    cid = str(await add_connection(api_ctx.sessions, "qb"))

    queued = await api.post(SYNC.format(cid, "vendors"), json={"limit": 5})
    assert queued.status_code == 202, queued.text
    job = queued.json()
    assert (job["joined"], job["worker_alive"], job["connection_id"]) == (False, False, cid)
    assert job["title"] == "sync vendor of qb" and "no worker is running" in job["warning"]
    assert job["status_url"] == f"{JOBS}/{job['job_id']}" == queued.headers["location"]

    status = (await api.get(job["status_url"])).json()
    assert (status["workflow_id"], status["workflow"], status["status"]) == (
        job["job_id"],
        SYNC_WORKFLOW,
        "ENQUEUED",
    )
    assert (status["outcome"], status["finished"], status["progress"]) == (
        "pending",
        False,
        {"done": 0, "total": None},
    )
    assert status["sync_log_ids"] == status["sync_log_urls"] == []
    async with api_ctx.sessions() as session:  # nothing ran inside the request
        assert await session.scalar(select(func.count()).select_from(ERPSyncLog)) == 0

    again = (await api.post(SYNC.format("qb", "vendors"), json={"limit": 5})).json()
    assert (again["job_id"], again["joined"]) == (job["job_id"], True)
    other = (await api.post(SYNC.format(cid, "all"))).json()  # no body: since the stored cursor
    assert other["job_id"] != job["job_id"] and other["title"] == "sync vendor+purchase_order of qb"


async def test_with_a_worker_alive_there_is_no_warning(api: httpx.AsyncClient, api_ctx: SimulatedApp) -> None:
    await add_connection(api_ctx.sessions, "qb")
    now = dt.datetime.now(dt.UTC)
    await heartbeat.beat(api_ctx.sessions, "w1", now=now, started_at=now)

    job = (await api.post(SYNC.format("qb", "purchase-orders"), json={"full": True})).json()
    assert (job["worker_alive"], job["warning"], job["title"]) == (True, None, "sync purchase_order of qb")


async def test_requests_are_checked_as_they_come_in(api: httpx.AsyncClient, api_ctx: SimulatedApp) -> None:
    await add_connection(api_ctx.sessions, "qb")
    url = SYNC.format("qb", "vendors")

    cases: list[tuple[dict[str, Any], str]] = [
        ({"since": "2026-01-01T00:00:00"}, "/body/since"),  # naive: which zone?
        ({"limit": 0}, "/body/limit"),
        ({"since": "0001-01-01T00:00:00+01:00"}, "/body/since"),
        ({"other": 1}, "/body/other"),
        ({"full": True, "since": "2026-01-01T00:00:00Z"}, "/body"),
    ]
    for sent, pointer in cases:
        refused = await api.post(url, json=sent)
        assert refused.status_code == 422, (sent, refused.text)
        assert refused.headers["content-type"] == "application/problem+json"
        assert [e["pointer"] for e in refused.json()["errors"]] == [pointer], sent

    since = await api.post(url, json={"since": "2026-01-01T02:00:00+02:00"})
    assert since.status_code == 202
    assert (await api.post(SYNC.format("nope", "vendors"))).status_code == 404
    assert (await api.get(f"{JOBS}/no-such-job")).status_code == 404
    assert (await api.post(f"{JOBS}/no-such-job/retry")).status_code == 404


async def test_a_job_that_did_not_fail_is_not_retried(api: httpx.AsyncClient, api_ctx: SimulatedApp) -> None:
    await add_connection(api_ctx.sessions, "qb")
    job_id = (await api.post(SYNC.format("qb", "vendors"))).json()["job_id"]
    refused = await api.post(f"{JOBS}/{job_id}/retry")
    assert refused.status_code == 409 and "is ENQUEUED, not failed" in refused.json()["detail"]


async def test_a_failed_job_is_retried_as_a_new_job_a_worker_runs(jobs: Jobs) -> None:  # noqa: F811
    """End to end with worker processes (the sync engine faked by tests/jobs/fakes.py): the first run
    fails authentication, the retry is a new job, and the next worker completes it."""
    settings = Settings(
        database_url=jobs.env["DATABASE_URL"], smartap_encryption_keys=jobs.env["SMARTAP_ENCRYPTION_KEYS"]
    )
    async with open_app(settings) as ctx:
        app = create_app(settings, context=ctx)
        admin = await api_keys.create(ctx, APIKeyCreate(name="admin", scope=Scope.ADMIN))
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app), base_url="http://api.test", headers=bearer(admin.key)
            ) as api,
        ):
            made = await api.post(
                "/api/v1/erp/connections",
                json={"system": "quickbooks", "name": "qb", "credentials": CREDENTIALS},
            )
            assert made.status_code == 201, made.text
            job = (await api.post(SYNC.format("qb", "vendors"))).json()

            await asyncio.to_thread(jobs.run_worker_until_idle, SMARTAP_FAKE_AUTH="1", SMARTAP_FAKE_FAIL="0")
            failed = (await api.get(job["status_url"])).json()
            assert (failed["status"], failed["outcome"], failed["finished"]) == ("ERROR", "failed", True)
            assert "token revoked" in failed["error"]

            retried = await api.post(f"{JOBS}/{job['job_id']}/retry")
            assert retried.status_code == 202, retried.text
            again = retried.json()
            assert again["job_id"] != job["job_id"] and not again["joined"]
            assert again["title"] == f"retry of {job['job_id']}"

            await asyncio.to_thread(jobs.run_worker_until_idle)
            done = (await api.get(again["status_url"])).json()
            assert (done["status"], done["outcome"]) == ("SUCCESS", "completed"), done
            assert [op["op"] for op in jobs.ops()] == ["import:vendor:None"]


async def test_a_job_cancelled_while_queued_is_retried_as_a_new_job(
    api: httpx.AsyncClient, api_ctx: SimulatedApp
) -> None:
    await add_connection(api_ctx.sessions, "qb")
    job_id = (await api.post(SYNC.format("qb", "vendors"))).json()["job_id"]
    await asyncio.to_thread(_cancel, api_ctx, job_id)
    assert (await api.get(f"{JOBS}/{job_id}")).json()["outcome"] == "failed"
    again = (await api.post(f"{JOBS}/{job_id}/retry")).json()
    assert again["job_id"] != job_id


def _cancel(ctx: SimulatedApp, job_id: str) -> None:
    client = DBOSClient(
        system_database_url=system_database_url(ctx.settings), dbos_system_schema=SYSTEM_SCHEMA
    )
    try:
        client.cancel_workflow(job_id)
    finally:
        client.destroy()


async def test_scopes(anon: httpx.AsyncClient, key_for: KeyFor, api_ctx: SimulatedApp) -> None:
    await add_connection(api_ctx.sessions, "qb")
    read, write = bearer(await key_for("read")), bearer(await key_for("write"))
    url = SYNC.format("qb", "vendors")

    assert (await anon.post(url)).status_code == 401
    assert (await anon.post(url, headers=read)).status_code == 403
    queued = await anon.post(url, headers=write)
    assert queued.status_code == 202
    job = queued.json()["status_url"]
    assert (await anon.get(job, headers=read)).status_code == 200
    assert (await anon.post(f"{job}/retry", headers=read)).status_code == 403
