"""Migration 0009 on SQLite and PostgreSQL: a connection to any ERP key can be stored after it, the
seed's CHECK list holds before it and again after a downgrade; the model refuses unregistered keys."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError, StatementError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from smartap_erp.connectors import ERPProvider
from smartap_erp.db import migrate
from smartap_erp.db.models import ERPConnection
from smartap_erp.db.session import make_engine
from smartap_erp.domain.enums import ERPSystem
from tests.fifth_erp.fixtures import fifth_erp

__all__ = ["fifth_erp"]  # the fixture

INSERT = text(
    "INSERT INTO erp_connections (id, name, system_type, status, credentials, credentials_version, "
    "auto_sync_enabled, sync_interval_minutes, conflict_policies, created_at, updated_at) "
    "VALUES (:id, :name, :system, 'pending', :creds, 1, :yes, 60, '{}', :at, :at)"
)


async def _insert(engine: AsyncEngine, name: str, system: str) -> None:
    async with engine.begin() as conn:
        await conn.execute(
            INSERT,
            {
                "id": uuid.uuid4().hex if engine.dialect.name == "sqlite" else uuid.uuid4(),
                "name": name,
                "system": system,
                "creds": b"x",
                "yes": True,
                "at": dt.datetime(2024, 1, 1, tzinfo=dt.UTC),
            },
        )


async def test_upgrade_opens_system_type_and_downgrade_restores_the_seed_list(
    empty_database_url: str,
) -> None:
    engine = make_engine(empty_database_url)
    try:
        await migrate.upgrade_engine(engine, "0008")
        with pytest.raises(DBAPIError):
            await _insert(engine, "Before", "ledgerly")
        await _insert(engine, "Books", "quickbooks")

        await migrate.upgrade_engine(engine, "0009")
        await _insert(engine, "Ledger", "ledgerly")
        async with engine.connect() as conn:
            stored = (await conn.execute(text("SELECT name, system_type FROM erp_connections"))).all()
        assert sorted(tuple(row) for row in stored) == [("Books", "quickbooks"), ("Ledger", "ledgerly")]

        async with engine.begin() as conn:
            await conn.execute(text("DELETE FROM erp_connections WHERE system_type = 'ledgerly'"))
        await migrate.downgrade_engine(engine, "0008")
        with pytest.raises(DBAPIError):
            await _insert(engine, "After", "ledgerly")
        await _insert(engine, "Xero", "xero")
    finally:
        await engine.dispose()


async def test_the_model_stores_a_registered_erp_and_refuses_an_unknown_one(
    session_factory: async_sessionmaker[AsyncSession], fifth_erp: ERPProvider
) -> None:
    async with session_factory() as session:
        session.add(ERPConnection(name="Ledger", system_type=ERPSystem("ledgerly"), credentials=b"x"))
        await session.commit()
    async with session_factory() as session:
        raw = (await session.execute(text("SELECT system_type FROM erp_connections"))).scalar_one()
        loaded = (await session.scalars(select(ERPConnection))).one()
    assert raw == "ledgerly" and loaded.system_type is ERPSystem("ledgerly")
    async with session_factory() as session:
        session.add(ERPConnection(name="Nope", system_type="acme-books", credentials=b"x"))
        with pytest.raises(StatementError, match="unknown ERP system 'acme-books'"):
            await session.commit()
