"""Field mappings over HTTP, per connection at `/api/v1/erp/connections/{id}/mappings`: list (by entity
and SmartAP field, opaque cursor, `limit` <= 200), create, update (PATCH), delete, and
`POST .../mappings/preview`, which applies one rule given in the body (compiled and checked against
the connection's ERP field catalogue, not stored) or the connection's stored mappings of an entity
to sample records given in the body, or, without samples, to `limit` (<= 20) vendors or purchase
orders read from the ERP, and answers each record's input, output and errors, or the compile error
with where it is (`field`, and `line`/`column` for an expression's syntax error).

A preview's compile error is part of its answer (200, `compiled: false`), since trying rules is what
a preview is for; creating or updating a mapping whose rule does not compile is a 422 validation
problem whose `errors` item points at the body field and names the line and column. An ERP that
fails while its records are read is the usual ERP problem (502, or 503 `retryable`, with the ERP's
code and message). Reading needs a `read` key, every change and a preview `write` (a preview runs
rules in the sandbox). Each endpoint calls one `app.mappings` (a preview, `app.mapping_preview`)
function.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field, model_validator

from smartap_erp.api.deps import Ctx, ReadKey, WriteKey
from smartap_erp.app import mapping_preview, mappings
from smartap_erp.app.logs import InvalidCursorError
from smartap_erp.app.mapping_preview import DEFAULT_FETCH, MAX_FETCH, MAX_SAMPLES, PreviewRecord
from smartap_erp.app.mappings import (
    MappingCreate,
    MappingRefusedError,
    MappingRemoved,
    MappingUpdate,
    MappingView,
    Record,
    RuleInput,
)
from smartap_erp.domain.enums import ERPEntity, SyncDirection

PREFIX = "/api/v1/erp/connections/{connection_id}/mappings"
MAX_LIMIT = 200

router = APIRouter(prefix=PREFIX, tags=["field mappings"])


class MappingPage(BaseModel):
    items: list[MappingView]
    next_cursor: str | None  # None on the last page


class PreviewBody(BaseModel):
    """Sample records of `entity` (SmartAP invoices for the export entity `invoice`, ERP records for
    the imported ones), or, without `samples`, how many vendors or purchase orders to read from the
    ERP (`limit`, default 5); optionally one `rule` to try instead of the stored mappings."""

    model_config = ConfigDict(extra="forbid")

    entity: ERPEntity
    samples: list[Record] | None = Field(None, min_length=1, max_length=MAX_SAMPLES)
    limit: int | None = Field(None, ge=1, le=MAX_FETCH, description="records to read from the ERP")
    rule: RuleInput | None = None

    @model_validator(mode="after")
    def _samples_or_limit(self) -> PreviewBody:
        if self.samples is not None and self.limit is not None:
            raise ValueError("give samples, or a limit of records to read from the ERP, not both")
        return self


class CompileError(BaseModel):
    """Why the rule was refused: `field` is the part (transformation_rule, validation_regex,
    smartap_field, erp_field); `line` and `column` (1-based) locate an expression's syntax error."""

    field: str | None
    message: str
    line: int | None
    column: int | None


class PreviewOut(BaseModel):
    compiled: bool
    error: CompileError | None  # set when compiled is false
    entity: ERPEntity
    direction: SyncDirection | None  # None when the rule did not compile
    source: Literal["samples", "erp"]  # the body's samples, or records read from the ERP
    mappings: int  # how many rules were applied
    records: list[PreviewRecord]  # one per record, in order; empty when the rule did not compile


_BODY_FIELDS = {"transformation_rule": "rule", "validation_regex": "regex", "default_value": "default"}


def refused(exc: MappingRefusedError) -> RequestValidationError:
    """A refused rule as a validation problem (422) pointing at the body field it is about; the
    detail names the line and column of an expression's syntax error."""
    field = _BODY_FIELDS.get(exc.field or "", exc.field) or "rule"
    return RequestValidationError([{"loc": ("body", field), "msg": str(exc), "type": "value_error"}])


def _cursor(mapping: MappingView) -> str:
    raw = json.dumps([mapping.entity.value, mapping.smartap_field, str(mapping.id)])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _key(mapping: MappingView) -> tuple[str, str, str]:
    return mapping.entity.value, mapping.smartap_field, str(mapping.id)


def _after(cursor: str) -> tuple[str, str, str]:
    try:
        entity, field, mapping_id = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        return str(entity), str(field), str(mapping_id)
    except (ValueError, TypeError, binascii.Error):
        raise InvalidCursorError(
            f"cursor {cursor[:40]!r} is not one a page of mappings gave out; start again without it"
        ) from None


@router.get("", summary="A connection's field mappings, by entity and SmartAP field")
async def list_all(
    connection_id: str,
    ctx: Ctx,
    _: ReadKey,
    entity_type: ERPEntity | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 50,
    cursor: Annotated[
        str | None, Query(max_length=1024, description="`next_cursor` of the last page")
    ] = None,
) -> MappingPage:
    # A connection has tens of mappings: the app layer lists them all in this order and the page
    # is cut here, after the (entity, SmartAP field, id) the cursor names.
    found = await mappings.list_mappings(ctx, connection_id, entity=entity_type)
    if cursor is not None:
        after = _after(cursor)
        found = [m for m in found if _key(m) > after]
    page = found[:limit]
    return MappingPage(items=page, next_cursor=_cursor(page[-1]) if len(found) > limit else None)


@router.post("", status_code=201, summary="Add a mapping (compiled and checked first)")
async def create(connection_id: str, body: MappingCreate, ctx: Ctx, _: WriteKey) -> MappingView:
    try:
        return await mappings.add_mapping(ctx, connection_id, body)
    except MappingRefusedError as exc:
        raise refused(exc) from None


@router.patch("/{mapping_id}", summary="Change a mapping (the result is compiled and checked)")
async def update(
    connection_id: str, mapping_id: str, body: MappingUpdate, ctx: Ctx, _: WriteKey
) -> MappingView:
    try:
        return await mappings.update_mapping(ctx, mapping_id, body, connection=connection_id)
    except MappingRefusedError as exc:
        raise refused(exc) from None


@router.delete("/{mapping_id}", summary="Delete a mapping")
async def delete(connection_id: str, mapping_id: str, ctx: Ctx, _: WriteKey) -> MappingRemoved:
    return await mappings.remove_mapping(ctx, mapping_id, connection=connection_id)


@router.post("/preview", summary="Apply one rule, or the stored mappings, to samples or ERP records")
async def preview(connection_id: str, body: PreviewBody, ctx: Ctx, _: WriteKey) -> PreviewOut:
    source: Literal["samples", "erp"] = "samples" if body.samples is not None else "erp"
    try:
        if body.samples is not None:
            done = await mapping_preview.preview_mappings(
                ctx, connection_id, body.entity, body.samples, rule=body.rule
            )
        else:
            done = await mapping_preview.preview_from_erp(
                ctx, connection_id, body.entity, rule=body.rule, limit=body.limit or DEFAULT_FETCH
            )
    except MappingRefusedError as exc:
        error = CompileError(field=exc.field, message=str(exc), line=exc.line, column=exc.column)
        return PreviewOut(
            compiled=False,
            error=error,
            entity=body.entity,
            direction=None,
            source=source,
            mappings=0,
            records=[],
        )
    return PreviewOut(
        compiled=True,
        error=None,
        entity=done.entity,
        direction=done.direction,
        source=done.source,
        mappings=done.mappings,
        records=done.records,
    )
