"""Engines and async session factories, built on demand from Settings; no engine exists at import time.

SQLite gets WAL, foreign keys and a busy timeout on every connection (WAL is ~1.5x faster for bulk
upserts; see performance.md §Local upserts). The directory of a SQLite file is created if missing.

Pool: a process keeps up to `POOL_SIZE` connections open and opens up to `MAX_OVERFLOW` more for a
burst (closed again when returned). SQLAlchemy's default (5 + 10 overflow) makes an API server with
20 requests in flight open and close overflow connections all the time; 20 kept measured 10-25% more
requests/s (performance.md §REST API). The overflow stays because one request can hold two
connections at once (its session, and the token store or rate limiter of the connector it calls):
without it, 20 such requests could wait on each other until the pool timeout. Connections are opened
on demand, so a CLI command or an idle worker still holds one or two. Every process has its own pool:
`smartap-erp serve --workers N` plus the workers may hold (N + workers) x 30 PostgreSQL connections
at peak; keep that below the server's `max_connections` (100 by default) or put a pooler in front.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from smartap_erp.settings import Settings

POOL_SIZE = 20
MAX_OVERFLOW = 10


def make_engine(database_url: str, **kwargs: Any) -> AsyncEngine:
    """An async engine for the URL, with SQLite tuned for concurrent readers and bulk writes, and
    the pool sized for an API server (unless `kwargs` choose a pool)."""
    url = make_url(database_url)
    in_memory = url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:")
    if "poolclass" not in kwargs and not in_memory:  # an in-memory SQLite has one connection
        kwargs.setdefault("pool_size", POOL_SIZE)
        kwargs.setdefault("max_overflow", MAX_OVERFLOW)
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        # No prepared-statement cache per connection: a sync's page-sized IN lists are new statements
        # of hundreds of KB each, and 128 of them kept by each pooled connection grew a worker's memory
        # by about 45 MB from 10,000 to 200,000 vendors (bench/import_e2e.py --memory, issue 17).
        kwargs.setdefault("connect_args", {}).setdefault("cached_statements", 0)
        engine = create_async_engine(url, **kwargs)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    # asyncpg prepares every statement; after five runs PostgreSQL may switch a prepared statement to
    # a generic plan, and for the page-sized `IN (...)` lookups of a sync that plan scans whole tables
    # (measured: a mapping lookup grew to 0.8 s per page at 30k vendors). Custom plans keep the indexes.
    connect_args = kwargs.pop("connect_args", {})
    connect_args.setdefault("server_settings", {}).setdefault("plan_cache_mode", "force_custom_plan")
    return create_async_engine(url, pool_pre_ping=True, connect_args=connect_args, **kwargs)


def engine_from_settings(settings: Settings) -> AsyncEngine:
    return make_engine(settings.database_url)


def make_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()
