"""Worker processes and scaled time for `test_shared_rate_limits_processes`.

`ScaledTime` is time that runs `rate` times faster than the machine's, the same in every process:
CLOCK_MONOTONIC is system-wide on Linux, so `epoch + rate * (monotonic() - mono0)` reads alike in the
test, its simulators and its workers, and `sleep(s)` really waits s / rate. The bound under test
holds whatever the delays, so a loaded machine only makes the run slower, never wrong.

`load_worker` runs in a spawned process: its own engine on the shared database, connectors opened
the product's way (`open_connector`: tokens and rate-limit slots in the database), a barrier so every
process starts together, then `callers` concurrent callers per connection sending requests until
the process's share is done. It reports the HTTP status of every request per system.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from typing import Any

import httpx

from erpsim.core.clock import Clock as SimClock
from smartap_erp.connectors.base import ERPConnector
from smartap_erp.db.models import ERPConnection
from smartap_erp.db.session import make_engine, make_session_factory
from smartap_erp.db.vault import CredentialVault, KeyRing
from smartap_erp.domain.enums import ERPSystem
from smartap_erp.http import RetryPolicy
from smartap_erp.sync.connectors import open_connector

BARRIER_TIMEOUT = 120.0


@dataclass(frozen=True)
class ScaledTime:
    epoch: float
    mono0: float
    rate: float

    def __call__(self) -> float:
        return self.epoch + self.rate * (time.monotonic() - self.mono0)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds) / self.rate)


class ScaledSimClock(SimClock):
    """The simulators' clock on the same scaled time."""

    def __init__(self, scaled: ScaledTime) -> None:
        super().__init__()
        self.scaled = scaled

    def time(self) -> float:
        return self.scaled()

    async def sleep(self, seconds: float) -> None:
        await self.scaled.sleep(seconds)


def load_worker(
    database_url: str,
    key: str,
    jobs: list[tuple[str, int, ScaledTime]],
    callers: int,
    barrier: Any,
    results: Any,
) -> None:
    """`jobs`: (connection id, requests to send, its ERP's time); puts {system: {status: count}}."""
    try:
        results.put(asyncio.run(_work(database_url, key, jobs, callers, barrier)))
    except BaseException as exc:  # tell the test at once, and free the others from the barrier
        barrier.abort()
        results.put({"worker failed": {f"{type(exc).__name__}: {exc}": 1}})
        raise


async def _work(
    database_url: str, key: str, jobs: list[tuple[str, int, ScaledTime]], callers: int, barrier: Any
) -> dict[str, dict[str, int]]:
    engine = make_engine(database_url)
    factory = make_session_factory(engine)
    vault = CredentialVault(KeyRing([key.encode()], "test"))
    try:
        connectors: list[tuple[ERPConnector, int]] = []
        for connection_id, count, scaled in jobs:
            async with factory() as session:
                connection = await session.get(ERPConnection, uuid.UUID(connection_id))
            assert connection is not None
            options: dict[str, Any] = {
                "clock": scaled,
                "sleep": scaled.sleep,
                "retry": RetryPolicy(max_attempts=1),
            }
            connectors.append(
                (open_connector(connection, session_factory=factory, vault=vault, **options), count)
            )
        barrier.wait(BARRIER_TIMEOUT)
        tallies = await asyncio.gather(*(_load(connector, count, callers) for connector, count in connectors))
        return {
            connector.system.value: dict(tally)
            for (connector, _), tally in zip(connectors, tallies, strict=True)
        }
    finally:
        await engine.dispose()


async def _load(connector: ERPConnector, count: int, callers: int) -> Counter[str]:
    tally: Counter[str] = Counter()
    calls = iter(range(count))

    async def caller() -> None:
        for n in calls:
            try:
                response = await _request(connector, n)
                tally[str(response.status_code)] += 1
            except Exception as exc:  # reported to the test, which shows it
                tally[f"{type(exc).__name__}: {exc}"[:200]] += 1

    async with connector:
        await asyncio.gather(*(caller() for _ in range(callers)))
    return tally


async def _request(connector: ERPConnector, n: int) -> httpx.Response:
    if connector.system is ERPSystem.QUICKBOOKS and n % 20 == 0:  # 5 % batches: their own limit too
        body = {"BatchItemRequest": [{"bId": "1", "Query": "select * from Vendor maxresults 1"}]}
        return await connector.http.post("batch", json=body)
    if connector.system is ERPSystem.QUICKBOOKS:
        return await connector.http.get("query", params={"query": "select * from Vendor maxresults 1"})
    return await connector.http.get("Organisation")
