"""Incremental-read cursors (`erp_sync_cursors`), one per connection and entity.

The cursor holds a *signpost*: the ERP-clock time taken just before a read started. The next read
asks for changes since `signpost - overlap`, so clock skew and changes made while the last read was
running are read again (the hash check makes re-reading harmless). The cursor moves only after every
page of a read is committed, so a crash never skips data; sources are not all sorted by change time
(SAP pages by CardCode, sap.md §Query options), so no page-level high-water mark is trusted. A cursor older
than the connector's `change_window` (a change feed's retention) means a full read instead.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncSession

from smartap_erp.db.models import ERPSyncCursor
from smartap_erp.domain.enums import ERPEntity
from smartap_erp.sync.records import upsert_statement

CURSORS: Table = ERPSyncCursor.__table__  # type: ignore[assignment]
OVERLAP = dt.timedelta(minutes=5)


@dataclass(frozen=True)
class ReadWindow:
    since: dt.datetime | None
    full: bool
    reason: str
    advances_cursor: bool = True


async def read_window(
    session: AsyncSession,
    connection_id: uuid.UUID,
    entity: ERPEntity,
    *,
    erp_now: dt.datetime,
    change_window: dt.timedelta | None,
    overlap: dt.timedelta = OVERLAP,
) -> ReadWindow:
    cursor_time = await session.scalar(
        select(ERPSyncCursor.cursor_time).where(
            ERPSyncCursor.connection_id == connection_id, ERPSyncCursor.entity_type == entity
        )
    )
    if cursor_time is None:
        return ReadWindow(None, True, "first sync: full read")
    since = cursor_time - overlap
    if change_window is not None and erp_now - since > change_window:
        return ReadWindow(
            None, True, f"cursor {cursor_time.isoformat()} is older than the ERP's change window"
        )
    return ReadWindow(since, False, f"changes since {since.isoformat()}")


async def save_cursor(
    session: AsyncSession,
    connection_id: uuid.UUID,
    entity: ERPEntity,
    *,
    signpost: dt.datetime,
    full: bool,
    now: dt.datetime,
) -> None:
    row = {
        "id": uuid.uuid4(),
        "connection_id": connection_id,
        "entity_type": entity,
        "cursor_time": signpost,
        "cursor_value": None,
        "last_full_sync_at": now if full else None,
        "created_at": now,
        "updated_at": now,
    }
    update = ["cursor_time", "updated_at", *(["last_full_sync_at"] if full else [])]
    await session.execute(upsert_statement(session, CURSORS, ["connection_id", "entity_type"], update), [row])
