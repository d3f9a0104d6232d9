"""Outbound events in the application layer (issue 16, item 2), what the CLI and REST API call:
subscriptions (add: the Standard Webhooks secret is generated here and returned this once, stored only
as vault ciphertext; list; change URL, types or enabled; remove), the events recorded, the delivery
log (each delivery with its attempts: status code, duration, error; never the secret) and replay.

Replay of a delivery sends its event again to the same subscription; replay of an event sends it again
to every enabled subscription that wants its type. Either way a new delivery is queued for the workers
with the same `webhook-id` (the event's), as the Standard Webhooks reference sender does on resend: a
receiver that processed it already can recognise it. A subscription URL must be http or https.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import AfterValidator, AwareDatetime, Field
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from smartap_erp.app.context import AppContext
from smartap_erp.app.models import AppModel, parse_id
from smartap_erp.db.base import utcnow
from smartap_erp.db.models.events import (
    DeliveryStatus,
    ERPEvent,
    ERPEventDelivery,
    ERPEventDeliveryAttempt,
    ERPEventSubscription,
)
from smartap_erp.errors import ConflictError, NotFoundError
from smartap_erp.events.delivery import new_delivery, wants
from smartap_erp.events.signing import new_secret, seal_secret
from smartap_erp.events.types import EventType

MAX_PAGE = 200


def _web_url(value: str) -> str:
    value = value.strip()
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https"):
        raise ValueError(f"the URL must start with http:// or https://, not {parts.scheme or 'nothing'}://")
    if not parts.hostname:
        raise ValueError("the URL names no host")
    if parts.fragment:
        raise ValueError("the URL must not have a #fragment (it is never sent)")
    return value


WebURL = Annotated[str, Field(min_length=8, max_length=2048), AfterValidator(_web_url)]


class SubscriptionCreate(AppModel):
    url: WebURL
    event_types: list[EventType] | None = Field(
        default=None, min_length=1, description="The types to send; omitted or null: all, future ones too"
    )
    description: str | None = Field(default=None, max_length=255)
    enabled: bool = True


class SubscriptionUpdate(AppModel):
    url: WebURL | None = None
    event_types: list[EventType] | None = Field(default=None, min_length=1)
    all_event_types: bool = Field(default=False, description="Send every type (clears event_types)")
    description: str | None = Field(default=None, max_length=255)
    enabled: bool | None = None


class SubscriptionInfo(AppModel):
    """A subscription as lists show it: never its secret."""

    id: uuid.UUID
    url: str
    description: str | None
    event_types: list[EventType] | None
    enabled: bool
    disabled_reason: str | None
    created_at: AwareDatetime
    updated_at: AwareDatetime
    created_by: str | None


class CreatedSubscription(SubscriptionInfo):
    secret: str  # `whsec_...`: shown this once; verify deliveries with it


class EventInfo(AppModel):
    id: uuid.UUID
    type: str
    connection_id: uuid.UUID | None
    occurred_at: AwareDatetime
    dispatched_at: AwareDatetime | None
    data: dict[str, object]


class AttemptInfo(AppModel):
    number: int
    started_at: AwareDatetime
    duration_ms: int
    status_code: int | None
    error: str | None


class DeliveryInfo(AppModel):
    id: uuid.UUID
    event_id: uuid.UUID
    event_type: str
    subscription_id: uuid.UUID
    url: str
    status: DeliveryStatus
    attempts: int
    next_attempt_at: AwareDatetime | None
    last_status_code: int | None
    last_error: str | None
    created_at: AwareDatetime
    finished_at: AwareDatetime | None
    replay_of: uuid.UUID | None


class DeliveryDetail(DeliveryInfo):
    attempt_log: list[AttemptInfo]


class Replayed(AppModel):
    deliveries: list[DeliveryInfo]


def _subscription(row: ERPEventSubscription) -> SubscriptionInfo:
    return SubscriptionInfo(
        id=row.id,
        url=row.url,
        description=row.description,
        event_types=None if row.event_types is None else [EventType(t) for t in row.event_types],
        enabled=row.enabled,
        disabled_reason=row.disabled_reason,
        created_at=row.created_at,
        updated_at=row.updated_at,
        created_by=row.created_by,
    )


def _types(types: list[EventType] | None) -> list[str] | None:
    return None if types is None else sorted({t.value for t in types})


async def add_subscription(
    ctx: AppContext, request: SubscriptionCreate, *, by: str | None = None, now: dt.datetime | None = None
) -> CreatedSubscription:
    """A new subscription with a new secret; the returned `secret` is the only copy shown."""
    now = now or utcnow()
    secret = new_secret()
    row = ERPEventSubscription(
        id=uuid.uuid4(),
        url=request.url,
        description=request.description,
        secret=seal_secret(ctx.vault, secret),
        event_types=_types(request.event_types),
        enabled=request.enabled,
        created_at=now,
        updated_at=now,
        created_by=by,
    )
    async with ctx.sessions() as session, session.begin():
        session.add(row)
    return CreatedSubscription(**_subscription(row).model_dump(), secret=secret)


async def list_subscriptions(ctx: AppContext) -> list[SubscriptionInfo]:
    async with ctx.sessions() as session:
        rows = await session.scalars(
            select(ERPEventSubscription).order_by(ERPEventSubscription.created_at, ERPEventSubscription.id)
        )
        return [_subscription(row) for row in rows]


async def _find_subscription(session: AsyncSession, value: str | uuid.UUID) -> ERPEventSubscription:
    row = await session.get(ERPEventSubscription, parse_id(value, "subscription"))
    if row is None:
        raise NotFoundError(
            f"no event subscription with id {value} (see `smartap-erp events subscriptions list`)"
        )
    return row


async def get_subscription(ctx: AppContext, subscription_id: str | uuid.UUID) -> SubscriptionInfo:
    async with ctx.sessions() as session:
        return _subscription(await _find_subscription(session, subscription_id))


async def update_subscription(
    ctx: AppContext,
    subscription_id: str | uuid.UUID,
    request: SubscriptionUpdate,
    *,
    now: dt.datetime | None = None,
) -> SubscriptionInfo:
    """Change what is given; enabling clears the reason it was disabled (its waiting deliveries resume)."""
    async with ctx.sessions() as session, session.begin():
        row = await _find_subscription(session, subscription_id)
        if request.url is not None:
            row.url = request.url
        if request.all_event_types:
            row.event_types = None
        elif request.event_types is not None:
            row.event_types = _types(request.event_types)
        if request.description is not None:
            row.description = request.description or None
        if request.enabled is not None:
            row.enabled = request.enabled
            row.disabled_reason = None if request.enabled else "disabled by a person"
        row.updated_at = now or utcnow()
        return _subscription(row)


async def remove_subscription(ctx: AppContext, subscription_id: str | uuid.UUID) -> SubscriptionInfo:
    """Delete the subscription with its deliveries and their log (the events stay)."""
    async with ctx.sessions() as session, session.begin():
        row = await _find_subscription(session, subscription_id)
        info = _subscription(row)
        await session.delete(row)
        return info


def _event(row: ERPEvent) -> EventInfo:
    return EventInfo(
        id=row.id,
        type=row.type,
        connection_id=row.connection_id,
        occurred_at=row.occurred_at,
        dispatched_at=row.dispatched_at,
        data=dict(row.data),
    )


async def list_events(
    ctx: AppContext, *, event_type: EventType | None = None, limit: int = 50, offset: int = 0
) -> list[EventInfo]:
    """Recorded events, newest first."""
    query = select(ERPEvent).order_by(ERPEvent.occurred_at.desc(), ERPEvent.id.desc())
    if event_type is not None:
        query = query.where(ERPEvent.type == event_type.value)
    async with ctx.sessions() as session:
        rows = await session.scalars(query.limit(min(limit, MAX_PAGE)).offset(offset))
        return [_event(row) for row in rows]


def _delivery(row: ERPEventDelivery, event_type: str, url: str) -> DeliveryInfo:
    return DeliveryInfo(
        id=row.id,
        event_id=row.event_id,
        event_type=event_type,
        subscription_id=row.subscription_id,
        url=url,
        status=row.status,
        attempts=row.attempts,
        next_attempt_at=row.next_attempt_at,
        last_status_code=row.last_status_code,
        last_error=row.last_error,
        created_at=row.created_at,
        finished_at=row.finished_at,
        replay_of=row.replay_of,
    )


_WITH_NAMES = (
    select(ERPEventDelivery, ERPEvent.type, ERPEventSubscription.url)
    .join(ERPEvent, ERPEvent.id == ERPEventDelivery.event_id)
    .join(ERPEventSubscription, ERPEventSubscription.id == ERPEventDelivery.subscription_id)
)


async def list_deliveries(
    ctx: AppContext,
    *,
    status: DeliveryStatus | None = None,
    failed: bool = False,
    subscription_id: str | uuid.UUID | None = None,
    event_id: str | uuid.UUID | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[DeliveryInfo]:
    """The delivery log, newest first. `failed`: given up, or pending after at least one failed try."""
    query = _WITH_NAMES.order_by(ERPEventDelivery.created_at.desc(), ERPEventDelivery.id.desc())
    if status is not None:
        query = query.where(ERPEventDelivery.status == status)
    if failed:
        query = query.where(
            (ERPEventDelivery.status == DeliveryStatus.FAILED)
            | ((ERPEventDelivery.status == DeliveryStatus.PENDING) & (ERPEventDelivery.attempts > 0))
        )
    if subscription_id is not None:
        query = query.where(ERPEventDelivery.subscription_id == parse_id(subscription_id, "subscription"))
    if event_id is not None:
        query = query.where(ERPEventDelivery.event_id == parse_id(event_id, "event"))
    async with ctx.sessions() as session:
        rows = await session.execute(query.limit(min(limit, MAX_PAGE)).offset(offset))
        return [_delivery(row, event_type, url) for row, event_type, url in rows]


async def get_delivery(ctx: AppContext, delivery_id: str | uuid.UUID) -> DeliveryDetail:
    wanted = parse_id(delivery_id, "delivery")
    async with ctx.sessions() as session:
        found = (await session.execute(_WITH_NAMES.where(ERPEventDelivery.id == wanted))).first()
        if found is None:
            raise NotFoundError(f"no event delivery with id {delivery_id}")
        attempts = await session.scalars(
            select(ERPEventDeliveryAttempt)
            .where(ERPEventDeliveryAttempt.delivery_id == wanted)
            .order_by(ERPEventDeliveryAttempt.number)
        )
        log = [
            AttemptInfo(
                number=a.number,
                started_at=a.started_at,
                duration_ms=a.duration_ms,
                status_code=a.status_code,
                error=a.error,
            )
            for a in attempts
        ]
        row, event_type, url = found
        return DeliveryDetail(**_delivery(row, event_type, url).model_dump(), attempt_log=log)


async def replay(
    ctx: AppContext, delivery_or_event_id: str | uuid.UUID, *, now: dt.datetime | None = None
) -> Replayed:
    """Queue the event again: to the delivery's subscription, or (an event id) to every enabled
    subscription wanting its type. Refused for a disabled subscription (enable it first)."""
    wanted = parse_id(delivery_or_event_id, "delivery or event")
    now = now or utcnow()
    async with ctx.sessions() as session, session.begin():
        delivery = await session.get(ERPEventDelivery, wanted)
        if delivery is not None:
            subscription = await session.get(ERPEventSubscription, delivery.subscription_id)
            assert subscription is not None
            if not subscription.enabled:
                raise ConflictError(
                    f"subscription {subscription.id} is disabled ({subscription.disabled_reason}); "
                    "enable it before replaying to it"
                )
            event = await session.get(ERPEvent, delivery.event_id)
            assert event is not None
            targets: list[tuple[ERPEventSubscription, uuid.UUID | None]] = [(subscription, delivery.id)]
        else:
            found = await session.get(ERPEvent, wanted)
            if found is None:
                raise NotFoundError(f"no event delivery and no event with id {delivery_or_event_id}")
            event = found
            if event.dispatched_at is None:
                raise ConflictError(f"event {event.id} has not been sent yet: the workers will deliver it")
            subscriptions = await session.scalars(
                select(ERPEventSubscription).where(ERPEventSubscription.enabled.is_(True))
            )
            targets = [(s, None) for s in subscriptions if wants(s, event.type)]
            if not targets:
                raise ConflictError(f"no enabled subscription wants {event.type} events")
        queued = []
        for subscription, of in targets:
            row = new_delivery(event.id, subscription.id, now=now, replay_of=of)
            session.add(row)
            queued.append(_delivery(row, event.type, subscription.url))
        return Replayed(deliveries=queued)


async def delivery_counts(ctx: AppContext) -> dict[str, int]:
    """How many deliveries are in each status (for a health line)."""
    async with ctx.sessions() as session:
        rows = await session.execute(
            select(ERPEventDelivery.status, func.count()).group_by(ERPEventDelivery.status)
        )
        return {str(status): int(count) for status, count in rows}
