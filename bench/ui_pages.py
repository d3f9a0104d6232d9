"""Benchmark (not a test): server-side render time of the web UI's pages with 100,000 sync logs, on
SQLite and PostgreSQL. Per database: a scratch database migrated to head and seeded in bulk with
100,000 sync logs over 5 connections (one every 2 minutes up to now, so the dashboard's 30 days hold
21,600 of them; one in ten failed or partial with record errors; the last day's runs with 3 recorded
HTTP exchanges each; PostgreSQL then analysed, as autovacuum would) and a signed-in admin (so every
page opens); then each page is asked `--requests` times, one after another, through httpx against
the ASGI app in this process (no network, no browser): the time is the server's rendering, templates
and queries. Prints p50/p95 per page and whether p95 < 200 ms.

    .venv/bin/python -m bench.ui_pages --requests 30 [--db sqlite]

PostgreSQL: TEST_POSTGRES_URL (default postgresql+asyncpg://postgres@127.0.0.1:5432/test); a
scratch database is created and dropped per run.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import random
import re
import statistics
import time
import uuid
from typing import Any

from bench.api_latency import _scratch_url
from bench.sync_log_rows import sync_log_row
from bench.vendor_import import _pg

LOGS = 100_000
CONNECTIONS = 5
TARGET_MS = 200.0
PASSWORD = "bench password, long enough"  # noqa: S105 (a scratch database's only user)


async def seed(ctx: Any, now: dt.datetime) -> tuple[list[str], str]:
    """Connections, logs and exchanges in bulk; the connection ids and a failed log's id."""
    from sqlalchemy import insert

    from smartap_erp.db.connections import create_connection
    from smartap_erp.db.models import ERPSyncLog, ERPSyncLogExchange
    from smartap_erp.domain import ERPEntity, ERPSystem, SyncStatus

    rng = random.Random(15)  # noqa: S311 (sample data, not secrets)
    entities = [ERPEntity.VENDOR, ERPEntity.PURCHASE_ORDER, ERPEntity.INVOICE, ERPEntity.PAYMENT]
    statuses = [SyncStatus.COMPLETED] * 9 + [SyncStatus.FAILED, SyncStatus.PARTIAL]
    failed = None
    async with ctx.sessions() as session:
        ids = []
        for n in range(CONNECTIONS):
            system = ERPSystem.XERO if n % 2 else ERPSystem.QUICKBOOKS
            credentials = {"client_id": "id", "client_secret": "s", "realm_id": str(n), "tenant_id": f"t{n}"}
            connection = await create_connection(
                session,
                vault=ctx.vault,
                name=f"bench {n}",
                system_type=system,
                credentials=credentials,
                api_url=f"http://{system.value}.test",
                tenant_id=f"t{n}" if system is ERPSystem.XERO else None,
            )
            ids.append(connection.id)
        for start in range(0, LOGS, 5_000):
            rows, exchanges = [], []
            for n in range(start, min(start + 5_000, LOGS)):
                entity, status = rng.choice(entities), rng.choice(statuses)
                at = now - dt.timedelta(minutes=2 * n)
                ok = status == SyncStatus.COMPLETED
                log_id = uuid.uuid4()
                if not ok and failed is None:
                    failed = log_id
                errors = [
                    {"record_id": f"R-{n}-{k}", "field": "amount", "message": "amount must be positive"}
                    for k in range(0 if ok else 10)
                ]
                rows.append(
                    sync_log_row(
                        log_id=log_id,
                        connection_id=ids[rng.randrange(CONNECTIONS)],
                        entity=entity,
                        status=status,
                        at=at,
                        errors=errors,
                    )
                )
                if now - at < dt.timedelta(days=1):
                    exchanges.extend(
                        {
                            "id": uuid.uuid4(),
                            "sync_log_id": log_id,
                            "seq": seq,
                            "method": "GET",
                            "url": f"http://quickbooks.test/v3/company/{n}/query?query=SELECT",
                            "status": 429 if seq == 2 and not ok else 200,
                            "duration_ms": 40,
                            "erp_code": None,
                            "error": None,
                            "at": at + dt.timedelta(seconds=seq),
                        }
                        for seq in (1, 2, 3)
                    )
            await session.execute(insert(ERPSyncLog), rows)
            if exchanges:
                await session.execute(insert(ERPSyncLogExchange), exchanges)
        await session.commit()
    assert failed is not None
    return [str(i) for i in ids], str(failed)


