"""Sync logs in the application layer: every import, export and payment sync, filtered, paged and read
one at a time with its per-record errors and the HTTP exchanges its run sent to the ERP.

Logs come newest first (by start time, then id). A page is at most `limit` logs, reached by `offset`
or, better for a log that grows while it is read, by the opaque `cursor` the previous page returned
(`next_cursor`): the next page starts strictly after the last log seen, so logs written meanwhile
never shift it. The text filter matches, ignoring case, the run's error message, who triggered it,
and its stored record errors (record ids, fields, messages).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import uuid
from typing import Self

from pydantic import AwareDatetime, Field, JsonValue, model_validator
from sqlalchemy import Select, String, and_, cast, or_, select

from smartap_erp.app.context import AppContext, resolve_connection
from smartap_erp.app.models import (
    AppModel,
    LoggedRecordError,
    SyncLogSummary,
    log_summary,
    logged_errors,
    one_of_a_connection,
)
from smartap_erp.db.models import ERPConnection, ERPSyncLog, ERPSyncLogExchange
from smartap_erp.domain.enums import ERPEntity, SyncDirection, SyncStatus
from smartap_erp.errors import ConfigurationError
from smartap_erp.sync.error_kinds import ErrorKind, stored_kind

MAX_LIMIT = 10_000


class InvalidCursorError(ConfigurationError):
    """A page cursor this server did not give out (or an older, differently-built one)."""


class LogFilter(AppModel):
    connection: str | None = None  # name or id
    entity: ERPEntity | None = None
    direction: SyncDirection | None = None
    status: SyncStatus | None = None
    started_from: AwareDatetime | None = None  # runs started at or after this
    started_before: AwareDatetime | None = None  # runs started before this
    text: str | None = Field(None, min_length=1, max_length=200)
    limit: int = Field(50, ge=1, le=MAX_LIMIT)
    offset: int | None = Field(None, ge=0)
    cursor: str | None = None  # `next_cursor` of the previous page
    with_record_errors: bool = False  # each log's record errors too (as the detail has them)

    @model_validator(mode="after")
    def _one_way_to_page(self) -> Self:
        if self.offset is not None and self.cursor is not None:
            raise ValueError("page by offset or by cursor, not both")
        return self


class SyncLogEntry(SyncLogSummary):
    # What kind of error failed the run (`sync.error_kinds`); None when nothing failed, or logged
    # before kinds were recorded (migration 0015).
    error_kind: ErrorKind | None = None
    record_errors: list[LoggedRecordError] | None = None  # None unless asked for


class LogPage(AppModel):
    items: list[SyncLogEntry]
    next_cursor: str | None  # None on the last page


class LoggedExchange(AppModel):
    """One HTTP request the run sent (each retry attempt its own); never a header or a body."""

    seq: int
    method: str
    url: str  # redacted: no secret query value
    status: int | None  # None: no response came (see `error`)
    duration_ms: int
    erp_code: str | None  # the ERP's own error code, from an error body
    error: str | None  # the transport error's type when no response came
    at: AwareDatetime


class SyncLogDetail(SyncLogSummary):
    error_kind: ErrorKind | None  # as in `SyncLogEntry`
    record_errors: list[LoggedRecordError]  # at most the first `sync.logs.MAX_LOGGED_ERRORS`
    params: dict[str, JsonValue]  # what the run was asked (since, limit, full, invoice ids ...)
    workflow_id: str | None  # the job that ran it, if a worker did
    runner: str | None  # the process that ran it
    exchanges: list[LoggedExchange]  # the first ones and the failures (`http.recorder`), in order
    exchanges_omitted: int  # sent and counted but not kept


def encode_cursor(at: dt.datetime, row_id: uuid.UUID) -> str:
    """An opaque cursor after the row (`at`, `row_id`) of a list ordered newest first, then by id."""
    raw = f"{at.astimezone(dt.UTC).isoformat()}|{row_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, what: str = "logs") -> tuple[dt.datetime, uuid.UUID]:
    """What `encode_cursor` wrote; anything else is `InvalidCursorError` naming the list (`what`)."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        started, _, log_id = raw.partition("|")
        at = dt.datetime.fromisoformat(started)
        if at.tzinfo is None:
            raise ValueError("naive")
        return at, uuid.UUID(log_id)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise InvalidCursorError(
            f"cursor {cursor[:40]!r} is not one a page of {what} gave out; start again without it"
        ) from None


