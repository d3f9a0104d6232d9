"""Sync logs over HTTP at the seed's path `/api/v1/erp/sync-logs`: the list (the seed's filters
`connection_id, entity_type, status, limit, offset`, plus `direction`, a start-time range, a text
search, and an opaque `cursor` that logs written meanwhile do not shift), one log with its per-record
errors, and `GET /api/v1/erp/sync-logs.csv`, the whole filtered set as a streamed CSV file.

Every endpoint reads through `app.logs` (no SQL here) with a `read` key. The CSV is `app.log_export`'s
(the web UI's log viewer sends the same file): written page by page as it is sent, its first page read
before the response starts, so an unknown connection or a bad filter is still a problem document, not
a broken download.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.exceptions import RequestValidationError
from fastapi.responses import StreamingResponse
from pydantic import AfterValidator, AwareDatetime

from smartap_erp.api.deps import Ctx, ReadKey
from smartap_erp.app import log_export, logs
from smartap_erp.app.logs import LogFilter, LogPage, SyncLogDetail
from smartap_erp.domain.enums import ERPEntity, SyncDirection, SyncStatus

PREFIX = "/api/v1/erp/sync-logs"
MAX_LIMIT = 200

router = APIRouter(tags=["sync logs"])


def _utc(value: dt.datetime | None) -> dt.datetime | None:
    try:  # 0001-01-01T00:00:00+01:00 is before the first UTC instant Python can hold
        return None if value is None else value.astimezone(dt.UTC)
    except OverflowError:
        raise ValueError("out of range once in UTC") from None


UTCTime = Annotated[AwareDatetime | None, AfterValidator(_utc)]


@dataclass(frozen=True)
class Filters:
    connection_id: str | None
    entity_type: ERPEntity | None
    direction: SyncDirection | None
    status: SyncStatus | None
    started_from: dt.datetime | None
    started_before: dt.datetime | None
    text: str | None

    def query(self, **paging: object) -> LogFilter:
        return LogFilter.model_validate(
            {
                "connection": self.connection_id,
                "entity": self.entity_type,
                "direction": self.direction,
                "status": self.status,
                "started_from": self.started_from,
                "started_before": self.started_before,
                "text": self.text,
                **paging,
            }
        )


def filters(
    connection_id: Annotated[
        str | None, Query(max_length=255, description="A connection's id or name")
    ] = None,
    entity_type: ERPEntity | None = None,
    direction: SyncDirection | None = None,
    status: SyncStatus | None = None,
    started_from: Annotated[UTCTime, Query(description="Runs started at or after (ISO 8601, zoned)")] = None,
    started_before: Annotated[UTCTime, Query(description="Runs started before (ISO 8601, zoned)")] = None,
    text: Annotated[
        str | None,
        Query(min_length=1, max_length=200, description="In error messages, record errors, who triggered"),
    ] = None,
) -> Filters:
    return Filters(connection_id, entity_type, direction, status, started_from, started_before, text)


Filtered = Annotated[Filters, Depends(filters)]


@router.get(PREFIX, summary="Sync logs, newest first")
async def list_logs(
    ctx: Ctx,
    _: ReadKey,
    where: Filtered,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 50,
    offset: Annotated[int | None, Query(ge=0, le=10_000_000, description="The seed's paging")] = None,
    cursor: Annotated[
        str | None, Query(max_length=1024, description="`next_cursor` of the last page")
    ] = None,
) -> LogPage:
    if offset is not None and cursor is not None:
        raise RequestValidationError(
            [
                {
                    "loc": ("query", "cursor"),
                    "msg": "page by offset or by cursor, not both",
                    "type": "value_error",
                }
            ]
        )
    return await logs.list_logs(ctx, where.query(limit=limit, offset=offset, cursor=cursor))


@router.get(
    f"{PREFIX}.csv",
    summary="The filtered sync logs as CSV (streamed)",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}, "description": "CSV"}},
)
async def export_csv(ctx: Ctx, _: ReadKey, where: Filtered) -> StreamingResponse:
    """Every log the filters match, newest first, one row each with the columns of the list's items
    (per-record errors are counted in `error_count`; read them in the log's detail)."""
    return StreamingResponse(
        await log_export.open_csv(ctx, where.query()),  # a refusal is still a problem document
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="sync-logs.csv"'},
    )


@router.get(f"{PREFIX}/{{log_id}}", summary="One sync log with its per-record errors")
async def get_log(log_id: str, ctx: Ctx, _: ReadKey) -> SyncLogDetail:
    return await logs.get_log(ctx, log_id)
