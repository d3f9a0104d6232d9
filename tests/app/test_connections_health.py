"""The health of every connection for a list (the web UI's connections screen), on SQLite and
PostgreSQL: each item equals the health of that connection read alone (newest log, open conflicts,
recent failures newest first and at most `RECENT_ERRORS`, a connection in error, credentials the keys
cannot decrypt), and the statements the list runs do not grow with the number of connections."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import delete, event, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from smartap_erp.app import connection_health as health
from smartap_erp.app import connections
from smartap_erp.app.connections import ConnectionCreate
from smartap_erp.db.models import ERPConflict, ERPConnection, ERPSyncLog
from smartap_erp.domain.enums import ConflictStatus, ConnectionStatus, ERPEntity, SyncDirection, SyncStatus
from tests.app.simulated import T0, SimulatedApp, simulated_app

CREDENTIALS = {
    "client_id": "cid",
    "client_secret": "secret",
    "realm_id": "1",
    "access_token": "a",
    "refresh_token": "r",
}
# A run's outcome by its number: most complete, some fail (stopped, with a kind), some partly fail
# (refused records only, so the message is built from them).
STATUSES = [SyncStatus.COMPLETED, SyncStatus.FAILED, SyncStatus.PARTIAL, SyncStatus.COMPLETED]


@pytest.fixture
def ctx(engine: AsyncEngine, session_factory: async_sessionmaker[AsyncSession]) -> SimulatedApp:
    return simulated_app(engine, session_factory)


def _log(connection_id: uuid.UUID, n: int) -> ERPSyncLog:
    status = STATUSES[n % len(STATUSES)]
    # Every third run starts at the same second as the one before: the order falls back to the id.
    started = T0 + dt.timedelta(minutes=n - (n % 3 == 2))
    records = [{"record_id": "V-1", "message": f"refused {n}", "kind": "validation"}]
    return ERPSyncLog(
        id=uuid.uuid4(),
        connection_id=connection_id,
        entity_type=ERPEntity.VENDOR,
        sync_direction=SyncDirection.IMPORT,
        status=status,
        started_at=started,
        completed_at=None if n % 5 == 0 else started + dt.timedelta(seconds=30),
        total_count=3,
        success_count=0 if status is SyncStatus.FAILED else 2,
        error_count=0 if status is SyncStatus.COMPLETED else 1,
        errors=[] if status is SyncStatus.COMPLETED else records,
        error_message=f"stopped {n}" if status is SyncStatus.FAILED else None,
        error_kind={SyncStatus.FAILED: "rate_limit", SyncStatus.PARTIAL: "validation"}.get(status),
    )


async def _seed(ctx: SimulatedApp, engine: AsyncEngine, count: int) -> None:
    """`count` connections, the n-th with 7*n runs (the first none, the later ones more failures than
    `RECENT_ERRORS`) and n % 3 open conflicts; one in error; one whose credentials the keys cannot
    read (stored under another key)."""
    other_keys = simulated_app(engine, ctx.sessions, key=Fernet.generate_key())
    for n in range(count):
        owner = other_keys if n == 1 else ctx
        request = {"system": "quickbooks", "name": f"Books {n:02}", "credentials": CREDENTIALS}
        await connections.create_connection(owner, ConnectionCreate.model_validate(request))
    async with ctx.sessions() as session:
        ids = await session.scalars(select(ERPConnection.id).order_by(ERPConnection.name))
        for n, cid in enumerate(list(ids)):
            session.add_all(_log(cid, k) for k in range(7 * n))
            session.add_all(
                ERPConflict(
                    connection_id=cid,
                    entity_type=ERPEntity.VENDOR,
                    erp_record_id=str(k),
                    smartap_version={"name": "a"},
                    erp_version={"name": "b"},
                    status=ConflictStatus.OPEN if k else ConflictStatus.RESOLVED,
                )
                for k in range(n % 3 + 1)
            )
            if n == 2:
                stored = await session.get(ERPConnection, cid)
                assert stored is not None
                stored.status, stored.connection_error = (
                    ConnectionStatus.ERROR,
                    "reconnect QuickBooks: refused",
                )
        await session.commit()


@contextmanager
def counted(engine: AsyncEngine) -> Iterator[list[str]]:
    """The SQL statements the engine runs inside the block."""
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2])

    event.listen(engine.sync_engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", count)


async def test_each_item_is_the_health_of_that_connection_read_alone(
    ctx: SimulatedApp, engine: AsyncEngine
) -> None:
    await _seed(ctx, engine, 8)

    listed = await health.connections_health(ctx)

    assert [h.connection.name for h in listed] == [f"Books {n:02}" for n in range(8)]
    alone = [await health.connection_health(ctx, str(h.connection.id)) for h in listed]
    assert listed == alone
    assert [len(h.recent_errors) for h in listed] == [0, 4, 7, 10, 10, 10, 10, 10]
    assert [h.open_conflicts for h in listed] == [0, 1, 2, 0, 1, 2, 0, 1]
    assert [h.healthy for h in listed] == [True, False, False, True, True, True, True, True]
    assert listed[1].problem is not None and "decrypt" in listed[1].problem
    assert listed[2].problem == "reconnect QuickBooks: refused"
    assert listed[0].last_sync is None
    newest = listed[7].last_sync
    assert newest is not None and newest.started_at == T0 + dt.timedelta(minutes=48)
    runs = listed[7].recent_errors
    assert [(r.at, r.sync_log_id) for r in runs] == sorted(
        ((r.at, r.sync_log_id) for r in runs), reverse=True
    )
    assert {r.message for r in runs} >= {"stopped 45", "1 of 3 records failed: refused 46"}


async def _clear(session_factory: async_sessionmaker[AsyncSession]) -> None:
    async with session_factory() as session:
        for table in (ERPSyncLog, ERPConflict, ERPConnection):
            await session.execute(delete(table))
        await session.commit()


async def test_the_list_runs_as_many_statements_for_eight_connections_as_for_two(
    ctx: SimulatedApp, engine: AsyncEngine, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    await _seed(ctx, engine, 2)
    with counted(engine) as two:
        assert len(await health.connections_health(ctx)) == 2
    await _clear(session_factory)
    await _seed(ctx, engine, 8)
    with counted(engine) as eight:
        assert len(await health.connections_health(ctx)) == 8
    await _clear(session_factory)
    with counted(engine) as none:
        assert await health.connections_health(ctx) == []

    assert len(two) == len(eight) == 4, eight  # connections, newest logs, failures, open conflicts
    assert len(none) == 1  # the connections, nothing more
