"""Three processes share each ERP's limits through the database: the simulators never answer 429.

Real simulators on loopback enforce the published limits (QuickBooks 500/min, 10/s, 10 concurrent
and 40 batch requests/min per realm; Xero 60/min, 5,000/day and 5 concurrent per tenant) behind
5-400 ms of random latency plus up to 200 ms of network delay on the way in. Three spawned
processes open the stored connections the product's way and send requests concurrently. Time is
scaled (`ScaledTime`: the simulators, limiters and delays all run N times faster than the machine,
the same in every process), so minutes of ERP time pass in seconds; the limit holds whatever the
delays, so a slow or loaded machine makes the run longer, never red. The fast run sends 300 requests
per ERP; the slow one (`make test-slow`) 5,000.
"""

from __future__ import annotations

import asyncio
import bisect
import multiprocessing
import random
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

import pytest
from cryptography.fernet import Fernet
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from erpsim.core import SimConfig
from erpsim.core.testing import live_server
from erpsim.registry import load_system
from smartap_erp.db.connections import create_connection
from smartap_erp.db.vault import CredentialVault, KeyRing
from smartap_erp.domain.enums import ERPSystem
from tests.db.rate_limit_workers import BARRIER_TIMEOUT, ScaledSimClock, ScaledTime, load_worker

PROCESSES, CALLERS = 3, 6
# How much faster than the machine each ERP's time runs: its limits then bind at ~50 requests/s.
RATES = {ERPSystem.QUICKBOOKS: 6.0, ERPSystem.XERO: 50.0}
# (window seconds, path part) -> most requests the ERP accepts in it (quickbooks.md §Rate limits,
# xero.md §Rate limits)
LIMITS = {
    ERPSystem.QUICKBOOKS: {(1.0, "/v3/company/"): 10, (60.0, "/v3/company/"): 500, (60.0, "/batch"): 40},
    ERPSystem.XERO: {(60.0, "/api.xro/"): 60, (86_400.0, "/api.xro/"): 5000},
}
API_PATHS = {ERPSystem.QUICKBOOKS: "/v3/company/", ERPSystem.XERO: "/api.xro/"}
Factory = async_sessionmaker[AsyncSession]


def network_delay(app: Any, scaled: ScaledTime, seed: int) -> Any:
    """Up to 200 ms (ERP time) between the client sending a request and the ERP counting it."""
    rng = random.Random(seed)

    async def delayed(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and not scope["path"].startswith("/_sim"):
            await scaled.sleep(rng.uniform(0.0, 0.2))
        await app(scope, receive, send)

    return delayed


@contextmanager
def simulators(epoch: float, mono0: float) -> Iterator[dict[ERPSystem, tuple[Any, Any, ScaledTime]]]:
    with ExitStack() as stack:
        running: dict[ERPSystem, tuple[Any, Any, ScaledTime]] = {}
        for system, rate in RATES.items():
            scaled = ScaledTime(epoch, mono0, rate)
            config = SimConfig(
                vendors=2,
                purchase_orders=0,
                bills=0,
                clock=ScaledSimClock(scaled),
                sleep=scaled.sleep,
                faults="latency=5ms;jitter=395ms",
            )
            app = load_system(system.value).create_app(config)
            server = stack.enter_context(live_server(network_delay(app, scaled, seed=len(running))))
            running[system] = (server, app.state.sim, scaled)
        yield running


def busiest(arrivals: list[float], seconds: float) -> int:
    """The most requests the ERP counted in any `seconds`-long window (its sliding windows)."""
    return max(
        (bisect.bisect_right(arrivals, t + seconds - 1e-6) - i for i, t in enumerate(arrivals)), default=0
    )


async def run(engine: AsyncEngine, factory: Factory, requests: int) -> None:
    key = Fernet.generate_key().decode()
    vault = CredentialVault(KeyRing([key.encode()], "test"))
    epoch, mono0 = time.time(), time.monotonic()
    with simulators(epoch, mono0) as running:
        connections = {}
        for system, (server, sim, _) in running.items():
            async with factory() as session:
                connection = await create_connection(
                    session,
                    vault=vault,
                    name=system.value,
                    system_type=system,
                    credentials=sim.credentials(),
                    api_url=server.base_url,
                )
                await session.commit()
            connections[system] = str(connection.id)
        url = engine.url.render_as_string(hide_password=False)
        scaled = {system: scale for system, (_, _, scale) in running.items()}
        reports = await asyncio.to_thread(_run_workers, url, key, connections, scaled, requests)

        for system, (_, sim, _) in running.items():
            statuses = Counter[str]()
            for report in reports:
                statuses.update(report.get(system.value, {}))
            assert sim.state()["limits"]["rejected"] == 0, system
            api = [r for r in sim.stats.log if API_PATHS[system] in r.path]
            assert len(api) >= requests, (system, len(api))  # 401s before a token refresh count too
            outcomes = {"200" if s == "200" else s.split(":")[0] for s in statuses}
            # A 401 spends a call of Xero's day too: a 5,000-call run may find the day spent, and
            # the limiter then refuses the last calls itself instead of sending them.
            assert outcomes <= {"200", "ERPQuotaExhaustedError"}, (system, dict(statuses))
            assert sum(statuses.values()) == requests
            if "ERPQuotaExhaustedError" in outcomes:
                assert (system, len(api)) == (ERPSystem.XERO, 5000)
            for (seconds, path), limit in LIMITS[system].items():  # and counted from its request log
                arrivals = sorted(r.start for r in api if path in r.path)
                assert busiest(arrivals, seconds) <= limit, (system, seconds, path)


def _run_workers(
    url: str, key: str, connections: dict[ERPSystem, str], scaled: dict[ERPSystem, ScaledTime], requests: int
) -> list[dict[str, dict[str, int]]]:
    context = multiprocessing.get_context("spawn")
    barrier: Any = context.Barrier(PROCESSES)
    results: Any = context.Queue()
    shares = [requests // PROCESSES + (1 if n < requests % PROCESSES else 0) for n in range(PROCESSES)]
    workers = [
        context.Process(
            target=load_worker,
            args=(
                url,
                key,
                [(connections[s], shares[n], scaled[s]) for s in connections],
                CALLERS,
                barrier,
                results,
            ),
        )
        for n in range(PROCESSES)
    ]
    for worker in workers:
        worker.start()
    try:
        reports = [results.get(timeout=BARRIER_TIMEOUT + 1200) for _ in workers]
    finally:
        for worker in workers:
            worker.join(timeout=30)
            if worker.is_alive():
                worker.kill()
    assert [worker.exitcode for worker in workers] == [0] * PROCESSES, reports
    return reports


async def test_three_processes_never_get_a_429(engine: AsyncEngine, session_factory: Factory) -> None:
    await run(engine, session_factory, requests=300)


@pytest.mark.slow
async def test_three_processes_never_get_a_429_over_5000_requests_per_erp(
    engine: AsyncEngine, session_factory: Factory
) -> None:
    await run(engine, session_factory, requests=5000)
