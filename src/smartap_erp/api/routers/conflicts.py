"""Conflicts over HTTP at `/api/v1/erp/conflicts`: records changed both in SmartAP and in the ERP since
they last agreed, stored by an import under the `manual` policy. The list (open ones, or all; by
connection and entity; newest first, opaque cursor, `limit` <= 200), one conflict with the SmartAP and
ERP versions side by side (`fields`: each field's two values, whether they differ), and resolve:
keep one side whole, applied through the sync engine, which closes the conflict and writes a sync log.

Resolving per field is not offered: the engine applies a stored version as one record (see
`app.conflicts`). Reading needs a `read` key, resolving `write`; a resolution names who resolved it
(the body's `resolved_by`, else the API key's name). Each endpoint calls one `app.conflicts` function.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field, JsonValue, StringConstraints, model_validator

from smartap_erp.api.deps import Ctx, ReadKey, WriteKey
from smartap_erp.app import conflicts
from smartap_erp.app.conflicts import ConflictFilter, ConflictPage, ConflictResolution, ConflictView, Side
from smartap_erp.domain.enums import ERPEntity

PREFIX = "/api/v1/erp/conflicts"
MAX_LIMIT = 200

router = APIRouter(prefix=PREFIX, tags=["conflicts"])


class FieldValues(BaseModel):
    """One field as each side has it (null: that side does not have the field)."""

    field: str
    smartap: JsonValue
    erp: JsonValue
    differs: bool


class ConflictDetail(ConflictView):
    fields: list[FieldValues]  # every field of either version, sorted by name


class ResolveBody(BaseModel):
    """Either `keep`, one side whole: `smartap` keeps SmartAP's record and acknowledges the ERP's
    version, `erp` applies the ERP's version to SmartAP's record. Or `fields`, a side per field:
    SmartAP's record takes SmartAP's value of the fields named `smartap` and the ERP's value of every
    other field, and the ERP's version is acknowledged, so the next sync keeps the merge. A field that
    is not in both versions (or a PO's `vendor_id`, an id of each side's own) is 422."""

    model_config = ConfigDict(extra="forbid")

    keep: Side | None = None
    fields: dict[Annotated[str, StringConstraints(min_length=1, max_length=255)], Side] | None = Field(
        None, min_length=1, max_length=100
    )
    resolved_by: str | None = Field(None, min_length=1, max_length=255, description="Default: the key's name")

    @model_validator(mode="after")
    def _one_way(self) -> ResolveBody:
        if (self.keep is None) == (self.fields is None):
            raise ValueError("give either keep (one side, whole) or fields (a side per field)")
        return self


@router.get("", summary="Conflicts, newest first (open ones unless include_resolved)")
async def list_all(
    ctx: Ctx,
    _: ReadKey,
    connection_id: Annotated[
        str | None, Query(max_length=255, description="A connection's id or name")
    ] = None,
    entity_type: ERPEntity | None = None,
    include_resolved: bool = False,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 50,
    cursor: Annotated[
        str | None, Query(max_length=1024, description="`next_cursor` of the last page")
    ] = None,
) -> ConflictPage:
    query = ConflictFilter(
        connection=connection_id,
        entity=entity_type,
        include_resolved=include_resolved,
        limit=limit,
        cursor=cursor,
    )
    return await conflicts.conflict_page(ctx, query)


@router.get("/{conflict_id}", summary="One conflict, SmartAP's and the ERP's values side by side")
async def get(conflict_id: str, ctx: Ctx, _: ReadKey) -> ConflictDetail:
    return _detail(await conflicts.get_conflict(ctx, conflict_id))


@router.post(
    "/{conflict_id}/resolve", summary="Keep one side of an open conflict, or a side per field, and close it"
)
async def resolve(conflict_id: str, body: ResolveBody, ctx: Ctx, key: WriteKey) -> ConflictDetail:
    """An already resolved conflict is 409; a version that no longer applies (its record is gone in
    SmartAP), or a field no side can be chosen for, is 422 and the conflict stays open."""
    by = body.resolved_by or f"api key {key.name}"[:255]
    resolution = ConflictResolution(keep=body.keep, fields=body.fields, resolved_by=by)
    return _detail(await conflicts.resolve_conflict(ctx, conflict_id, resolution))


def _detail(found: ConflictView) -> ConflictDetail:
    ours, theirs = found.smartap_version, found.erp_version
    fields = [
        FieldValues(
            field=name, smartap=ours.get(name), erp=theirs.get(name), differs=name in found.differs_in
        )
        for name in sorted(set(ours) | set(theirs))
    ]
    return ConflictDetail(**found.model_dump(), fields=fields)
