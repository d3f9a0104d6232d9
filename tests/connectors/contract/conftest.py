"""The shared connector contract: every ERP's connector against its simulator, in-process.

Parametrized over every registered provider that names a simulator: the four built-in ERPs and the
fifth one defined only under tests/ (`tests.fifth_erp`), registered here through the registry
alone. Each case runs on the simulator's fixed clock through `httpx.ASGITransport`, so nothing
sleeps and nothing leaves the process.
"""

from __future__ import annotations

import importlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from erpsim.core import Clock, SimConfig
from smartap_erp.connectors import ERPConnector, ERPProvider, build_connector, registry
from smartap_erp.http import LimiterRegistry
from tests.fifth_erp.fixtures import fifth_erp
from tests.fifth_erp.provider import PROVIDER as FIFTH

VENDORS = 23  # not a multiple of any page size used below
PURCHASE_ORDERS = 7
PAGE_SIZE = 5  # small pages, so every read spans several
__all__ = ["fifth_erp"]  # the fixture, for the tests of this folder

# The built-in ERPs with a simulator, and the fifth one (registered per test by `fifth_erp`).
SYSTEMS = [p.system for p in registry.providers() if p.simulator is not None and p is not FIFTH] + [
    FIFTH.system
]


@dataclass
class Contract:
    provider: ERPProvider
    app: Any
    sim: Any
    credentials: dict[str, str]

    def connector(self, **credentials: str) -> ERPConnector:
        async def sleep(seconds: float) -> None:
            self.sim.clock.advance(seconds)

        connector = build_connector(
            self.provider.system,
            {**self.credentials, **credentials},
            base_url=f"http://{self.provider.system}.test",
            transport=httpx.ASGITransport(app=self.app),
            clock=self.sim.clock.time,
            sleep=sleep,
            random=lambda: 0.5,
            limiters=LimiterRegistry(),
        )
        connector.page_size = PAGE_SIZE  # type: ignore[attr-defined]  # the connectors that page by size
        return connector

    def pay(self, bill_id: str) -> None:
        """Pay the whole bill in the ERP, the way its simulator lets an accountant do it."""
        ref = self.provider.simulator
        assert ref is not None
        self.sim.mutate(ref.pay_op, {ref.pay_key: int(bill_id) if ref.numeric_id else bill_id})


@pytest.fixture(params=SYSTEMS)
def contract(request: pytest.FixtureRequest, fifth_erp: ERPProvider) -> Contract:
    provider = registry.provider(request.param)
    assert provider.simulator is not None
    module = importlib.import_module(provider.simulator.module)
    config = SimConfig(
        vendors=VENDORS,
        purchase_orders=PURCHASE_ORDERS,
        bills=2,  # Xero's simulator knows an Invoice field only once an invoice exists
        limits="off",
        clock=Clock.fixed("2024-06-03T12:00:00+00:00"),
    )
    app = module.create_app(config)
    return Contract(provider, app, app.state.sim, dict(app.state.sim.credentials()))


@pytest.fixture
async def erp(contract: Contract) -> AsyncIterator[ERPConnector]:
    async with contract.connector() as connector:
        yield connector
