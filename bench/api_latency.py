"""Benchmark (not a test): the REST API's latency under 20 concurrent clients, on SQLite and
PostgreSQL. Per database: a scratch database migrated to head and seeded in bulk with 100,000 sync
logs spread over 5 connections and 2,000 vendors linked to them, an admin key; the real app served
by `smartap-erp serve` (uvicorn, a subprocess, loopback); 20 `httpx.AsyncClient`s then take turns
over the list endpoints (sync logs unfiltered, filtered, by date range, by offset; connections;
vendors of a connection) and `POST .../sync/vendors` (queued on the DBOS system tables the server
creates beside the database; no worker runs, so jobs only queue; each request asks a distinct
`limit`, so none joins an earlier job). Prints p50/p95/p99 and requests/s per endpoint, and whether
the targets hold (lists p95 < 50 ms, sync 202 < 100 ms). `--workers N` serves with N processes
(`smartap-erp serve --workers N`).

    .venv/bin/python -m bench.api_latency --requests 200 [--workers 2] [--db sqlite]

PostgreSQL: TEST_POSTGRES_URL (default postgresql+asyncpg://postgres@127.0.0.1:5432/test); a
scratch database is created and dropped per run.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from bench.sync_log_rows import sync_log_row
from bench.vendor_import import PG_URL, _pg

LOGS = 100_000
CONNECTIONS = 5
VENDORS = 2_000
CLIENTS = 20
LIST_P95_MS = 50.0
SYNC_P95_MS = 100.0
T0 = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def seed(url: str, key: bytes) -> tuple[list[str], str]:
    """Migrate and fill the database; the connection ids and an admin API key."""
    from sqlalchemy import insert

    from smartap_erp.app import api_keys
    from smartap_erp.app.api_keys import APIKeyCreate, Scope
    from smartap_erp.app.context import open_app
    from smartap_erp.db.connections import create_connection
    from smartap_erp.db.migrate import upgrade_engine
    from smartap_erp.db.models import ERPSyncLog, ERPVendorLink, Vendor
    from smartap_erp.domain import ERPEntity, ERPSystem, SyncStatus
    from smartap_erp.settings import Settings

    settings = Settings(database_url=url, smartap_encryption_keys=key.decode())
    if settings.sqlite_path is not None:
        settings.sqlite_path.touch()
    rng = random.Random(14)  # noqa: S311 (sample data, not secrets)
    async with open_app(settings) as ctx:
        await upgrade_engine(ctx.engine)
        async with ctx.sessions() as session:
            ids = []
            for n in range(CONNECTIONS):
                connection = await create_connection(
                    session,
                    vault=ctx.vault,
                    name=f"bench {n}",
                    system_type=ERPSystem.QUICKBOOKS,
                    credentials={"client_id": "id", "client_secret": "secret", "realm_id": str(n)},
                    api_url="http://quickbooks.test",
                )
                ids.append(connection.id)
            vendors = [
                {"id": uuid.uuid4(), "name": f"Vendor {n:05d}", "normalized_name": f"vendor {n:05d}"}
                for n in range(VENDORS)
            ]
            await session.execute(insert(Vendor), vendors)
            links = [
                {
                    "id": uuid.uuid4(),
                    "connection_id": ids[n % CONNECTIONS],
                    "smartap_vendor_id": v["id"],
                    "erp_vendor_id": str(n),
                }
                for n, v in enumerate(vendors)
            ]
            await session.execute(insert(ERPVendorLink), links)
            entities = [ERPEntity.VENDOR, ERPEntity.PURCHASE_ORDER, ERPEntity.INVOICE, ERPEntity.PAYMENT]
            statuses = [SyncStatus.COMPLETED] * 8 + [SyncStatus.FAILED, SyncStatus.PARTIAL]
            for start in range(0, LOGS, 5_000):
                rows = []
                for n in range(start, min(start + 5_000, LOGS)):
                    entity = rng.choice(entities)
                    status = rng.choice(statuses)
                    ok = status == SyncStatus.COMPLETED
                    at = T0 + dt.timedelta(minutes=5 * n)  # a year of runs, one every 5 minutes
                    rows.append(
                        sync_log_row(
                            log_id=uuid.uuid4(),
                            connection_id=ids[rng.randrange(CONNECTIONS)],
                            entity=entity,
                            status=status,
                            at=at,
                            errors=[] if ok else [{"record": "x", "error": "no"}],
                        )
                    )
                await session.execute(insert(ERPSyncLog), rows)
            await session.commit()
        created = await api_keys.create(ctx, APIKeyCreate(name="bench", scope=Scope.ADMIN))
    return [str(i) for i in ids], created.key


def requests_for(ids: list[str]) -> dict[str, tuple[str, str, dict[str, Any]]]:
    """Each measured endpoint: (method, path, params); the sync's body is filled per request."""
    logs = "/api/v1/erp/sync-logs"
    return {
        "GET sync-logs": ("GET", logs, {"limit": 50}),
        "GET sync-logs?connection,entity,status": (
            "GET",
            logs,
            {"connection_id": ids[1], "entity_type": "vendor", "status": "failed", "limit": 50},
        ),
        "GET sync-logs?started_from,before": (
            "GET",
            logs,
            {"started_from": "2025-06-01T00:00:00Z", "started_before": "2025-06-08T00:00:00Z", "limit": 50},
        ),
        "GET sync-logs?offset=5000": ("GET", logs, {"offset": 5000, "limit": 50}),
        "GET connections": ("GET", "/api/v1/erp/connections", {}),
        "GET vendors?connection": ("GET", "/api/v1/erp/vendors", {"connection_id": ids[2], "limit": 50}),
        "POST sync/vendors": ("POST", f"/api/v1/erp/connections/{ids[0]}/sync/vendors", {}),
    }


