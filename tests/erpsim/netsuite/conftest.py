"""Fixtures for the NetSuite simulator tests: a small seeded account on a fixed clock, and clients."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

from erpsim.core import Clock, SimConfig
from erpsim.netsuite import create_app
from tests.erpsim.netsuite.tba import SigningTBA

RESTLET = "/app/site/hosting/restlet.nl"


def small_config(clock: Clock, **overrides: Any) -> SimConfig:
    values: dict[str, Any] = {
        "seed": 7,
        "vendors": 40,
        "purchase_orders": 30,
        "bills": 20,
        "clock": clock,
        "sleep": clock.sleep,
    }
    values.update(overrides)
    return SimConfig(**values)


@pytest.fixture
def app(fixed_clock: Clock) -> Any:
    return create_app(small_config(fixed_clock))


@pytest.fixture
def sim(app: Any) -> Any:
    return app.state.sim


@pytest.fixture
def creds(sim: Any) -> dict[str, str]:
    return dict(sim.credentials())


@pytest.fixture
def make_client(app: Any, creds: dict[str, str], fixed_clock: Clock) -> Callable[..., httpx.AsyncClient]:
    """`make_client(**tba_knobs)`: an in-process client signing with `SigningTBA(**knobs)`."""

    def build(**knobs: Any) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://sim",
            auth=SigningTBA(creds, fixed_clock, **knobs),
        )

    return build


@pytest.fixture
async def client(make_client: Callable[..., httpx.AsyncClient]) -> AsyncIterator[httpx.AsyncClient]:
    async with make_client() as c:
        yield c


def restlet_params(script: str, **params: Any) -> dict[str, Any]:
    return {"script": f"customscript_smartap_{script}", "deploy": f"customdeploy_smartap_{script}", **params}
