"""What invoice export and payment-status sync share: opening a connection that may sync (a connection
in `error` is refused until a person fixes it), the log row closed on every way out (an `ERPAuthError`
puts the connection in `error` through `sync.logs.mark_auth_failure`), a dialect-aware `insert` for
set-based upserts on SQLite and PostgreSQL, and chunking. No ERP-specific code lives here.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator, Sequence
from typing import Any, TypeVar

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from smartap_erp.db.models import ERPConnection, ERPSyncLog
from smartap_erp.domain.results import RecordError
from smartap_erp.errors import ConfigurationError, ERPAuthError
from smartap_erp.sync.logs import finish_log, mark_auth_failure

T = TypeVar("T")
IN_CHUNK = 500  # ids per `IN (...)` list: well below SQLite's and asyncpg's parameter limits


async def close_log(
    sessions: async_sessionmaker[AsyncSession],
    log_id: uuid.UUID,
    *,
    total: int,
    succeeded: int,
    errors: Sequence[RecordError],
    now: dt.datetime,
    failure: BaseException | None = None,
) -> None:
    """Finish the operation's log row and the connection's health in one commit.

    `failure` is the exception that stopped the operation, if one did: its text becomes the log's
    `error_message`, and an `ERPAuthError` puts the connection in `error` with an actionable message.
    """
    async with sessions() as session, session.begin():
        log = await session.get(ERPSyncLog, log_id)
        if log is None:  # pragma: no cover - the row was written by this operation
            return
        connection = await session.get(ERPConnection, log.connection_id)
        assert connection is not None
        message = None if failure is None else f"{type(failure).__name__}: {failure}"
        finish_log(
            log,
            connection,
            total=total,
            succeeded=succeeded,
            errors=errors,
            now=now,
            error_message=message,
            failure=failure,
        )
        if isinstance(failure, ERPAuthError):
            mark_auth_failure(connection, failure)
            log.error_message = connection.connection_error


def insert_for(session: AsyncSession, table: Any) -> Any:
    """`INSERT` with `on_conflict_do_*` for the session's dialect (SQLite or PostgreSQL)."""
    name = session.get_bind().dialect.name
    if name == "postgresql":
        return postgresql.insert(table)
    if name == "sqlite":
        return sqlite.insert(table)
    raise ConfigurationError(f"unsupported database dialect {name!r}: use SQLite or PostgreSQL")


def chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
