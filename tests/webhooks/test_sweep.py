"""The workers' webhook sweep (`app.webhooks.sweep`), on SQLite and PostgreSQL, with an injected clock:
an event a dead server left `received` past the grace period is dispatched again (its job requested,
the event marked queued), a fresh one is left to its live dispatch, a `failed` one is retried (and left
alone once older than a day), events older than 30 days are deleted, each pass is bounded, and two
sweeps at once claim each event once. Jobs are only queued (no worker runs): read back from the
request table."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select, update

from smartap_erp.app import syncs, webhooks
from smartap_erp.app.webhook_payloads import sign
from smartap_erp.db.models import ERPWebhookEvent
from tests.app.simulated import SimulatedApp
from tests.webhooks.test_receivers import QBO_TOKEN, BrokenQueue, add, legacy, requested

NOW = dt.datetime(2026, 12, 4, 12, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QUICKBOOKS_WEBHOOK_VERIFIER_TOKEN", QBO_TOKEN)


@pytest.fixture
async def queue(api_ctx: SimulatedApp) -> AsyncIterator[syncs.JobQueue]:
    opened = syncs.JobQueue(api_ctx.settings)
    yield opened
    opened.close()


async def receive(ctx: SimulatedApp, *entities: tuple[str, str]) -> list[uuid.UUID]:
    """Save Bill/Vendor events of realm 1111 as the receiver does (status `received`, no dispatch)."""
    body = legacy(("1111", [(name, ident, "Update") for name, ident in entities]))
    received = await webhooks.receive(ctx, "quickbooks", body, sign(QBO_TOKEN, body))
    return received.new_ids


async def age(ctx: SimulatedApp, ids: list[uuid.UUID], received_at: dt.datetime, status: str) -> None:
    async with ctx.sessions() as session, session.begin():
        await session.execute(
            update(ERPWebhookEvent)
            .where(ERPWebhookEvent.id.in_(ids))
            .values(received_at=received_at, status=status)
        )


async def statuses(ctx: SimulatedApp) -> dict[str, str]:
    async with ctx.sessions() as session:
        rows = (await session.scalars(select(ERPWebhookEvent))).all()
        return {row.entity_id: row.status for row in rows}


async def test_received_past_the_grace_is_queued_and_a_fresh_one_left_alone(
    api_ctx: SimulatedApp, queue: syncs.JobQueue
) -> None:
    connection = await add(api_ctx, "quickbooks", "Books A", realm_id="1111")
    stale = await receive(api_ctx, ("Bill", "1"), ("Vendor", "2"))
    fresh = await receive(api_ctx, ("Bill", "3"))
    await age(api_ctx, stale, NOW - webhooks.SWEEP_GRACE - dt.timedelta(seconds=1), "received")
    await age(api_ctx, fresh, NOW - webhooks.SWEEP_GRACE + dt.timedelta(seconds=1), "received")
    swept = await webhooks.sweep(api_ctx, queue, now=NOW)
    assert swept.retried == {"quickbooks": 2} and swept.jobs == 2 and swept.deleted == 0
    assert await statuses(api_ctx) == {"1": "queued", "2": "queued", "3": "received"}
    assert await requested(api_ctx) == {(connection, "payments:"), (connection, "sync:vendor")}
    async with api_ctx.sessions() as session:
        details = set((await session.scalars(select(ERPWebhookEvent.detail))).all())
    assert any(d and d.startswith("payments job ") for d in details)
    again = await webhooks.sweep(api_ctx, queue, now=NOW)
    assert again.retried == {} and await statuses(api_ctx) == {"1": "queued", "2": "queued", "3": "received"}


async def test_a_failed_event_is_retried_until_a_day_old(
    api_ctx: SimulatedApp, queue: syncs.JobQueue
) -> None:
    connection = await add(api_ctx, "quickbooks", "Books A", realm_id="1111")
    recent = await receive(api_ctx, ("Bill", "1"))
    await webhooks.dispatch(api_ctx, BrokenQueue(api_ctx.settings), "quickbooks", recent)
    await age(api_ctx, recent, NOW - dt.timedelta(seconds=5), "failed")  # failed: no grace to wait
    stale = await receive(api_ctx, ("Vendor", "2"))
    await age(api_ctx, stale, NOW - webhooks.RETRY_WITHIN - dt.timedelta(seconds=1), "failed")
    assert await statuses(api_ctx) == {"1": "failed", "2": "failed"}
    still_down = await webhooks.sweep(api_ctx, BrokenQueue(api_ctx.settings), now=NOW)
    assert still_down.retried == {"quickbooks": 1} and still_down.failed == 1
    assert await statuses(api_ctx) == {"1": "failed", "2": "failed"}
    swept = await webhooks.sweep(api_ctx, queue, now=NOW)
    assert swept.retried == {"quickbooks": 1} and swept.jobs == 1
    assert await statuses(api_ctx) == {"1": "queued", "2": "failed"}
    assert await requested(api_ctx) == {(connection, "payments:")}


async def test_events_older_than_thirty_days_are_deleted_a_batch_at_a_time(
    api_ctx: SimulatedApp, queue: syncs.JobQueue
) -> None:
    old = await receive(api_ctx, *[("Invoice", str(n)) for n in range(5)])
    kept = await receive(api_ctx, ("Invoice", "kept"))
    await age(api_ctx, old, NOW - webhooks.KEEP_FOR - dt.timedelta(seconds=1), "ignored")
    await age(api_ctx, kept, NOW - webhooks.KEEP_FOR + dt.timedelta(seconds=1), "ignored")
    first = await webhooks.sweep(api_ctx, queue, now=NOW, limit=3)
    assert first.deleted == 3 and len(await statuses(api_ctx)) == 3
    second = await webhooks.sweep(api_ctx, queue, now=NOW, limit=3)
    assert second.deleted == 2 and await statuses(api_ctx) == {"kept": "ignored"}


async def test_each_pass_claims_at_most_its_limit_oldest_first(
    api_ctx: SimulatedApp, queue: syncs.JobQueue
) -> None:
    await add(api_ctx, "quickbooks", "Books A", realm_id="1111")
    ids = await receive(api_ctx, *[("Bill", str(n)) for n in range(4)])
    for n, ident in enumerate(ids):
        await age(api_ctx, [ident], NOW - dt.timedelta(minutes=10 + n), "received")
    first = await webhooks.sweep(api_ctx, queue, now=NOW, limit=3)
    assert first.retried == {"quickbooks": 3}
    assert await statuses(api_ctx) == {"0": "received", "1": "queued", "2": "queued", "3": "queued"}
    second = await webhooks.sweep(api_ctx, queue, now=NOW, limit=3)
    assert second.retried == {"quickbooks": 1} and set((await statuses(api_ctx)).values()) == {"queued"}


async def test_two_sweeps_at_once_claim_each_event_once(api_ctx: SimulatedApp, queue: syncs.JobQueue) -> None:
    connection = await add(api_ctx, "quickbooks", "Books A", realm_id="1111")
    ids = await receive(api_ctx, *[("Bill", str(n)) for n in range(20)], ("Vendor", "v"))
    await age(api_ctx, ids, NOW - dt.timedelta(minutes=5), "received")
    other = syncs.JobQueue(api_ctx.settings)
    try:
        results = await asyncio.gather(
            webhooks.sweep(api_ctx, queue, now=NOW), webhooks.sweep(api_ctx, other, now=NOW)
        )
    finally:
        other.close()
    assert sum(r.retried.get("quickbooks", 0) for r in results) == 21
    assert set((await statuses(api_ctx)).values()) == {"queued"}
    assert await requested(api_ctx) == {(connection, "payments:"), (connection, "sync:vendor")}


async def test_the_worker_upkeep_runs_the_sweep(api_ctx: SimulatedApp) -> None:
    from smartap_erp.jobs.worker import Upkeep

    connection = await add(api_ctx, "quickbooks", "Books A", realm_id="1111")
    ids = await receive(api_ctx, ("Bill", "1"))
    await age(api_ctx, ids, dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5), "received")
    upkeep = await asyncio.to_thread(Upkeep, api_ctx.settings, "sweep-test")
    try:
        await asyncio.to_thread(upkeep.tick)  # its own event loop, as on the worker's main thread
    finally:
        await asyncio.to_thread(upkeep.close)
    assert await statuses(api_ctx) == {"1": "queued"}
    assert await requested(api_ctx) == {(connection, "payments:")}
