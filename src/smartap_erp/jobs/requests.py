"""Joining identical pending requests: the `erp_sync_requests` table.

DBOS does not deduplicate on a partitioned queue (see `DBOS.register_queue`), and our queue must be
partitioned by connection so one connection never runs two syncs at once. So a requester first
inserts (connection, request key, new workflow id); the unique constraint lets exactly one of two
racing requesters win, and the loser joins the winner's workflow. The workflow's first step deletes
its row: a request arriving once the sync is running queues a new one (which then waits for the
running one, the partition's concurrency being 1). A row whose workflow never got enqueued (the
requester died in between) is taken over after `STALE_AFTER`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from collections.abc import Awaitable, Callable, Sequence

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from smartap_erp.db.models import ERPSyncRequest

STALE_AFTER = dt.timedelta(minutes=2)


def request_key(
    kind: str,
    *,
    entities: Sequence[str] = (),
    since: str | None = None,
    limit: int | None = None,
    invoice_ids: Sequence[str] | None = None,
    full: bool = False,
) -> str:
    """What makes two requests the same job: kind, sorted entities, since, limit, full, invoice ids."""
    parts = [kind, ",".join(sorted(entities)), f"since={since or ''}", f"limit={limit or ''}"]
    if full:
        parts.append("full")
    if invoice_ids is not None:
        digest = hashlib.sha256(",".join(sorted(invoice_ids)).encode()).hexdigest()[:32]
        parts.append(f"invoices={digest}")
    return "|".join(parts)


async def claim(
    sessions: async_sessionmaker[AsyncSession],
    connection_id: uuid.UUID,
    key: str,
    workflow_id: str,
    *,
    workflow_exists: Callable[[str], Awaitable[bool]],
    workflow_done: Callable[[str], Awaitable[bool]] | None = None,
    now: dt.datetime | None = None,
) -> tuple[str, bool]:
    """(the workflow id to use, whether the caller must enqueue it): ours if we won the insert,
    else the pending workflow's, unless that one is stale (never enqueued) or already done
    (`workflow_done`: a job cancelled while queued never runs the step that deletes its row)."""
    now = now or dt.datetime.now(dt.UTC)
    for _ in range(3):
        try:
            async with sessions() as session, session.begin():
                session.add(
                    ERPSyncRequest(
                        id=uuid.uuid4(),
                        connection_id=connection_id,
                        request_key=key,
                        workflow_id=workflow_id,
                        requested_at=now,
                    )
                )
            return workflow_id, True
        except IntegrityError:
            pass
        existing = await _pending(sessions, connection_id, key)
        if existing is None:
            continue  # it started (and released its row) meanwhile: try again
        done = workflow_done is not None and await workflow_done(existing.workflow_id)
        if not done and (
            existing.requested_at > now - STALE_AFTER or await workflow_exists(existing.workflow_id)
        ):
            return existing.workflow_id, False
        if await _take_over(sessions, existing, workflow_id, now):
            return workflow_id, True
    raise RuntimeError(f"could not queue {key!r} for connection {connection_id}: the request kept changing")


async def _pending(
    sessions: async_sessionmaker[AsyncSession], connection_id: uuid.UUID, key: str
) -> ERPSyncRequest | None:
    async with sessions() as session:
        found = await session.scalars(
            select(ERPSyncRequest).where(
                ERPSyncRequest.connection_id == connection_id, ERPSyncRequest.request_key == key
            )
        )
        return found.first()


async def _take_over(
    sessions: async_sessionmaker[AsyncSession], row: ERPSyncRequest, workflow_id: str, now: dt.datetime
) -> bool:
    async with sessions() as session, session.begin():
        result = await session.execute(
            update(ERPSyncRequest)
            .where(ERPSyncRequest.id == row.id, ERPSyncRequest.workflow_id == row.workflow_id)
            .values(workflow_id=workflow_id, requested_at=now)
        )
        return bool(getattr(result, "rowcount", 0))


async def release(sessions: async_sessionmaker[AsyncSession], workflow_id: str) -> int:
    """Forget the pending request of `workflow_id` (it is starting, or its enqueue failed)."""
    async with sessions() as session, session.begin():
        result = await session.execute(
            delete(ERPSyncRequest).where(ERPSyncRequest.workflow_id == workflow_id)
        )
        return int(getattr(result, "rowcount", 0))
