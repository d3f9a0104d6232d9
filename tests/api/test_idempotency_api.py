"""`Idempotency-Key`s kept in the database, on SQLite and PostgreSQL. Over HTTP: an export with a key
stores one row (API key, key, request hash, job, 24 h expiry) and a repeat is answered from it even by
a freshly built app (a restarted server); another request with the key is 422; another API key may use
the same key; a request that queues nothing (unknown invoice) leaves the key free. In the application
layer, with a queue held open by an event (no sleeping): a second request while the first is queueing
is 409 and queues nothing, so one key gives one job; expired keys (24 h, injected clock) and claims
abandoned by a dead request are taken over."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid

import httpx
import pytest
from sqlalchemy import func, select, update

from smartap_erp.api.app import create_app
from smartap_erp.app import api_keys
from smartap_erp.app.api_keys import APIKeyCreate, Scope
from smartap_erp.app.invoice_actions import (
    IdempotencyKeyInProgressError,
    IdempotencyKeyReusedError,
    IdempotencyKeys,
)
from smartap_erp.app.syncs import JobRequested
from smartap_erp.db.models import APIIdempotencyKey
from tests.api.conftest import BASE_URL, SimulatedApp, bearer
from tests.api.test_connections_api import problem
from tests.api.test_invoices_api import URL, add_vendors, invoice
from tests.jobs.dbhelpers import add_connection

T0 = dt.datetime(2026, 3, 1, 12, tzinfo=dt.UTC)


async def _rows(api_ctx: SimulatedApp) -> list[APIIdempotencyKey]:
    async with api_ctx.sessions() as session:
        return list(await session.scalars(select(APIIdempotencyKey).order_by(APIIdempotencyKey.created_at)))


async def test_a_key_is_stored_and_replayed_by_another_app(
    api: httpx.AsyncClient, api_ctx: SimulatedApp
) -> None:
    await add_vendors(api_ctx)
    await api.post(URL, json=[invoice("K-1"), invoice("K-2")])
    await add_connection(api_ctx.sessions, "qb")
    key = {"Idempotency-Key": "export-K-1"}

    problem(await api.post(f"{URL}/K-9/export", json={"connection": "qb"}, headers=key), 404)
    assert await _rows(api_ctx) == []  # nothing queued: the key is free
    first = await api.post(f"{URL}/K-1/export", json={"connection": "qb"}, headers=key)
    assert first.status_code == 202, first.text
    job = first.json()

    [row] = await _rows(api_ctx)
    assert (row.key, row.job_id, len(row.request_hash)) == ("export-K-1", job["job_id"], 64)
    assert row.expires_at - row.created_at == dt.timedelta(hours=24)
    restarted = create_app(api_ctx.settings, context=api_ctx)  # a new server: nothing in memory
    async with (
        restarted.router.lifespan_context(restarted),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(restarted), base_url=BASE_URL, headers=api.headers
        ) as again,
    ):
        replay = await again.post(f"{URL}/K-1/export", json={"connection": "qb"}, headers=key)
        assert replay.status_code == 202, replay.text
        assert (replay.json()["job_id"], replay.json()["joined"]) == (job["job_id"], True)
        reused = problem(await again.post(f"{URL}/K-2/export", json={"connection": "qb"}, headers=key), 422)
        assert "Idempotency-Key" in reused["detail"]

    other_key = (await api_keys.create(api_ctx, APIKeyCreate(name="other", scope=Scope.WRITE))).key
    theirs = await api.post(
        f"{URL}/K-2/export", json={"connection": "qb"}, headers={**key, **bearer(other_key)}
    )
    assert theirs.status_code == 202 and theirs.json()["job_id"] != job["job_id"]
    assert len(await _rows(api_ctx)) == 2


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> dt.datetime:
        return self.now


class HeldQueue:
    """A `queue_it` that waits for `release` and answers a new job id each call."""

    def __init__(self) -> None:
        self.calls = 0
        self.entered = asyncio.Event()
        self.release = asyncio.Event()

    async def __call__(self) -> JobRequested:
        self.calls += 1
        self.entered.set()
        await self.release.wait()
        return JobRequested(
            job_id=f"job-{self.calls}", joined=False, title="export", connection_id=None, worker_alive=True
        )


async def _caller(api_ctx: SimulatedApp) -> uuid.UUID:
    return (await api_keys.create(api_ctx, APIKeyCreate(name="smartap", scope=Scope.WRITE))).id


async def test_a_key_in_flight_gives_one_job(api_ctx: SimulatedApp) -> None:
    caller, clock, queue = await _caller(api_ctx), Clock(), HeldQueue()
    keys = IdempotencyKeys(api_ctx, clock)
    hashed = keys.fingerprint("export", "K-1")

    first = asyncio.create_task(keys.once(caller, "k", hashed, queue))
    await queue.entered.wait()
    with pytest.raises(IdempotencyKeyInProgressError):
        await IdempotencyKeys(api_ctx, clock).once(caller, "k", hashed, queue)
    queue.release.set()
    done = await first

    assert (done.job_id, done.joined, queue.calls) == ("job-1", False, 1)
    replayed = await IdempotencyKeys(api_ctx, clock).once(caller, "k", hashed, queue)
    assert (replayed.job_id, replayed.joined, queue.calls) == ("job-1", True, 1)
    with pytest.raises(IdempotencyKeyReusedError):
        await keys.once(caller, "k", keys.fingerprint("export", "K-2"), queue)


async def test_concurrent_requests_with_one_key_queue_once(api_ctx: SimulatedApp) -> None:
    caller, queue = await _caller(api_ctx), HeldQueue()
    queue.release.set()
    keys = IdempotencyKeys(api_ctx, Clock())
    hashed = keys.fingerprint("export", "K-1")

    answers = await asyncio.gather(
        *(keys.once(caller, "k", hashed, queue) for _ in range(5)), return_exceptions=True
    )

    assert queue.calls == 1
    jobs = [a for a in answers if isinstance(a, JobRequested)]
    assert {j.job_id for j in jobs} == {"job-1"} and [j.joined for j in jobs].count(False) == 1
    assert all(isinstance(a, IdempotencyKeyInProgressError) for a in answers if a not in jobs)


async def test_expired_and_abandoned_keys_are_taken_over(api_ctx: SimulatedApp) -> None:
    caller, clock, queue = await _caller(api_ctx), Clock(), HeldQueue()
    queue.release.set()
    keys = IdempotencyKeys(api_ctx, clock)
    await keys.once(caller, "k", keys.fingerprint("a"), queue)

    clock.now += dt.timedelta(hours=24)  # expired: the key is new again, even for another request
    again = await keys.once(caller, "k", keys.fingerprint("b"), queue)
    assert (again.job_id, again.joined) == ("job-2", False)

    async with api_ctx.sessions() as session, session.begin():  # a request that died after its claim
        await session.execute(update(APIIdempotencyKey).values(job_id=None, answer=None))
    clock.now += dt.timedelta(minutes=4)
    with pytest.raises(IdempotencyKeyInProgressError):
        await keys.once(caller, "k", keys.fingerprint("b"), queue)
    clock.now += dt.timedelta(minutes=1)
    taken = await keys.once(caller, "k", keys.fingerprint("b"), queue)
    assert (taken.job_id, taken.joined) == ("job-3", False)
    async with api_ctx.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(APIIdempotencyKey)) == 1