async def one_db(backend: str, requests: int) -> list[dict[str, Any]]:
    import httpx
    from cryptography.fernet import Fernet

    from smartap_erp.api.app import create_app
    from smartap_erp.app import users
    from smartap_erp.app.context import open_app
    from smartap_erp.app.users import Role, UserCreate
    from smartap_erp.db.migrate import upgrade_engine
    from smartap_erp.settings import Settings

    scratch = None if backend == "sqlite" else f"bench_ui_{uuid.uuid4().hex[:8]}"
    url = await _scratch_url(scratch)
    settings = Settings(database_url=url, smartap_encryption_keys=Fernet.generate_key().decode())
    if settings.sqlite_path is not None:
        settings.sqlite_path.touch()
    try:
        async with open_app(settings) as ctx:
            await upgrade_engine(ctx.engine)
            ids, failed = await seed(ctx, dt.datetime.now(dt.UTC))
            if backend == "postgresql":  # statistics as autovacuum would have them after such a load
                from sqlalchemy import text

                async with ctx.engine.connect() as connection:
                    await connection.execute(text("ANALYZE"))
                    await connection.commit()
            await users.create_user(ctx, UserCreate(username="bench", password=PASSWORD, role=Role.ADMIN))
            app = create_app(settings, context=ctx)
            async with (
                app.router.lifespan_context(app),
                httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://ui.test") as client,
            ):
                login = (await client.get("/ui/login")).text
                token = re.search(r'name="csrf_token" value="([^"]+)"', login)
                assert token is not None
                form = {"username": "bench", "password": PASSWORD, "csrf_token": token.group(1)}
                assert (await client.post("/ui/login", data=form)).status_code == 303
                pages = {
                    "connections": "/ui/connections",
                    "dashboard": "/ui/dashboard",
                    "logs": "/ui/logs",
                    "logs filtered": f"/ui/logs?connection={ids[1]}&status=failed&from=2020-01-01",
                    "logs text": "/ui/logs?text=R-77",
                    "logs offset 5000": "/ui/logs?offset=5000",
                    "log detail": f"/ui/logs/{failed}",
                    "connection detail": f"/ui/connections/{ids[0]}",
                    "new connection": "/ui/connections/new",
                    "mappings": f"/ui/mappings?connection={ids[0]}",
                    "conflicts": "/ui/conflicts",
                    "invoices": "/ui/invoices",
                }
                return [await _measure(client, name, path, requests) for name, path in pages.items()]
    finally:
        if scratch is not None:
            await _pg(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)')


async def _measure(client: Any, name: str, path: str, requests: int) -> dict[str, Any]:
    first = await client.get(path)  # warm: templates compiled, plans cached
    assert first.status_code == 200, (path, first.status_code, first.text[:300])
    times = []
    for _ in range(requests):
        began = time.perf_counter()
        answer = await client.get(path)
        times.append((time.perf_counter() - began) * 1000)
        assert answer.status_code == 200
    quantiles = statistics.quantiles(times, n=100, method="inclusive")
    return {"page": name, "p50": statistics.median(times), "p95": quantiles[94], "bytes": len(first.content)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    args = parser.parse_args()
    for backend in ("sqlite", "postgresql") if args.db == "both" else (args.db,):
        print(f"{backend}: {LOGS:,} sync logs, {args.requests} requests per page")
        for row in asyncio.run(one_db(backend, args.requests)):
            verdict = "ok" if row["p95"] < TARGET_MS else f"OVER {TARGET_MS:g} ms"
            print(f"  {row['page']:<18} p50 {row['p50']:7.1f} ms  p95 {row['p95']:7.1f} ms  {verdict}")


if __name__ == "__main__":
    main()
