"""A QuickBooks simulator and a connector pointed at it, sharing one clock.

The connector's `sleep` advances the simulator's clock, so retries and limiter waits take no real time
and the simulator sees them as time passing. Requests go in-process through `httpx.ASGITransport`,
or over real sockets with `live=True` where faults need a real server.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager, ExitStack, asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from erpsim.core import Clock, SimConfig
from erpsim.core.testing import live_server
from erpsim.quickbooks import QuickBooksSim, create_app
from smartap_erp.connectors.base import ConnectorOptions
from smartap_erp.connectors.quickbooks import QuickBooksConnector
from smartap_erp.connectors.quickbooks.limits import RETRY_POLICY
from smartap_erp.http import LimiterRegistry, MemoryTokenStore, Token
from smartap_erp.http.clock import to_datetime
from smartap_erp.http.retry import RetryPolicy


@dataclass
class Harness:
    app: Any
    sim: QuickBooksSim
    clock: Clock
    creds: dict[str, str] = field(repr=False)
    sleeps: list[float] = field(default_factory=list)
    base_url: str = "http://qbo.test"
    transport: httpx.AsyncBaseTransport | None = None
    store: MemoryTokenStore | None = None

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.clock.advance(seconds)

    def connector(self, **overrides: Any) -> QuickBooksConnector:
        creds = overrides.pop("credentials", self.creds)
        fresh_for_an_hour = to_datetime(self.clock.time() + 3600)
        self.store = MemoryTokenStore(Token(creds["access_token"], creds["refresh_token"], fresh_for_an_hour))
        options = ConnectorOptions(
            base_url=self.base_url,
            token_store=self.store,
            transport=self.transport,
            clock=self.clock.time,
            sleep=self.sleep,
            random=lambda: 0.5,
            limiters=LimiterRegistry(),
            retry=overrides.pop("retry", RETRY_POLICY),
        )
        return QuickBooksConnector.create(creds, options)

    async def state(self) -> dict[str, Any]:
        return dict(self.sim.state())

    async def mutate(self, op: str, **params: Any) -> dict[str, Any]:
        return dict(self.sim.mutate(op, params))


def make_harness(live: ExitStack | None = None, **options: Any) -> Harness:
    options.setdefault("clock", Clock.fixed("2024-06-03T12:00:00+00:00"))
    options.setdefault("vendors", 40)
    options.setdefault("purchase_orders", 20)
    options.setdefault("bills", 10)
    app = create_app(SimConfig(**options))
    sim = app.state.sim
    harness = Harness(app, sim, sim.clock, sim.credentials())
    if live is not None:
        server = live.enter_context(live_server(app))
        harness.base_url = server.base_url
    else:
        harness.transport = httpx.ASGITransport(app=app)
    return harness


@pytest.fixture
def qbo() -> Harness:
    return make_harness()


@pytest.fixture
def harness_factory() -> Iterator[Callable[..., Harness]]:
    with ExitStack() as stack:
        yield lambda live=False, **options: make_harness(stack if live else None, **options)


@asynccontextmanager
async def connected(harness: Harness, **overrides: Any) -> AsyncIterator[QuickBooksConnector]:
    connector = harness.connector(**overrides)
    try:
        yield connector
    finally:
        await connector.close()


def opened(harness: Harness, **overrides: Any) -> AbstractAsyncContextManager[QuickBooksConnector]:
    return connected(harness, **overrides)


__all__ = ["Harness", "RetryPolicy", "opened"]
