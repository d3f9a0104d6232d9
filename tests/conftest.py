"""Shared fixtures: every database test runs on SQLite and on PostgreSQL.

PostgreSQL comes from TEST_POSTGRES_URL (default: the local server CI provides, database `test`);
each test session creates its own scratch databases there and drops them afterwards. If the server
is unreachable the PostgreSQL tests fail: set SMARTAP_TEST_SKIP_POSTGRES=1 to skip them knowingly.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from smartap_erp.db import migrate
from smartap_erp.db.models import Base
from smartap_erp.db.session import make_engine, make_session_factory

# `fifth_erp`: an ERP defined only under tests/, registered for the test that asks for it.
pytest_plugins = ["tests.fifth_erp.fixtures"]

POSTGRES_ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")
BACKENDS = ("sqlite", "postgresql")


class PostgresScratch:
    """Creates and drops throwaway databases on the test PostgreSQL server."""

    def __init__(self, admin_url: str) -> None:
        self.admin_url = make_url(admin_url)
        self.created: list[str] = []

    def _run(self, statement: str) -> None:
        import asyncpg

        async def go() -> None:
            url = self.admin_url
            conn = await asyncpg.connect(
                host=url.host,
                port=url.port or 5432,
                user=url.username,
                password=url.password,
                database=url.database,
                timeout=10,
            )
            try:
                await conn.execute(statement)
            finally:
                await conn.close()

        asyncio.run(go())

    def check(self) -> None:
        self._run("SELECT 1")

    def new_database(self) -> str:
        name = f"smartap_test_{uuid.uuid4().hex[:12]}"
        self._run(f'CREATE DATABASE "{name}"')
        self.created.append(name)
        return self.admin_url.set(database=name).render_as_string(hide_password=False)

    def drop_all(self) -> None:
        for name in self.created:
            self._run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self.created.clear()


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresScratch]:
    scratch = PostgresScratch(POSTGRES_ADMIN_URL)
    try:
        scratch.check()
    except Exception as exc:
        if os.environ.get("SMARTAP_TEST_SKIP_POSTGRES") == "1":
            pytest.skip(f"PostgreSQL unavailable and SMARTAP_TEST_SKIP_POSTGRES=1: {exc}")
        pytest.fail(
            f"PostgreSQL at {POSTGRES_ADMIN_URL} is unreachable ({exc}); start it or set "
            "SMARTAP_TEST_SKIP_POSTGRES=1",
            pytrace=False,
        )
    yield scratch
    scratch.drop_all()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def empty_database_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """URL of a brand-new, empty database on the parametrised backend."""
    if backend == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'smartap.db'}"
    scratch: PostgresScratch = request.getfixturevalue("postgres")
    return scratch.new_database()


@pytest.fixture(scope="session")
def _migrated_postgres_url(request: pytest.FixtureRequest) -> str:
    scratch: PostgresScratch = request.getfixturevalue("postgres")
    url = scratch.new_database()
    migrate.upgrade(url)
    return url


@pytest.fixture
def _engine_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    # Resolved outside the event loop: creating PostgreSQL databases runs its own loop.
    if backend == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'smartap.db'}"
    return str(request.getfixturevalue("_migrated_postgres_url"))


@pytest.fixture
async def engine(backend: str, _engine_url: str) -> AsyncIterator[AsyncEngine]:
    """A migrated database: a fresh SQLite file per test, or the shared PostgreSQL one emptied after."""
    db_engine = make_engine(_engine_url)
    if backend == "sqlite":
        await migrate.upgrade_engine(db_engine)
    try:
        yield db_engine
    finally:
        if backend == "postgresql":
            tables = ", ".join(f'"{table.name}"' for table in Base.metadata.sorted_tables)
            async with db_engine.begin() as conn:
                await conn.execute(text(f"TRUNCATE {tables} CASCADE"))
        await db_engine.dispose()


@pytest.fixture
def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return make_session_factory(engine)


@pytest.fixture(autouse=True)
def _clean_settings_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests see only the variables they set: none of the developer's ERP or database settings."""
    from smartap_erp.settings import Settings, get_settings

    for name in Settings.model_fields:
        monkeypatch.delenv(name.upper(), raising=False)
    get_settings.cache_clear()