async def load(
    base: str, key: str, ids: list[str], per_endpoint: int, clients: int, think_ms: float
) -> dict[str, Any]:
    """`per_endpoint` requests of each endpoint, interleaved, by `clients` clients at once, each
    pausing `think_ms` after every answer (0: back to back, the server saturated)."""
    import httpx

    endpoints = requests_for(ids)
    work = [name for name in endpoints for _ in range(per_endpoint)]
    random.Random(7).shuffle(work)  # noqa: S311
    times: dict[str, list[float]] = {name: [] for name in endpoints}
    failures: dict[str, list[str]] = {name: [] for name in endpoints}
    limits = iter(range(1, 10_000_000))  # a distinct sync request each time: a new job, never a join
    headers = {"Authorization": f"Bearer {key}"}

    async def client(n: int) -> None:
        await asyncio.sleep(think_ms * n / clients / 1000)  # paced clients start spread over one pause
        async with httpx.AsyncClient(base_url=base, headers=headers, timeout=30) as http:
            while work:
                name = work.pop()
                method, path, params = endpoints[name]
                body = {"limit": next(limits)} if method == "POST" else None
                started = time.perf_counter()
                response = await http.request(method, path, params=params, json=body)
                elapsed = (time.perf_counter() - started) * 1000
                expected = 202 if method == "POST" else 200
                if response.status_code != expected:
                    failures[name].append(f"{response.status_code} {response.text[:200]}")
                times[name].append(elapsed)
                if think_ms:
                    await asyncio.sleep(think_ms / 1000)

    async with httpx.AsyncClient(base_url=base, headers=headers) as warm:  # first queue use opens DBOS
        for method, path, params in endpoints.values():
            body = {"limit": 9_999_999} if method == "POST" else None
            await warm.request(method, path, params=params, json=body)
    started = time.perf_counter()
    await asyncio.gather(*(client(n) for n in range(clients)))
    wall = time.perf_counter() - started
    return {"times": times, "failures": failures, "wall": wall}


