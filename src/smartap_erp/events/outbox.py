"""Raising an event: `record_event` adds a row to the `erp_events` outbox in the caller's session, so
the event is stored by the caller's commit and vanishes with its rollback (an event exists iff the
change it reports was committed). Nothing is sent here: the workers fan stored events out to the
subscriptions and deliver them (`smartap_erp.events.delivery`). `data` must be JSON-able as it is
(money as decimal strings with their currency, datetimes as ISO 8601 strings) and never hold a secret.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Table, insert
from sqlalchemy.ext.asyncio import AsyncSession

from smartap_erp.db.base import utcnow
from smartap_erp.db.models.events import ERPEvent
from smartap_erp.events.types import event_type

EVENTS: Table = ERPEvent.__table__  # type: ignore[assignment]


def _checked_data(data: Mapping[str, Any]) -> dict[str, Any]:
    if not isinstance(data, Mapping):
        raise ValueError(f"event data must be a mapping, not {type(data).__name__}")
    try:
        # No `default=`: a Decimal, datetime or UUID must be turned into a string by the caller, who
        # knows its format (money as a decimal string beside its currency).
        return dict(json.loads(json.dumps(dict(data), allow_nan=False)))
    except (TypeError, ValueError) as exc:
        raise ValueError(f"event data is not JSON-able as it is: {exc}") from None


def stage_event(
    session: AsyncSession,
    type: str,
    *,
    connection_id: uuid.UUID | None,
    data: Mapping[str, Any],
    occurred_at: dt.datetime | None = None,
) -> ERPEvent:
    """Add the event to the session (for callers that are not coroutines); see `record_event`."""
    event = ERPEvent(
        id=uuid.uuid4(),
        type=event_type(type).value,
        connection_id=connection_id,
        data=_checked_data(data),
        occurred_at=occurred_at or utcnow(),
        dispatched_at=None,
    )
    session.add(event)
    return event


async def record_event(
    session: AsyncSession,
    type: str,
    *,
    connection_id: uuid.UUID | None,
    data: Mapping[str, Any],
    occurred_at: dt.datetime | None = None,
) -> ERPEvent:
    """Record an event of `type` (an `EventType` value; unknown -> `ValueError`) in the caller's
    transaction; it is delivered after the caller commits. Returns the (unflushed) event row."""
    return stage_event(session, type, connection_id=connection_id, data=data, occurred_at=occurred_at)


async def record_events(
    session: AsyncSession,
    type: str,
    *,
    connection_id: uuid.UUID | None,
    data: Sequence[Mapping[str, Any]],
    occurred_at: dt.datetime | None = None,
) -> None:
    """`record_event` for many events of one type at once (a page's new conflicts): the same rows,
    written now in one executemany of Core rows instead of an ORM object each flushed at commit."""
    if not data:
        return
    kind, when = event_type(type).value, occurred_at or utcnow()
    rows = [
        {
            "id": uuid.uuid4(),
            "type": kind,
            "connection_id": connection_id,
            "data": _checked_data(item),
            "occurred_at": when,
            "dispatched_at": None,
        }
        for item in data
    ]
    await session.execute(insert(EVENTS), rows)
