"""Outbound events over HTTP at `/api/v1/erp/events` (issue 16, item 2; docs/events.md).

Subscriptions (`admin` key): create (201; the `whsec_` secret is in this one response, never again),
list, read, change (URL, types, description, enabled) and delete. Events, the delivery log and one
delivery with its attempts (`read`). Replay of a delivery or of an event (`write`): 202 with the
deliveries queued for the workers. The event types are listed at `/api/v1/erp/events/types`. Each
endpoint calls one `app.events` function; nothing here touches the database.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from smartap_erp.api.deps import AdminKey, Ctx, ReadKey, WriteKey
from smartap_erp.app import events
from smartap_erp.app.events import (
    CreatedSubscription,
    DeliveryDetail,
    DeliveryInfo,
    EventInfo,
    Replayed,
    SubscriptionCreate,
    SubscriptionInfo,
    SubscriptionUpdate,
)
from smartap_erp.db.models.events import DeliveryStatus
from smartap_erp.events.types import EventType

PREFIX = "/api/v1/erp/events"
MAX_LIMIT = events.MAX_PAGE

router = APIRouter(prefix=PREFIX, tags=["events"])

Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Page size")]
Offset = Annotated[int, Query(ge=0, le=1_000_000, description="Rows to skip")]
Id = Annotated[str, Query(max_length=64)]


@router.get("/types", summary="The event types one can subscribe to")
async def list_types(_: ReadKey) -> list[EventType]:
    return list(EventType)


@router.post("/subscriptions", status_code=201, summary="Subscribe a URL (the secret is shown once)")
async def add_subscription(body: SubscriptionCreate, ctx: Ctx, key: AdminKey) -> CreatedSubscription:
    return await events.add_subscription(ctx, body, by=f"api-key:{key.name}")


@router.get("/subscriptions", summary="List subscriptions (never their secrets)")
async def list_subscriptions(ctx: Ctx, _: AdminKey) -> list[SubscriptionInfo]:
    return await events.list_subscriptions(ctx)


@router.get("/subscriptions/{subscription_id}", summary="One subscription")
async def get_subscription(subscription_id: str, ctx: Ctx, _: AdminKey) -> SubscriptionInfo:
    return await events.get_subscription(ctx, subscription_id)


@router.patch("/subscriptions/{subscription_id}", summary="Change a subscription, enable or disable it")
async def update_subscription(
    subscription_id: str, body: SubscriptionUpdate, ctx: Ctx, _: AdminKey
) -> SubscriptionInfo:
    return await events.update_subscription(ctx, subscription_id, body)


@router.delete("/subscriptions/{subscription_id}", summary="Delete a subscription and its delivery log")
async def remove_subscription(subscription_id: str, ctx: Ctx, _: AdminKey) -> SubscriptionInfo:
    return await events.remove_subscription(ctx, subscription_id)


@router.get("/deliveries", summary="The delivery log, newest first")
async def list_deliveries(
    ctx: Ctx,
    _: ReadKey,
    status: DeliveryStatus | None = None,
    failed: Annotated[bool, Query(description="Given up, or waiting after a failed attempt")] = False,
    subscription_id: Id | None = None,
    event_id: Id | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> list[DeliveryInfo]:
    return await events.list_deliveries(
        ctx,
        status=status,
        failed=failed,
        subscription_id=subscription_id,
        event_id=event_id,
        limit=limit,
        offset=offset,
    )


@router.get("/deliveries/{delivery_id}", summary="One delivery with every attempt")
async def get_delivery(delivery_id: str, ctx: Ctx, _: ReadKey) -> DeliveryDetail:
    return await events.get_delivery(ctx, delivery_id)


@router.post("/deliveries/{delivery_id}/replay", status_code=202, summary="Send a delivery's event again")
async def replay_delivery(delivery_id: str, ctx: Ctx, _: WriteKey) -> Replayed:
    return await events.replay(ctx, delivery_id)


@router.get("", summary="Events recorded, newest first")
async def list_events(
    ctx: Ctx, _: ReadKey, type: EventType | None = None, limit: Limit = 50, offset: Offset = 0
) -> list[EventInfo]:
    return await events.list_events(ctx, event_type=type, limit=limit, offset=offset)


@router.post(
    "/{event_id}/replay", status_code=202, summary="Send an event again to every subscription wanting it"
)
async def replay_event(event_id: str, ctx: Ctx, _: WriteKey) -> Replayed:
    return await events.replay(ctx, event_id)
