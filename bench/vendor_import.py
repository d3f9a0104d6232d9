"""Benchmark (not a test): import N vendors from each simulator with 50 ms added latency, on SQLite
and PostgreSQL. Prints, per ERP and database: requests made vs the minimum (performance.md
§Physical limits: R_min = ceil(N / P)), wall time vs T_min = R_min x L (sequential pages, L =
latency), the local upsert rate (records / seconds spent committing pages) and peak RSS of a
subprocess per run.

    .venv/bin/python -m bench.vendor_import --vendors 10000 50000

PostgreSQL: TEST_POSTGRES_URL (default postgresql+asyncpg://postgres@127.0.0.1:5432/test); a
scratch database is created and dropped per run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

PG_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")
PAGE = 1000  # max rows per read page on QBO, Xero, NetSuite; SAP with odata.maxpagesize (A1)


async def _pg(statement: str) -> None:
    import asyncpg
    from sqlalchemy.engine import make_url

    url = make_url(PG_URL)
    conn = await asyncpg.connect(
        host=url.host, port=url.port or 5432, user=url.username, password=url.password, database=url.database
    )
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


async def scratch_database(backend: str) -> tuple[str, str | None]:
    """A database URL for one run, and the PostgreSQL scratch database to drop after it (None: SQLite)."""
    from sqlalchemy.engine import make_url

    if backend != "postgresql":
        return f"sqlite+aiosqlite:///{tempfile.mkdtemp()}/bench.db", None
    scratch = f"smartap_bench_{uuid.uuid4().hex[:10]}"
    await _pg(f'CREATE DATABASE "{scratch}"')
    return make_url(PG_URL).set(database=scratch).render_as_string(hide_password=False), scratch


@asynccontextmanager
async def scratch_engine(backend: str) -> AsyncIterator[Any]:
    """An engine on a scratch database (`scratch_database`), disposed and dropped on leaving."""
    from smartap_erp.db.session import make_engine

    url, scratch = await scratch_database(backend)
    engine = make_engine(url)
    try:
        yield engine
    finally:
        await engine.dispose()
        if scratch:
            await _pg(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)')


async def one_run(system: str, backend: str, vendors: int, latency_ms: float) -> dict[str, Any]:
    import httpx
    from cryptography.fernet import Fernet

    from erpsim.core import SimConfig
    from smartap_erp.db import migrate
    from smartap_erp.db.connections import create_connection
    from smartap_erp.db.models import Base
    from smartap_erp.db.session import make_engine, make_session_factory
    from smartap_erp.db.vault import CredentialVault, KeyRing
    from smartap_erp.domain import ERPSystem
    from smartap_erp.http import LimiterRegistry
    from smartap_erp.sync.context import SyncContext
    from smartap_erp.sync.imports import run as imports
    from smartap_erp.sync.service import ERPSyncService

    _ = migrate
    url, scratch = await scratch_database(backend)
    engine = make_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(Base.metadata.create_all)
        sessions = make_session_factory(engine)
        ctx = SyncContext(sessions, CredentialVault(KeyRing([Fernet.generate_key()], "bench")))
        module = __import__(f"erpsim.{system}", fromlist=["create_app"])
        app = module.create_app(SimConfig(vendors=vendors, purchase_orders=0, bills=0, latency_ms=latency_ms))
        sim = app.state.sim
        async with sessions() as session:
            connection = await create_connection(
                session,
                vault=ctx.vault,
                name=system,
                system_type=ERPSystem(system),
                credentials=sim.credentials(),
                api_url=f"http://{system}.test",
                tenant_id=sim.credentials().get("tenant_id"),
                company_db=sim.credentials().get("company_db"),
            )
            await session.commit()
        ctx.options_by_connection[connection.id] = {
            "transport": httpx.ASGITransport(app=app),
            "limiters": LimiterRegistry(),
        }
        commit_seconds = 0.0
        original = imports.commit_page

        async def timed(*args: Any) -> Any:
            nonlocal commit_seconds
            started = time.perf_counter()
            try:
                return await original(*args)
            finally:
                commit_seconds += time.perf_counter() - started

        imports.commit_page = timed  # type: ignore[assignment]
        before = sim.state()["requests"]["total"]
        started = time.perf_counter()
        report = await ERPSyncService(ctx).import_vendors(connection.id, triggered_by="bench")
        wall = time.perf_counter() - started
        requests = sim.state()["requests"]["total"] - before
        r_min = math.ceil(vendors / PAGE)
        return {
            "system": system,
            "db": backend,
            "vendors": vendors,
            "imported": report.created_count,
            "errors": report.error_count,
            "requests": requests,
            "r_min": r_min,
            "wall_s": round(wall, 2),
            "t_min_s": round(r_min * latency_ms / 1000, 2),
            "upsert_rps": round(vendors / commit_seconds),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        }
    finally:
        await engine.dispose()
        if scratch:
            await _pg(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--vendors", type=int, nargs="+", default=[10_000, 50_000])
    parser.add_argument("--systems", nargs="+", default=["quickbooks", "xero", "sap", "netsuite"])
    parser.add_argument("--db", nargs="+", default=["sqlite", "postgresql"])
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--one", nargs=3, metavar=("SYSTEM", "DB", "N"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:  # child process: one run, so peak RSS is this run's alone
        system, db, n = args.one
        print(json.dumps(asyncio.run(one_run(system, db, int(n), args.latency_ms))))
        return
    columns = [
        "system",
        "db",
        "vendors",
        "imported",
        "errors",
        "requests",
        "r_min",
        "wall_s",
        "t_min_s",
        "upsert_rps",
        "peak_rss_mb",
    ]
    print(" | ".join(columns))
    for n in args.vendors:
        for system in args.systems:
            for db in args.db:
                child = subprocess.run(  # noqa: S603 (our own module, fixed arguments)
                    [
                        sys.executable,
                        "-m",
                        "bench.vendor_import",
                        "--one",
                        system,
                        db,
                        str(n),
                        "--latency-ms",
                        str(args.latency_ms),
                    ],
                    capture_output=True,
                    text=True,
                    check=False,
                )
                if child.returncode != 0:
                    reason = child.stderr.strip().splitlines()[-1:]
                    print(f"{system} | {db} | {n} | FAILED: {reason}", flush=True)
                    continue
                row = json.loads(child.stdout.strip().splitlines()[-1])
                print(" | ".join(str(row[c]) for c in columns), flush=True)


if __name__ == "__main__":
    main()
