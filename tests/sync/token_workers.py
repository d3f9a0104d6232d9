"""Worker processes for the cross-process token refresh test (`test_token_refresh_processes.py`).

`refresh_worker` runs in a spawned process: it opens its own engine on the shared database, waits
at a barrier until every worker is ready (no sleeps), then lets `callers` concurrent callers, each
with its own connector (own auth flow, own in-process lock), call QuickBooks `companyinfo` through
the stored connection. It reports one outcome per caller on the queue: "ok" or the error's text
(or, for each, why the whole worker failed).
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from smartap_erp.connectors.base import ERPConnector
from smartap_erp.db.models import ERPConnection
from smartap_erp.db.session import make_engine, make_session_factory
from smartap_erp.db.vault import CredentialVault, KeyRing
from smartap_erp.http import LimiterRegistry
from smartap_erp.sync.connectors import open_connector

BARRIER_TIMEOUT = 120.0


def refresh_worker(
    database_url: str, key: str, connection_id: str, callers: int, barrier: Any, results: Any
) -> None:
    try:
        results.put(asyncio.run(_work(database_url, key, uuid.UUID(connection_id), callers, barrier)))
    except BaseException as exc:  # tell the test at once, and free the others from the barrier
        barrier.abort()
        results.put([f"worker failed: {type(exc).__name__}: {exc}"] * callers)
        raise


async def _work(
    database_url: str, key: str, connection_id: uuid.UUID, callers: int, barrier: Any
) -> list[str]:
    extra = {} if database_url.startswith("sqlite") else {"pool_size": 5, "max_overflow": 0}
    engine = make_engine(database_url, **extra)
    factory = make_session_factory(engine)
    vault = CredentialVault(KeyRing([key.encode()], "test"))
    try:
        async with factory() as session:
            connection = await session.get(ERPConnection, connection_id)
        assert connection is not None
        limiters = LimiterRegistry()
        connectors = [  # built before the barrier: only the calls race (plain http: no CA bundle to load)
            open_connector(connection, session_factory=factory, vault=vault, limiters=limiters, verify=False)
            for _ in range(callers)
        ]

        async def call(connector: ERPConnector) -> str:
            async with connector:
                try:
                    await connector.test_connection()
                except Exception as exc:  # reported to the test, which shows it
                    return f"{type(exc).__name__}: {exc}"
            return "ok"

        barrier.wait(BARRIER_TIMEOUT)  # every process is ready: start the callers together
        return list(await asyncio.gather(*(call(connector) for connector in connectors)))
    finally:
        await engine.dispose()
