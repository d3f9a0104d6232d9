"""Conflicts in the application layer: records changed both in SmartAP and in the ERP since they last
agreed, stored by an import whose policy is `manual`, listed for a person and resolved by keeping
one side. Lists come whole (`list_conflicts`, the CLI's) or a page at a time by opaque cursor
(`conflict_page`, the API's). Resolving goes through the sync engine
(`ERPSyncService.resolve_conflict`), which applies the chosen version, closes the conflict and writes
a sync log in one transaction. A conflict is resolved whole (`keep`: one side) or per field
(`fields`: {field: side}, unnamed fields keep the ERP's value): the engine merges the two versions
and writes the merged record through the same page writer as a whole resolution.
"""

from __future__ import annotations

import uuid
from typing import Literal

from pydantic import AwareDatetime, Field, JsonValue, model_validator
from sqlalchemy import Select, and_, or_, select

from smartap_erp.app.context import AppContext, resolve_connection
from smartap_erp.app.logs import decode_cursor, encode_cursor
from smartap_erp.app.models import AppModel, one_of_a_connection
from smartap_erp.db.models import ERPConflict, ERPConnection
from smartap_erp.domain.enums import ConflictStatus, ERPEntity
from smartap_erp.errors import ConflictError
from smartap_erp.sync.imports import conflicts as engine
from smartap_erp.sync.service import ERPSyncService

Side = Literal["smartap", "erp"]


class ConflictFilter(AppModel):
    connection: str | None = None  # name or id
    entity: ERPEntity | None = None
    include_resolved: bool = False
    limit: int | None = Field(None, ge=1, le=10_000)  # newest first
    cursor: str | None = None  # `next_cursor` of the previous page (`conflict_page`)


class ConflictView(AppModel):
    id: uuid.UUID
    connection_id: uuid.UUID
    connection: str  # the connection's name
    entity: ERPEntity
    erp_record_id: str
    smartap_record_id: uuid.UUID | None
    status: ConflictStatus
    differs_in: list[str]  # the fields whose values differ, sorted
    resolution: str | None  # once resolved: smartap or erp (one side kept), fields (chosen per field)
    resolved_by: str | None
    resolved_at: AwareDatetime | None
    created_at: AwareDatetime
    smartap_version: dict[str, JsonValue]
    erp_version: dict[str, JsonValue]


class ConflictPage(AppModel):
    items: list[ConflictView]
    next_cursor: str | None  # None on the last page


class ConflictResolution(AppModel):
    keep: Side | None = None  # which side wins, whole
    fields: dict[str, Side] | None = None  # or a side per field (unnamed: the ERP's)
    resolved_by: str = Field("system", max_length=255)

    @model_validator(mode="after")
    def _one_way(self) -> ConflictResolution:
        if (self.keep is None) == (self.fields is None):
            raise ValueError("give either keep (one side, whole) or fields (a side per field)")
        if self.fields is not None and not self.fields:
            raise ValueError("fields must name at least one field")
        return self


def view(conflict: ERPConflict, connection_name: str) -> ConflictView:
    ours, theirs = conflict.smartap_version, conflict.erp_version
    return ConflictView(
        id=conflict.id,
        connection_id=conflict.connection_id,
        connection=connection_name,
        entity=conflict.entity_type,
        erp_record_id=conflict.erp_record_id,
        smartap_record_id=conflict.smartap_record_id,
        status=conflict.status,
        differs_in=sorted(key for key in set(ours) | set(theirs) if ours.get(key) != theirs.get(key)),
        resolution=conflict.resolution,
        resolved_by=conflict.resolved_by,
        resolved_at=conflict.resolved_at,
        created_at=conflict.created_at,
        smartap_version=ours,
        erp_version=theirs,
    )


def _statement(query: ConflictFilter) -> Select[ERPConflict, str]:
    statement = (
        select(ERPConflict, ERPConnection.name)
        .join(ERPConnection)
        .order_by(ERPConflict.created_at.desc(), ERPConflict.id.desc())
    )
    if query.entity is not None:
        statement = statement.where(ERPConflict.entity_type == query.entity)
    if not query.include_resolved:
        statement = statement.where(ERPConflict.status == ConflictStatus.OPEN)
    if query.cursor is not None:  # strictly after the last one seen: new conflicts never shift a page
        at, after = decode_cursor(query.cursor, "conflicts")
        statement = statement.where(
            or_(ERPConflict.created_at < at, and_(ERPConflict.created_at == at, ERPConflict.id < after))
        )
    return statement


async def _rows(ctx: AppContext, query: ConflictFilter, limit: int | None) -> list[tuple[ERPConflict, str]]:
    async with ctx.sessions() as session:
        statement = _statement(query)
        if query.connection is not None:
            found = await resolve_connection(session, query.connection)
            statement = statement.where(ERPConflict.connection_id == found.id)
        if limit is not None:
            statement = statement.limit(limit)
        return [(conflict, name) for conflict, name in (await session.execute(statement)).all()]


async def list_conflicts(ctx: AppContext, query: ConflictFilter) -> list[ConflictView]:
    """Open conflicts (resolved ones too if asked), newest first."""
    return [view(conflict, name) for conflict, name in await _rows(ctx, query, query.limit)]


async def conflict_page(ctx: AppContext, query: ConflictFilter) -> ConflictPage:
    """One page of `query.limit` (default 50) conflicts, newest first, and the cursor of the next."""
    limit = query.limit or 50
    rows = await _rows(ctx, query, limit + 1)  # one more: is there a next page?
    page = rows[:limit]
    last = page[-1][0] if page and len(rows) > limit else None
    return ConflictPage(
        items=[view(conflict, name) for conflict, name in page],
        next_cursor=None if last is None else encode_cursor(last.created_at, last.id),
    )


async def get_conflict(ctx: AppContext, conflict_id: str | uuid.UUID) -> ConflictView:
    async with ctx.sessions() as session:
        return view(*await one_of_a_connection(session, ERPConflict, conflict_id, "conflict"))


async def resolve_conflict(
    ctx: AppContext, conflict_id: str | uuid.UUID, resolution: ConflictResolution
) -> ConflictView:
    """Apply the kept side (or the per-field choice) to an open conflict and close it; a closed one is a
    `ConflictError`, a field no side can be chosen for a `ConfigurationError`."""
    before = await get_conflict(ctx, conflict_id)
    if before.status != ConflictStatus.OPEN:
        raise ConflictError(f"conflict {before.id} is already {before.status.value}")
    if resolution.keep is not None:
        await ERPSyncService(ctx.sync_context()).resolve_conflict(
            before.id, resolution.keep, resolved_by=resolution.resolved_by
        )
    else:
        assert resolution.fields is not None
        await engine.resolve_conflict_by_field(
            ctx.sync_context(), before.id, resolution.fields, resolution.resolved_by
        )
    return await get_conflict(ctx, before.id)
