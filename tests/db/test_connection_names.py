"""Connection names are unique (migration 0006): duplicates made before it are renamed, not lost."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from smartap_erp.db import migrate
from smartap_erp.db.session import make_engine
from tests.db import factories

INSERT = text(
    "INSERT INTO erp_connections (id, name, system_type, status, credentials, credentials_version, "
    "auto_sync_enabled, sync_interval_minutes, conflict_policies, created_at, updated_at) "
    "VALUES (:id, :name, 'quickbooks', 'pending', :creds, 1, :yes, 60, '{}', :at, :at)"
)


async def test_upgrade_renames_existing_duplicates_and_downgrade_keeps_them(empty_database_url: str) -> None:
    engine = make_engine(empty_database_url)
    try:
        await migrate.upgrade_engine(engine, "0005")
        start = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
        names = ["Books", "Books", "Books (2)", "Books", "Xero"]
        async with engine.begin() as conn:
            for offset, name in enumerate(names):
                await conn.execute(
                    INSERT,
                    {
                        "id": uuid.uuid4().hex if engine.dialect.name == "sqlite" else uuid.uuid4(),
                        "name": name,
                        "creds": b"x",
                        "yes": True,
                        "at": start + dt.timedelta(minutes=offset),
                    },
                )
        await migrate.upgrade_engine(engine, "0006")
        async with engine.connect() as conn:
            rows = (await conn.execute(text("SELECT name FROM erp_connections ORDER BY created_at"))).all()
        assert [r.name for r in rows] == ["Books", "Books (3)", "Books (2)", "Books (4)", "Xero"]
        await migrate.downgrade_engine(engine, "0005")
        async with engine.connect() as conn:
            assert (await conn.execute(text("SELECT count(*) FROM erp_connections"))).scalar() == 5
    finally:
        await migrate.downgrade_engine(engine, "base")
        await engine.dispose()


async def test_the_database_refuses_a_second_connection_with_the_same_name(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    async with session_factory() as session, session.begin():
        session.add(factories.connection("Books"))
    with pytest.raises(IntegrityError):
        async with session_factory() as session, session.begin():
            session.add(factories.connection("Books"))
