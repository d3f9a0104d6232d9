"""A connection's health in the application layer: whether it can sync, what is wrong (its error,
or credentials the configured keys cannot decrypt), the credential fields set (names only), its
newest sync log, its open conflicts, and its recent failed and partial runs, newest first, each with
the kind of its error (`sync.error_kinds`: auth, rate_limit, period_locked ...) and its sync log.

`connections_health` reads the health of every connection for a list (the web UI's connections
screen) in a constant number of statements, whatever the number of connections: the connections,
then the newest log of each, the open conflicts counted per connection, and each connection's recent
failures (one `UNION ALL` of a `LIMIT` per connection, each reading the partial index of migration
0022 backwards). `connection_health` is the same reading for one connection.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence

from pydantic import AwareDatetime
from sqlalchemy import ColumnExpressionArgument, Select, func, select, text, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from smartap_erp.app.connections import ConnectionView, view
from smartap_erp.app.context import AppContext, resolve_connection
from smartap_erp.app.models import AppModel, SyncLogSummary, log_summary
from smartap_erp.db.connections import read_credentials
from smartap_erp.db.models import ERPConflict, ERPConnection, ERPSyncLog
from smartap_erp.db.models.erp import FAILED_OR_PARTIAL
from smartap_erp.domain.enums import ConflictStatus, ConnectionStatus, ERPEntity, SyncDirection, SyncStatus
from smartap_erp.errors import CredentialDecryptionError
from smartap_erp.http.redact import redact_text
from smartap_erp.sync.error_kinds import ErrorKind, stored_kind

RECENT_ERRORS = 10  # failed or partial runs a connection's health lists
_MESSAGE_LENGTH = 500


class RecentError(AppModel):
    """A run that failed or partly failed: the kind of its error, what it said, when, and its log."""

    kind: ErrorKind | None  # None: the run was logged before kinds were recorded (migration 0015)
    message: str  # redacted: no secret the product knows of
    at: AwareDatetime  # when the run ended (started, if it never closed)
    sync_log_id: uuid.UUID
    entity: ERPEntity
    direction: SyncDirection
    status: SyncStatus


class ConnectionHealth(AppModel):
    """Whether a connection can sync, what its last run did, and its recent failed runs."""

    connection: ConnectionView
    healthy: bool  # not in error, and its credentials can be read
    problem: str | None  # what is wrong, when not healthy
    credentials_set: list[str]
    last_sync: SyncLogSummary | None  # the newest sync log
    open_conflicts: int
    recent_errors: list[RecentError] = []  # newest first, at most RECENT_ERRORS


def recent_error(log: ERPSyncLog) -> RecentError:
    """What a failed or partial run says: its stop message, else its first refused record (of the
    log's kind when the records differ), with how many records failed."""
    message = log.error_message
    if not message:
        records = [e for e in log.errors or [] if isinstance(e, dict)]
        first = next((e for e in records if e.get("kind") == log.error_kind), records[0] if records else {})
        said = f": {first.get('message')}" if first.get("message") else ""
        message = f"{log.error_count} of {log.total_count} records failed{said}"
    return RecentError(
        kind=stored_kind(log.error_kind),
        message=redact_text(message)[:_MESSAGE_LENGTH],
        at=log.completed_at or log.started_at,
        sync_log_id=log.id,
        entity=log.entity_type,
        direction=log.sync_direction,
        status=log.status,
    )


async def connection_health(ctx: AppContext, name_or_id: str) -> ConnectionHealth:
    """Status, what is wrong, the credential fields set, the newest sync log, the open conflicts and
    the recent failed runs. Credentials the configured keys cannot decrypt make the connection
    unhealthy, not an error."""
    async with ctx.sessions() as session:
        found = await resolve_connection(session, name_or_id)
        return (await _healths(ctx, session, [found]))[0]


async def connections_health(ctx: AppContext) -> list[ConnectionHealth]:
    """The health of every connection, by name, in four statements however many there are."""
    async with ctx.sessions() as session:
        found = list(await session.scalars(select(ERPConnection).order_by(ERPConnection.name)))
        return await _healths(ctx, session, found) if found else []


async def _healths(
    ctx: AppContext, session: AsyncSession, found: Sequence[ERPConnection]
) -> list[ConnectionHealth]:
    ids = [connection.id for connection in found]
    newest = {log.connection_id: log for log in await _latest(session, ids, 1)}
    failed: dict[uuid.UUID, list[ERPSyncLog]] = defaultdict(list)
    for log in await _latest(session, ids, RECENT_ERRORS, text(FAILED_OR_PARTIAL)):
        failed[log.connection_id].append(log)
    open_conflicts = await session.execute(
        select(ERPConflict.connection_id, func.count())
        .where(ERPConflict.connection_id.in_(ids), ERPConflict.status == ConflictStatus.OPEN)
        .group_by(ERPConflict.connection_id)
    )
    conflicts: dict[uuid.UUID, int] = {cid: count for cid, count in open_conflicts}
    return [
        _health(
            ctx, connection, newest.get(connection.id), conflicts.get(connection.id, 0), failed[connection.id]
        )
        for connection in found
    ]


async def _latest(
    session: AsyncSession, ids: Sequence[uuid.UUID], limit: int, *where: ColumnExpressionArgument[bool]
) -> list[ERPSyncLog]:
    """The newest `limit` logs of each connection (matching `where`), newest first per connection:
    one `LIMIT` per connection over its `(connection_id, started_at, id)` index, read backwards, all
    in one statement (`UNION ALL`), then the logs themselves by id. With `FAILED_OR_PARTIAL` written
    as the index's own predicate, SQLite and PostgreSQL read the partial index of migration 0022."""
    order = (ERPSyncLog.started_at.desc(), ERPSyncLog.id.desc())
    branches: list[Select[uuid.UUID]] = [
        select(ERPSyncLog.id).where(ERPSyncLog.connection_id == cid, *where).order_by(*order).limit(limit)
        for cid in ids
    ]
    # SQLite takes no LIMIT on a compound's member itself: each is wrapped as a subquery.
    wanted = union_all(*(select(branch.subquery().c.id) for branch in branches))
    return list(await session.scalars(select(ERPSyncLog).where(ERPSyncLog.id.in_(wanted)).order_by(*order)))


def _health(
    ctx: AppContext,
    found: ERPConnection,
    newest: ERPSyncLog | None,
    conflicts: int,
    failed: Sequence[ERPSyncLog],
) -> ConnectionHealth:
    problem = found.connection_error if found.status == ConnectionStatus.ERROR else None
    try:
        keys = sorted(read_credentials(found, vault=ctx.vault))
    except CredentialDecryptionError as exc:
        keys, problem = [], problem or str(exc)
    if found.status == ConnectionStatus.ERROR and problem is None:
        problem = "the connection is in error and its syncs are stopped"
    return ConnectionHealth(
        connection=view(found),
        healthy=problem is None,
        problem=problem,
        credentials_set=keys,
        last_sync=log_summary(newest, found.name, SyncLogSummary) if newest is not None else None,
        open_conflicts=conflicts,
        recent_errors=[recent_error(log) for log in failed],
    )
