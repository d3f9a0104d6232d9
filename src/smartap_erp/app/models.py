"""What every application model shares: `AppModel`, the base of the inputs and outputs the CLI prints
and the REST API will serve as they are (frozen, unknown fields refused); the small shapes several
resources return, a sync log's headline (`SyncLogSummary`) and a record error as a sync log stores
it (`LoggedRecordError`, tolerant of rows older versions wrote); and `parse_id`, how an id given in
a request is read (text that is no id names nothing: `NotFoundError`).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import TypeVar

from pydantic import AwareDatetime, BaseModel, ConfigDict
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from smartap_erp.db.models import ERPConflict, ERPConnection, ERPSyncLog
from smartap_erp.domain.enums import ERPEntity, SyncDirection, SyncStatus
from smartap_erp.errors import NotFoundError


class AppModel(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class LoggedRecordError(AppModel):
    """Why one record of a run failed, as the run stored it (`RecordError` in a sync log's `errors`)."""

    record_id: str | None = None
    field: str | None = None
    message: str
    code: str | None = None


class SyncLogSummary(AppModel):
    """One run of an import, export or payment sync: what it did and how it ended."""

    id: uuid.UUID
    connection_id: uuid.UUID
    connection: str  # the connection's name
    entity: ERPEntity
    direction: SyncDirection
    status: SyncStatus
    started_at: AwareDatetime
    completed_at: AwareDatetime | None
    duration_seconds: int | None
    total_count: int
    success_count: int
    error_count: int
    triggered_by: str
    error_message: str | None  # set when the run itself stopped, not for per-record errors


def parse_id(value: str | uuid.UUID, what: str) -> uuid.UUID:
    """`value` as an id; text that is not one names nothing (`NotFoundError`)."""
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(value)
    except ValueError:
        raise NotFoundError(f"{value!r} is not a {what} id") from None


R = TypeVar("R", ERPSyncLog, ERPConflict)


async def one_of_a_connection(
    session: AsyncSession, model: type[R], value: str | uuid.UUID, what: str
) -> tuple[R, str]:
    """The `model` row with id `value` and its connection's name, or `NotFoundError`."""
    wanted = parse_id(value, what)
    row = (
        await session.execute(select(model, ERPConnection.name).join(ERPConnection).where(model.id == wanted))
    ).first()
    if row is None:
        raise NotFoundError(f"no {what} with id {wanted}")
    return row[0], row[1]


S = TypeVar("S", bound="SyncLogSummary")


def log_summary(
    log: ERPSyncLog,
    connection_name: str,
    model: type[S],
    **more: object,
) -> S:
    """A log's headline as `model` (a `SyncLogSummary` or a subclass, given its `more` fields), built
    once: list pages build one per row."""
    return model(
        **more,
        id=log.id,
        connection_id=log.connection_id,
        connection=connection_name,
        entity=log.entity_type,
        direction=log.sync_direction,
        status=log.status,
        started_at=log.started_at,
        completed_at=log.completed_at,
        duration_seconds=log.duration_seconds,
        total_count=log.total_count,
        success_count=log.success_count,
        error_count=log.error_count,
        triggered_by=log.triggered_by,
        error_message=log.error_message,
    )


def logged_errors(stored: Sequence[object]) -> list[LoggedRecordError]:
    """A log's stored errors; an entry that is not the usual object is kept as its text."""
    errors = []
    for entry in stored:
        if isinstance(entry, dict) and isinstance(entry.get("message"), str):
            errors.append(
                LoggedRecordError(
                    record_id=_text(entry.get("record_id")),
                    field=_text(entry.get("field")),
                    message=entry["message"],
                    code=_text(entry.get("code")),
                )
            )
        else:
            errors.append(LoggedRecordError(message=str(entry)))
    return errors


def _text(value: object) -> str | None:
    return None if value is None else str(value)
