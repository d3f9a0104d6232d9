"""The client-side limits are a bound the ERP cannot break, whatever the network delay (issue 12 #15).

The ERP counts a request when it arrives, the client when it sends: with 5-400 ms of random delay
split between the way in and the way out, requests sent in step with the limit arrive bunched. Here
the ERP is erpsim's own counters (the ones the QuickBooks simulator refuses with) on virtual time, so
the run is deterministic and instant: 5,000 QuickBooks requests (5 % of them batches) from 40
concurrent callers through the real QuickBooks policies, and the ERP must never refuse one.
"""

from __future__ import annotations

import asyncio
import random

import httpx

from erpsim.core.limits import ConcurrencyGate, SlidingWindow
from smartap_erp.connectors.quickbooks.limits import quickbooks_limits
from smartap_erp.domain.enums import ERPSystem
from smartap_erp.http import LimiterRegistry, RetryPolicy, build_client
from tests.unit.http.virtual_time import run_virtual, virtual_clock

REALM = "9130"
REQUESTS = 5000


class IntuitLedger:
    """What Intuit enforces per realm (quickbooks.md §Rate limits), counted on arrival, after a random network
    delay."""

    def __init__(self, seed: int) -> None:
        self.random = random.Random(seed)
        self.minute, self.second = SlidingWindow(500, 60.0), SlidingWindow(10, 1.0)
        self.batch = SlidingWindow(40, 60.0)
        self.gate = ConcurrencyGate(10)
        self.refused: list[str] = []
        self.arrivals = 0
        self.last_arrival = 0.0

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        latency = self.random.uniform(0.005, 0.4)
        inbound = latency * self.random.random()
        await asyncio.sleep(inbound)
        now = virtual_clock()
        windows = [self.minute, self.second] + ([self.batch] if request.url.path.endswith("/batch") else [])
        full = [w for w in windows if not w.allows(REALM, now)]
        if full or not self.gate.try_enter(REALM):
            self.refused.append(f"{now:.3f} {request.url.path} {[f'{w.limit}/{w.window:g}s' for w in full]}")
            return httpx.Response(429, json={"Fault": {"Error": [{"code": "003001"}]}})
        self.arrivals += 1
        self.last_arrival = now
        for window in windows:
            window.hit(REALM, now)
        await asyncio.sleep(0)  # the ERP works; the response leaves ...
        self.gate.leave(REALM)
        await asyncio.sleep(latency - inbound)  # ... and travels back
        return httpx.Response(200, json={})


async def drive(ledger: IntuitLedger) -> list[int]:
    registry = LimiterRegistry()
    limiters = [
        registry.get(key, policy, erp=ERPSystem.QUICKBOOKS, clock=virtual_clock, sleep=asyncio.sleep)
        for key, policy in quickbooks_limits(REALM)
    ]
    paths = iter(["batch" if n % 20 == 0 else "query" for n in range(REQUESTS)])
    statuses: list[int] = []

    async def caller(http: httpx.AsyncClient) -> None:
        for path in paths:
            statuses.append((await http.post(path)).status_code)

    # Four connectors of one realm (as four jobs would open) share its limiters through the registry.
    clients = [
        build_client(
            f"https://quickbooks.api.intuit.com/v3/company/{REALM}/",
            transport=httpx.MockTransport(ledger),
            limiters=limiters,
            retry=RetryPolicy(max_attempts=1),
            clock=virtual_clock,
            sleep=asyncio.sleep,
        )
        for _ in range(4)
    ]
    await asyncio.gather(*(caller(clients[n % 4]) for n in range(40)))
    for http in clients:
        await http.aclose()
    return statuses


def test_quickbooks_never_refuses_a_request_whatever_the_network_delay() -> None:
    ledger = IntuitLedger(seed=12)
    start = run_virtual(_now())
    statuses = run_virtual(drive(ledger))
    assert ledger.refused == []
    assert statuses == [200] * REQUESTS
    assert ledger.arrivals == REQUESTS
    # and the limiter is not merely slow: 5,000 requests at 500 a minute need 10 minutes; holding a
    # slot for one window after each response costs at most about one window more.
    elapsed = ledger.last_arrival - start
    assert 9 * 60 < elapsed < 11 * 60


async def _now() -> float:
    return virtual_clock()