def _filtered(statement: Select[ERPSyncLog, str], query: LogFilter) -> Select[ERPSyncLog, str]:
    if query.entity is not None:
        statement = statement.where(ERPSyncLog.entity_type == query.entity)
    if query.direction is not None:
        statement = statement.where(ERPSyncLog.sync_direction == query.direction)
    if query.status is not None:
        statement = statement.where(ERPSyncLog.status == query.status)
    if query.started_from is not None:
        statement = statement.where(ERPSyncLog.started_at >= query.started_from)
    if query.started_before is not None:
        statement = statement.where(ERPSyncLog.started_at < query.started_before)
    if query.text is not None:
        statement = statement.where(
            or_(
                ERPSyncLog.error_message.icontains(query.text, autoescape=True),
                ERPSyncLog.triggered_by.icontains(query.text, autoescape=True),
                cast(ERPSyncLog.errors, String).icontains(query.text, autoescape=True),
            )
        )
    if query.cursor is not None:
        at, log_id = decode_cursor(query.cursor)
        statement = statement.where(
            or_(ERPSyncLog.started_at < at, and_(ERPSyncLog.started_at == at, ERPSyncLog.id < log_id))
        )
    return statement


def _entry(log: ERPSyncLog, connection_name: str, with_errors: bool) -> SyncLogEntry:
    return log_summary(
        log,
        connection_name,
        SyncLogEntry,
        error_kind=stored_kind(log.error_kind),
        record_errors=logged_errors(log.errors or []) if with_errors else None,
    )


async def list_logs(ctx: AppContext, query: LogFilter) -> LogPage:
    """One page of logs matching `query`, newest first."""
    async with ctx.sessions() as session:
        statement = (
            select(ERPSyncLog, ERPConnection.name)
            .join(ERPConnection)
            .order_by(ERPSyncLog.started_at.desc(), ERPSyncLog.id.desc())
        )
        if query.connection is not None:
            found = await resolve_connection(session, query.connection)
            statement = statement.where(ERPSyncLog.connection_id == found.id)
        statement = _filtered(statement, query).limit(query.limit + 1)  # one more: is there a next page?
        if query.offset is not None:
            statement = statement.offset(query.offset)
        rows = (await session.execute(statement)).all()
        page = rows[: query.limit]
        more = len(rows) > query.limit
        return LogPage(
            items=[_entry(log, name, query.with_record_errors) for log, name in page],
            next_cursor=encode_cursor(page[-1][0].started_at, page[-1][0].id) if more and page else None,
        )


async def get_log(ctx: AppContext, log_id: str | uuid.UUID) -> SyncLogDetail:
    """One log with its per-record errors and what the run was asked."""
    async with ctx.sessions() as session:
        log, name = await one_of_a_connection(session, ERPSyncLog, log_id, "sync log")
        exchanges = await session.scalars(
            select(ERPSyncLogExchange)
            .where(ERPSyncLogExchange.sync_log_id == log.id)
            .order_by(ERPSyncLogExchange.seq)
        )
        return log_summary(
            log,
            name,
            SyncLogDetail,
            error_kind=stored_kind(log.error_kind),
            record_errors=logged_errors(log.errors or []),
            params=dict(log.sync_params or {}),
            workflow_id=log.workflow_id,
            runner=log.runner,
            exchanges=[LoggedExchange.model_validate(e, from_attributes=True) for e in exchanges],
            exchanges_omitted=int((log.sync_params or {}).get("http_exchanges_omitted", 0)),
        )