def _pct(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


async def _scratch_url(scratch: str | None) -> str:
    """A new PostgreSQL database named `scratch`, or (None) a SQLite file in a new directory."""
    from sqlalchemy.engine import make_url

    if scratch is None:
        return f"sqlite+aiosqlite:///{tempfile.mkdtemp()}/bench.db"
    await _pg(f'CREATE DATABASE "{scratch}"')
    return make_url(PG_URL).set(database=scratch).render_as_string(hide_password=False)


async def one_db(
    backend: str, per_endpoint: int, clients: int, think_ms: float, workers: int = 1
) -> list[dict[str, Any]]:
    import httpx
    from cryptography.fernet import Fernet

    scratch = f"smartap_api_bench_{uuid.uuid4().hex[:10]}" if backend == "postgresql" else None
    url = await _scratch_url(scratch)
    key = Fernet.generate_key()
    server = None
    try:
        seeding = time.perf_counter()
        ids, api_key = await seed(url, key)
        print(f"# {backend}: seeded in {time.perf_counter() - seeding:.1f} s", flush=True)
        port = _free_port()
        env = {**os.environ, "DATABASE_URL": url, "SMARTAP_ENCRYPTION_KEYS": key.decode()}
        server = subprocess.Popen(  # noqa: S603, ASYNC220 (our own CLI; started once, not awaited)
            [
                *(str(Path(sys.executable).parent / "smartap-erp"), "serve", "--port", str(port)),
                *(("--workers", str(workers)) if workers > 1 else ()),
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        base = f"http://127.0.0.1:{port}"
        async with httpx.AsyncClient(base_url=base) as probe:
            for _ in range(300):
                try:
                    if (await probe.get("/healthz")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.1)
            else:
                raise RuntimeError("the server did not start")
        result = await load(base, api_key, ids, per_endpoint, clients, think_ms)
        rows = []
        for name, values in result["times"].items():
            target = SYNC_P95_MS if name.startswith("POST") else LIST_P95_MS
            p95 = _pct(values, 95)
            rows.append(
                {
                    "db": backend,
                    "endpoint": name,
                    "n": len(values),
                    "errors": len(result["failures"][name]),
                    "p50_ms": round(_pct(values, 50), 1),
                    "p95_ms": round(p95, 1),
                    "p99_ms": round(_pct(values, 99), 1),
                    "target_p95_ms": target,
                    "met": "yes" if p95 < target and not result["failures"][name] else "NO",
                }
            )
            for failure in result["failures"][name][:3]:
                print(f"# {backend} {name}: {failure}", flush=True)
        total = sum(len(v) for v in result["times"].values())
        rate = total / result["wall"]
        print(f"# {backend}: {total} requests in {result['wall']:.1f} s = {rate:.0f} requests/s", flush=True)
        print(
            f"# {backend}: {clients} clients, {think_ms:g} ms pause between requests, "
            f"{workers} server process{'es' if workers > 1 else ''}",
            flush=True,
        )
        return rows
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        if scratch:
            await _pg(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=200, help="requests per endpoint")
    parser.add_argument("--db", nargs="+", default=["sqlite", "postgresql"])
    parser.add_argument("--clients", type=int, default=CLIENTS, help="concurrent clients")
    parser.add_argument("--think-ms", type=float, default=0.0, help="each client's pause between requests")
    parser.add_argument("--workers", type=int, default=1, help="server processes (serve --workers)")
    args = parser.parse_args()
    columns = ["db", "endpoint", "n", "errors", "p50_ms", "p95_ms", "p99_ms", "target_p95_ms", "met"]
    for db in args.db:
        rows = asyncio.run(one_db(db, args.requests, args.clients, args.think_ms, args.workers))
        print(" | ".join(columns))
        for row in rows:
            print(" | ".join(str(row[c]) for c in columns), flush=True)


if __name__ == "__main__":
    main()
