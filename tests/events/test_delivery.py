"""Delivery of outbound events on SQLite and PostgreSQL, on an injected clock (no sleeping): signed per
Standard Webhooks and checked with the package's own `Webhook.verify`; retried on the published
schedule until delivered or the attempts are spent; 410 disables the subscription; only subscriptions
that want the type and existed when the event happened get it; a claimed delivery is not claimed
again until its lease expires; every attempt is in the delivery log, never the secret."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import uuid

import httpx
import pytest
from sqlalchemy import select
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from smartap_erp.app import events as app_events
from smartap_erp.app.context import AppContext
from smartap_erp.app.events import SubscriptionCreate, SubscriptionUpdate
from smartap_erp.db.models import ERPEvent, ERPEventDelivery, ERPEventSubscription
from smartap_erp.db.models.events import DeliveryStatus
from smartap_erp.errors import ConflictError
from smartap_erp.events import EventType, record_event
from smartap_erp.events.delivery import LEASE, MAX_ATTEMPTS, RETRY_DELAYS, claim, dispatch, run_pass
from tests.events.conftest import T0, URL, Receiver

HOLDER = "test-worker"


async def _subscribe(ctx: AppContext, *, at: dt.datetime = T0, types: list[EventType] | None = None) -> str:
    created = await app_events.add_subscription(ctx, SubscriptionCreate(url=URL, event_types=types), now=at)
    return created.secret


async def _event(ctx: AppContext, type_: str = "invoice.exported", *, at: dt.datetime = T0) -> uuid.UUID:
    async with ctx.sessions() as session, session.begin():
        data = {"invoice_id": "i-1", "total": "12.50", "currency": "USD"}
        event = await record_event(session, type_, connection_id=None, data=data, occurred_at=at)
    return event.id


async def _pass(ctx: AppContext, client: httpx.AsyncClient, at: dt.datetime) -> int:
    return (await run_pass(ctx.sessions, ctx.vault, client, now=at, holder=HOLDER)).attempted


async def _delivery(ctx: AppContext) -> ERPEventDelivery:
    async with ctx.sessions() as session:
        return (await session.scalars(select(ERPEventDelivery))).one()


async def test_a_delivery_verifies_with_standardwebhooks(
    ctx: AppContext, receiver: Receiver, client: httpx.AsyncClient
) -> None:
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)  # Webhook.verify checks against the real time
    secret = await _subscribe(ctx, at=now - dt.timedelta(minutes=1))
    event_id = await _event(ctx, at=now)
    assert await _pass(ctx, client, now) == 1
    [request] = receiver.requests
    headers = dict(request.headers)
    payload = Webhook(secret).verify(request.content, headers)
    assert payload == {
        "type": "invoice.exported",
        "timestamp": now.isoformat().replace("+00:00", "Z"),
        "data": {"connection_id": None, "invoice_id": "i-1", "total": "12.50", "currency": "USD"},
    }
    assert headers["webhook-id"] == f"evt_{event_id.hex}"
    assert headers["webhook-timestamp"] == str(int(now.timestamp()))
    assert headers["content-type"] == "application/json"
    with pytest.raises(WebhookVerificationError):  # another secret does not verify
        Webhook(await _subscribe(ctx)).verify(request.content, headers)
    with pytest.raises(WebhookVerificationError):  # nor a changed body
        Webhook(secret).verify(request.content.replace(b"12.50", b"99.50"), headers)
    delivery = await _delivery(ctx)
    assert delivery.status is DeliveryStatus.DELIVERED
    assert (delivery.attempts, delivery.last_status_code) == (1, 200)
    assert delivery.lease_holder is None
    detail = await app_events.get_delivery(ctx, delivery.id)
    assert [(a.number, a.status_code, a.error) for a in detail.attempt_log] == [(1, 200, None)]
    assert secret not in detail.model_dump_json()
    async with ctx.sessions() as session:
        stored = (await session.scalars(select(ERPEventSubscription))).first()
        assert stored is not None and secret.encode() not in stored.secret


async def test_failures_are_retried_on_the_schedule_until_delivered(
    ctx: AppContext, receiver: Receiver, client: httpx.AsyncClient
) -> None:
    await _subscribe(ctx)
    await _event(ctx)
    receiver.script = [500, httpx.ConnectError("connection refused"), httpx.ReadTimeout("slow"), 200]
    at = T0
    assert await _pass(ctx, client, at) == 1
    for attempt, delay in enumerate(RETRY_DELAYS[:3], start=1):
        delivery = await _delivery(ctx)
        assert delivery.status is DeliveryStatus.PENDING
        assert delivery.attempts == attempt
        assert delivery.next_attempt_at == at + delay
        assert await _pass(ctx, client, at + delay - dt.timedelta(seconds=1)) == 0  # not yet due
        at += delay
        assert await _pass(ctx, client, at) == 1
    delivery = await _delivery(ctx)
    assert (delivery.status, delivery.attempts, delivery.finished_at) == (DeliveryStatus.DELIVERED, 4, at)
    log = (await app_events.get_delivery(ctx, delivery.id)).attempt_log
    assert [a.status_code for a in log] == [500, None, None, 200]
    assert log[0].error == "HTTP 500: receiver says 500"
    assert log[1].error is not None and "ConnectError: connection refused" in log[1].error
    assert log[2].error == "no answer within 15 s"
    second, third = T0 + RETRY_DELAYS[0], T0 + RETRY_DELAYS[0] + RETRY_DELAYS[1]
    assert [a.started_at for a in log] == [T0, second, third, at]
    failed = await app_events.list_deliveries(ctx, failed=True)
    assert failed == []  # delivered in the end


async def test_attempts_are_bounded_then_the_delivery_fails(
    ctx: AppContext, receiver: Receiver, client: httpx.AsyncClient
) -> None:
    await _subscribe(ctx)
    await _event(ctx)
    receiver.script = [503] * 20
    at = T0
    await _pass(ctx, client, at)
    for delay in RETRY_DELAYS:
        at += delay
        assert await _pass(ctx, client, at) == 1
    delivery = await _delivery(ctx)
    assert delivery.status is DeliveryStatus.FAILED
    assert (delivery.attempts, delivery.next_attempt_at) == (MAX_ATTEMPTS, None)
    assert await _pass(ctx, client, at + dt.timedelta(days=30)) == 0
    assert len(receiver.requests) == MAX_ATTEMPTS == 8
    [failed] = await app_events.list_deliveries(ctx, failed=True)
    assert failed.last_error == "HTTP 503: receiver says 503"


async def test_a_redirect_is_a_failure_not_followed(
    ctx: AppContext, receiver: Receiver, client: httpx.AsyncClient
) -> None:
    await _subscribe(ctx)
    await _event(ctx)
    receiver.script = [301]
    await _pass(ctx, client, T0)
    delivery = await _delivery(ctx)
    assert delivery.status is DeliveryStatus.PENDING
    assert delivery.last_error is not None and "redirects are not followed" in delivery.last_error


async def test_410_disables_the_subscription_and_its_other_deliveries_wait(
    ctx: AppContext, receiver: Receiver, client: httpx.AsyncClient
) -> None:
    await _subscribe(ctx)
    first = await _event(ctx)
    receiver.script = [410]
    assert await _pass(ctx, client, T0) == 1
    [sub] = await app_events.list_subscriptions(ctx)
    assert not sub.enabled and sub.disabled_reason is not None and "410 Gone" in sub.disabled_reason
    [delivery] = await app_events.list_deliveries(ctx, event_id=first)
    assert delivery.status is DeliveryStatus.FAILED
    await _event(ctx, "sync.completed", at=T0 + dt.timedelta(seconds=1))
    assert await _pass(ctx, client, T0 + dt.timedelta(seconds=2)) == 0  # disabled: nothing fanned out to it
    with pytest.raises(ConflictError, match="disabled"):
        await app_events.replay(ctx, delivery.id)
    await app_events.update_subscription(ctx, sub.id, SubscriptionUpdate(enabled=True))
    replayed = await app_events.replay(ctx, delivery.id, now=T0 + dt.timedelta(seconds=3))
    assert [d.replay_of for d in replayed.deliveries] == [delivery.id]
    assert await _pass(ctx, client, T0 + dt.timedelta(seconds=3)) == 1
    assert receiver.requests[-1].headers["webhook-id"] == receiver.requests[0].headers["webhook-id"]
    assert (await app_events.get_delivery(ctx, replayed.deliveries[0].id)).status is DeliveryStatus.DELIVERED


async def test_types_and_subscription_time_decide_who_gets_an_event(
    ctx: AppContext, receiver: Receiver, client: httpx.AsyncClient
) -> None:
    await _subscribe(ctx, types=[EventType.SYNC_FAILED])
    await _subscribe(ctx)  # everything
    await _event(ctx, "invoice.exported")
    await _event(ctx, "sync.failed")
    await _subscribe(ctx, at=T0 + dt.timedelta(seconds=1))  # after both events: gets neither
    await _pass(ctx, client, T0 + dt.timedelta(seconds=2))
    sent = sorted(json.loads(r.content)["type"] for r in receiver.requests)
    assert sent == ["invoice.exported", "sync.failed", "sync.failed"]
    async with ctx.sessions() as session:
        assert all(e.dispatched_at is not None for e in await session.scalars(select(ERPEvent)))


async def test_replay_of_an_event_goes_to_every_enabled_subscription_that_wants_it(
    ctx: AppContext, receiver: Receiver, client: httpx.AsyncClient
) -> None:
    event_id = await _event(ctx)
    with pytest.raises(ConflictError, match="not been sent yet"):
        await app_events.replay(ctx, event_id)
    await _pass(ctx, client, T0)  # fanned out to nobody
    with pytest.raises(ConflictError, match=r"no enabled subscription wants invoice\.exported"):
        await app_events.replay(ctx, event_id)
    await _subscribe(ctx, at=T0 + dt.timedelta(seconds=1))
    await _subscribe(ctx, at=T0 + dt.timedelta(seconds=1), types=[EventType.SYNC_FAILED])
    replayed = await app_events.replay(ctx, event_id, now=T0 + dt.timedelta(seconds=2))
    assert len(replayed.deliveries) == 1 and replayed.deliveries[0].replay_of is None
    assert await _pass(ctx, client, T0 + dt.timedelta(seconds=2)) == 1


async def test_a_claimed_delivery_is_not_claimed_again_until_its_lease_expires(ctx: AppContext) -> None:
    await _subscribe(ctx)
    await _event(ctx)
    assert await dispatch(ctx.sessions, now=T0) == 1
    assert await dispatch(ctx.sessions, now=T0) == 0  # fanned out once
    first = await claim(ctx.sessions, now=T0, holder="a")
    assert len(first) == 1
    assert await claim(ctx.sessions, now=T0 + LEASE - dt.timedelta(seconds=1), holder="b") == []
    assert await claim(ctx.sessions, now=T0 + LEASE, holder="b") == first  # "a" died: taken over


async def test_two_workers_claiming_at_once_split_the_deliveries(ctx: AppContext) -> None:
    for _ in range(3):
        await _subscribe(ctx)
    for n in range(4):
        await _event(ctx, at=T0 + dt.timedelta(milliseconds=n))
    later = T0 + dt.timedelta(seconds=1)
    await dispatch(ctx.sessions, now=later)
    a, b = await asyncio.gather(
        claim(ctx.sessions, now=later, holder="a"), claim(ctx.sessions, now=later, holder="b")
    )
    assert not set(a) & set(b)
    assert len(a) + len(b) == 12
