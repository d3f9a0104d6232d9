"""Shared fixtures: every database test runs on SQLite and on PostgreSQL.

PostgreSQL comes from TEST_POSTGRES_URL (default: the local server CI provides, database `test`);
each test session (each pytest-xdist worker is one) creates its own scratch databases there, with
random names, and drops them afterwards. If the server is unreachable the PostgreSQL tests fail: set
SMARTAP_TEST_SKIP_POSTGRES=1 to skip them knowingly. A SQLite test gets its own file, a copy of a
template the session migrated once (`migrated_sqlite`), as Alembic per test cost ~0.15 s.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sqlite3
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, closing
from pathlib import Path

import pytest
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


def _migrations_fingerprint() -> tuple[tuple[str, int, int], ...]:
    """Name, size and change time of every migration file. A database migrated for another set is
    stale: in a checkout shared with others a migration can land during a long local run."""
    found = []
    with os.scandir(migrate.MIGRATIONS_DIR / "versions") as entries:
        for entry in entries:
            if entry.name.endswith(".py"):
                stat = entry.stat()
                found.append((entry.name, stat.st_size, stat.st_mtime_ns))
    return tuple(sorted(found))


class MigratedOnce:
    """A database migrated to head once per session (per xdist worker) and reused: a SQLite template
    file that each test copies, or the PostgreSQL database the tests share (emptied after each).
    Built again when the migration files change."""

    def __init__(self, build: Callable[[], str]) -> None:
        self._build = build
        self._fingerprint: tuple[tuple[str, int, int], ...] | None = None
        self._built = ""

    def current(self) -> str:
        fingerprint = _migrations_fingerprint()
        if fingerprint != self._fingerprint:
            self._built, self._fingerprint = self._build(), fingerprint
        return self._built


@pytest.fixture(scope="session")
def _postgres_migrated_once(postgres: PostgresScratch) -> MigratedOnce:
    def build() -> str:
        url = postgres.new_database()
        migrate.upgrade(url)
        return url

    return MigratedOnce(build)


@pytest.fixture
def _migrated_postgres_url(_postgres_migrated_once: MigratedOnce) -> str:
    return _postgres_migrated_once.current()


@pytest.fixture(scope="session")
def _sqlite_migrated_once(tmp_path_factory: pytest.TempPathFactory) -> MigratedOnce:
    def build() -> str:
        """A SQLite file migrated to head, in rollback-journal mode so that the file alone is the whole
        database (no -wal beside it to copy); each connection of the product switches a copy to WAL."""
        path = tmp_path_factory.mktemp("sqlite-template") / "migrated.db"
        migrate.upgrade(f"sqlite+aiosqlite:///{path}")
        with closing(sqlite3.connect(path)) as conn:
            mode = conn.execute("PRAGMA journal_mode=DELETE").fetchone()
        assert mode == ("delete",), mode
        return str(path)

    return MigratedOnce(build)


MigratedSqlite = Callable[[str], str]


@pytest.fixture
def migrated_sqlite(_sqlite_migrated_once: MigratedOnce) -> MigratedSqlite:
    """`migrated_sqlite(url)` makes the SQLite file of `url` a fresh database migrated to head, as
    `migrate.upgrade(url)` would (a copy of a template migrated once per session: Alembic costs
    ~0.15 s a database, a copy under 1 ms), and returns `url`."""

    def copy(url: str) -> str:
        parsed = make_url(url)
        assert parsed.get_backend_name() == "sqlite" and parsed.database, url
        target = Path(parsed.database)
        assert not target.exists(), f"{target} exists already"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(_sqlite_migrated_once.current(), target)
        return url

    return copy


@pytest.fixture
def _engine_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    # Resolved outside the event loop: creating PostgreSQL databases runs its own loop.
    if backend == "sqlite":
        copy: MigratedSqlite = request.getfixturevalue("migrated_sqlite")
        return copy(f"sqlite+aiosqlite:///{tmp_path / 'smartap.db'}")
    return str(request.getfixturevalue("_migrated_postgres_url"))


@pytest.fixture
async def engine(backend: str, _engine_url: str) -> AsyncIterator[AsyncEngine]:
    """A migrated database: a fresh SQLite file per test (a copy of the session's migrated template),
    or the session's PostgreSQL one, emptied after."""
    async with engine_for_test(backend, _engine_url) as db_engine:
        yield db_engine


@asynccontextmanager
async def engine_for_test(backend: str, url: str) -> AsyncIterator[AsyncEngine]:
    """The `engine` fixture's engine, in the event loop of whoever uses it (tests/ui runs its tests
    in the session's loop)."""
    db_engine = make_engine(url)
    try:
        yield db_engine
    finally:
        if backend == "postgresql":
            # DELETE, children first: on a test's few rows ~5 ms, where TRUNCATE (new files for every
            # table and index) took ~70 ms.
            async with db_engine.begin() as conn:
                for table in reversed(Base.metadata.sorted_tables):
                    await conn.execute(table.delete())
        await db_engine.dispose()


@pytest.fixture
def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return make_session_factory(engine)


@pytest.fixture(autouse=True)
def _clean_settings_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests see only the variables they set: none of the developer's ERP or database settings, and
    no terminal size (a pytest-xdist worker has COLUMNS=80, LINES=24 in its environment, which the
    CLI subprocesses would inherit: their piped tables would fold at 80 columns)."""
    from smartap_erp.settings import Settings, get_settings

    for name in [*(field.upper() for field in Settings.model_fields), "COLUMNS", "LINES"]:
        monkeypatch.delenv(name, raising=False)
    get_settings.cache_clear()
