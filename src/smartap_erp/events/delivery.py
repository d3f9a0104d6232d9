"""Delivering events on the workers: `run_pass` fans new outbox events out into deliveries (one per
enabled subscription that wants the type and existed when the event happened), claims the deliveries
that are due with a lease, sends them signed (`events.signing`) and records each attempt.

Outcome of an attempt: 2xx delivered; 410 Gone disables the subscription (the receiver says it is gone
for good; its pending deliveries wait, and are sent if it is enabled again) and fails the delivery;
anything else (3xx included: redirects are not followed, a timeout, a refused connection) is retried
on the Svix schedule the Standard Webhooks specification's reference sender uses: 5 s, 5 min, 30 min,
2 h, 5 h, 10 h, 10 h after the failures before, eight attempts in all, then `failed`.

Claiming is a conditional UPDATE (pending, due, no live lease), so two workers never send one delivery
at once; a worker that dies mid-send leaves a lease that expires after `LEASE`, and the delivery is
sent again (at-least-once: receivers deduplicate on `webhook-id`). Times come from the caller (`now`),
so tests move a clock instead of sleeping.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import httpx
from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from smartap_erp.db.models.events import (
    DeliveryStatus,
    ERPEvent,
    ERPEventDelivery,
    ERPEventDeliveryAttempt,
    ERPEventSubscription,
)
from smartap_erp.db.vault import CredentialVault
from smartap_erp.errors import CredentialDecryptionError
from smartap_erp.events.signing import open_secret, signed_request
from smartap_erp.http.redact import get_logger

# Delay before attempt n+1 after attempt n failed (Svix's published schedule; docs.svix.com/retries).
RETRY_DELAYS: tuple[dt.timedelta, ...] = (
    dt.timedelta(seconds=5),
    dt.timedelta(minutes=5),
    dt.timedelta(minutes=30),
    dt.timedelta(hours=2),
    dt.timedelta(hours=5),
    dt.timedelta(hours=10),
    dt.timedelta(hours=10),
)
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
TIMEOUT_SECONDS = 15.0  # an answer must come within this (Svix: 15 s)
LEASE = dt.timedelta(seconds=120)  # well beyond one attempt's timeout
BATCH = 50  # events fanned out / deliveries claimed per pass
CONCURRENCY = 8  # attempts in flight at once within a pass (one slow receiver does not hold the rest)
MAX_ERROR_CHARS = 500

log = get_logger(__name__)


@dataclass(frozen=True)
class PassResult:
    dispatched: int  # events fanned out
    attempted: int  # deliveries sent (whatever came back)
    delivered: int


def next_attempt_after(attempts: int, now: dt.datetime) -> dt.datetime | None:
    """When to try again after `attempts` failed attempts; None once they are spent."""
    if attempts >= MAX_ATTEMPTS:
        return None
    return now + RETRY_DELAYS[attempts - 1]


def wants(subscription: ERPEventSubscription, event_type: str) -> bool:
    return subscription.event_types is None or event_type in subscription.event_types


async def dispatch(sessions: async_sessionmaker[AsyncSession], *, now: dt.datetime) -> int:
    """Fan out up to `BATCH` outbox events; each is taken by one worker (a conditional UPDATE)."""
    async with sessions() as session:
        ids = list(
            await session.scalars(
                select(ERPEvent.id)
                .where(ERPEvent.dispatched_at.is_(None))
                .order_by(ERPEvent.occurred_at, ERPEvent.id)
                .limit(BATCH)
            )
        )
    done = 0
    for event_id in ids:
        async with sessions() as session, session.begin():
            taken = await session.execute(
                update(ERPEvent)
                .where(ERPEvent.id == event_id, ERPEvent.dispatched_at.is_(None))
                .values(dispatched_at=now)
            )
            if taken.rowcount != 1:  # type: ignore[attr-defined]
                continue  # another worker took it
            event = await session.get(ERPEvent, event_id)
            assert event is not None
            subscriptions = await session.scalars(
                select(ERPEventSubscription).where(
                    ERPEventSubscription.enabled.is_(True),
                    ERPEventSubscription.created_at <= event.occurred_at,
                )
            )
            for subscription in subscriptions:
                if wants(subscription, event.type):
                    session.add(new_delivery(event.id, subscription.id, now=now))
            done += 1
    return done


def new_delivery(
    event_id: uuid.UUID, subscription_id: uuid.UUID, *, now: dt.datetime, replay_of: uuid.UUID | None = None
) -> ERPEventDelivery:
    return ERPEventDelivery(
        id=uuid.uuid4(),
        event_id=event_id,
        subscription_id=subscription_id,
        status=DeliveryStatus.PENDING,
        attempts=0,
        next_attempt_at=now,
        created_at=now,
        replay_of=replay_of,
    )


async def claim(
    sessions: async_sessionmaker[AsyncSession], *, now: dt.datetime, holder: str, limit: int = BATCH
) -> list[uuid.UUID]:
    """Deliveries due now of enabled subscriptions, leased to `holder` (committed before sending)."""
    free = or_(ERPEventDelivery.lease_expires_at.is_(None), ERPEventDelivery.lease_expires_at <= now)
    due = (
        ERPEventDelivery.status == DeliveryStatus.PENDING,
        ERPEventDelivery.next_attempt_at <= now,
        free,
    )
    async with sessions() as session:
        candidates = list(
            await session.scalars(
                select(ERPEventDelivery.id)
                .join(ERPEventSubscription, ERPEventSubscription.id == ERPEventDelivery.subscription_id)
                .where(*due, ERPEventSubscription.enabled.is_(True))
                .order_by(ERPEventDelivery.next_attempt_at, ERPEventDelivery.id)
                .limit(limit)
            )
        )
    claimed = []
    for delivery_id in candidates:
        async with sessions() as session, session.begin():
            result = await session.execute(
                update(ERPEventDelivery)
                .where(ERPEventDelivery.id == delivery_id, *due)
                .values(lease_holder=holder, lease_expires_at=now + LEASE)
            )
            if result.rowcount == 1:  # type: ignore[attr-defined]
                claimed.append(delivery_id)
    return claimed


@dataclass(frozen=True)
class Answer:
    status_code: int | None
    error: str | None
    duration_ms: int


async def _post(client: httpx.AsyncClient, url: str, body: bytes, headers: dict[str, str]) -> Answer:
    started = time.perf_counter()

    def took() -> int:
        return round((time.perf_counter() - started) * 1000)

    try:
        response = await client.post(url, content=body, headers=headers, timeout=TIMEOUT_SECONDS)
    except httpx.TimeoutException:
        return Answer(None, f"no answer within {TIMEOUT_SECONDS:g} s", took())
    except httpx.HTTPError as exc:  # refused, DNS, TLS...: the exception's words, never the request
        return Answer(None, f"{type(exc).__name__}: {exc}"[:MAX_ERROR_CHARS] or type(exc).__name__, took())
    duration = took()
    if 200 <= response.status_code < 300:
        return Answer(response.status_code, None, duration)
    excerpt = response.text[:200].strip()
    if 300 <= response.status_code < 400:
        why = f"HTTP {response.status_code}: redirects are not followed; subscribe the final URL"
    else:
        why = f"HTTP {response.status_code}" + (f": {excerpt}" if excerpt else "")
    return Answer(response.status_code, why[:MAX_ERROR_CHARS], duration)


async def attempt(
    sessions: async_sessionmaker[AsyncSession],
    vault: CredentialVault,
    client: httpx.AsyncClient,
    delivery_id: uuid.UUID,
    *,
    now: dt.datetime,
    holder: str,
) -> DeliveryStatus | None:
    """Send one claimed delivery and record the attempt; its status afterwards (None: lease lost)."""
    async with sessions() as session:
        delivery = await session.get(ERPEventDelivery, delivery_id)
        if delivery is None or delivery.lease_holder != holder:
            return None
        event = await session.get(ERPEvent, delivery.event_id)
        subscription = await session.get(ERPEventSubscription, delivery.subscription_id)
        assert event is not None and subscription is not None  # FKs cascade
        url = subscription.url
        try:
            request = signed_request(event, open_secret(vault, subscription.secret), now=now)
        except CredentialDecryptionError as exc:
            request = None
            answer = Answer(None, str(exc), 0)
    if request is not None:
        answer = await _post(client, url, request.body, request.headers)
    return await _record(sessions, delivery_id, answer, now=now, holder=holder)


async def _record(
    sessions: async_sessionmaker[AsyncSession],
    delivery_id: uuid.UUID,
    answer: Answer,
    *,
    now: dt.datetime,
    holder: str,
) -> DeliveryStatus | None:
    async with sessions() as session, session.begin():
        delivery = await session.get(ERPEventDelivery, delivery_id, with_for_update=True)
        if delivery is None or delivery.lease_holder != holder:
            return None  # removed meanwhile, or our lease expired and another worker took it
        delivery.attempts += 1
        session.add(
            ERPEventDeliveryAttempt(
                id=uuid.uuid4(),
                delivery_id=delivery.id,
                number=delivery.attempts,
                started_at=now,
                duration_ms=answer.duration_ms,
                status_code=answer.status_code,
                error=answer.error,
            )
        )
        delivery.last_status_code, delivery.last_error = answer.status_code, answer.error
        delivery.lease_holder = delivery.lease_expires_at = None
        if answer.error is None:
            delivery.status, delivery.next_attempt_at, delivery.finished_at = (
                DeliveryStatus.DELIVERED,
                None,
                now,
            )
        elif answer.status_code == 410:
            subscription = await session.get(ERPEventSubscription, delivery.subscription_id)
            if subscription is not None and subscription.enabled:
                subscription.enabled, subscription.updated_at = False, now
                subscription.disabled_reason = f"the receiver answered 410 Gone at {now.isoformat()}"
                log.warning("event subscription %s disabled: its receiver answered 410 Gone", subscription.id)
            delivery.status, delivery.next_attempt_at, delivery.finished_at = DeliveryStatus.FAILED, None, now
        else:
            retry_at = next_attempt_after(delivery.attempts, now)
            delivery.next_attempt_at = retry_at
            if retry_at is None:
                delivery.status, delivery.finished_at = DeliveryStatus.FAILED, now
        return delivery.status


async def run_pass(
    sessions: async_sessionmaker[AsyncSession],
    vault: CredentialVault,
    client: httpx.AsyncClient,
    *,
    now: dt.datetime,
    holder: str,
    clock: Callable[[], dt.datetime] | None = None,
) -> PassResult:
    """One pass: fan out new events, then send what is due at `now`. `clock` (default: `now` for
    every attempt) stamps each attempt when it starts, for passes that take a while."""
    dispatched = await dispatch(sessions, now=now)
    claimed = await claim(sessions, now=now, holder=holder)
    gate = asyncio.Semaphore(CONCURRENCY)

    async def one(delivery_id: uuid.UUID) -> DeliveryStatus | None:
        async with gate:
            return await attempt(
                sessions, vault, client, delivery_id, now=clock() if clock else now, holder=holder
            )

    outcomes: Sequence[DeliveryStatus | None] = await asyncio.gather(*(one(d) for d in claimed))
    delivered = sum(1 for o in outcomes if o is DeliveryStatus.DELIVERED)
    return PassResult(dispatched, len(claimed), delivered)
