"""Benchmark (not a test): what the rate limiter costs per request, in memory and in the database.

Sends N requests one after another through `build_client` to an in-process transport that answers
at once (so nothing but the client stack is measured), with: no limiter; the QuickBooks limits with
slots in memory; and the same limits with slots in the database (SQLite file, PostgreSQL). A virtual
clock moves 0.125 s per request, QuickBooks' full rate (480 a minute), so each claim sees the ~480
slots a busy realm holds, yet never waits: the figures are the bookkeeping alone (for the database,
one claim transaction and one finish update per request). Prints microseconds per request.

    .venv/bin/python -m bench.ratelimit_overhead --requests 2000

PostgreSQL: TEST_POSTGRES_URL (default postgresql+asyncpg://postgres@127.0.0.1:5432/test); a
scratch database is created and dropped.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
import uuid

import httpx
from sqlalchemy import text
from sqlalchemy.engine import make_url

from smartap_erp.connectors.quickbooks.limits import QUICKBOOKS_LIMITS
from smartap_erp.db import migrate
from smartap_erp.db.ratelimits import DatabaseSlotStore
from smartap_erp.db.session import make_engine
from smartap_erp.domain.enums import ERPSystem
from smartap_erp.http import LimiterRegistry, ManualClock, build_client

PG_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")
POLICY = QUICKBOOKS_LIMITS
STEP = 0.125  # virtual seconds between requests: 8 a second, 480 a minute


async def per_request(registry: LimiterRegistry | None, requests: int) -> float:
    clock = ManualClock()
    key, erp = "quickbooks:realm:1", ERPSystem.QUICKBOOKS
    limiters = (
        [] if registry is None else [registry.get(key, POLICY, erp=erp, clock=clock, sleep=clock.sleep)]
    )
    transport = httpx.MockTransport(lambda request: httpx.Response(200, json={}))
    async with build_client("https://erp.test/", transport=transport, limiters=limiters) as http:
        for _ in range(500):  # warm up and fill the minute window as a busy realm would
            await http.get("x")
            clock.advance(STEP)
        elapsed = 0.0
        for _ in range(requests):
            start = time.perf_counter()
            await http.get("x")
            elapsed += time.perf_counter() - start
            clock.advance(STEP)
        assert clock.sleeps == [], clock.sleeps  # the bench measures bookkeeping, not waiting
        return elapsed / requests * 1e6


async def in_database(url: str, requests: int) -> float:
    engine = make_engine(url)
    try:
        await migrate.upgrade_engine(engine)
        return await per_request(LimiterRegistry(DatabaseSlotStore(engine)), requests)
    finally:
        await engine.dispose()


async def scratch_postgres() -> tuple[str, str]:
    name = f"smartap_bench_{uuid.uuid4().hex[:12]}"
    admin = make_engine(PG_URL, isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    await admin.dispose()
    return make_url(PG_URL).set(database=name).render_as_string(hide_password=False), name


async def drop_postgres(name: str) -> None:
    admin = make_engine(PG_URL, isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    await admin.dispose()


async def main(requests: int) -> None:
    base = await per_request(None, requests)
    rows = [("no limiter", base), ("memory slots", await per_request(LimiterRegistry(), requests))]
    with tempfile.TemporaryDirectory() as folder:
        rows.append(("SQLite slots", await in_database(f"sqlite+aiosqlite:///{folder}/bench.db", requests)))
    url, name = await scratch_postgres()
    try:
        rows.append(("PostgreSQL slots", await in_database(url, requests)))
    finally:
        await drop_postgres(name)
    for label, micros in rows:
        print(f"{label:18} {micros:8.0f} us/request  (+{micros - base:6.0f} us over no limiter)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    asyncio.run(main(parser.parse_args().requests))
