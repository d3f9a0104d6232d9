"""Fixtures: a NetSuite simulator on a real loopback socket and connectors to it, in both modes."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from erpsim.core import Clock, SimConfig
from erpsim.core.testing import LiveServer, live_server
from erpsim.netsuite import create_app
from smartap_erp.connectors.netsuite import NetSuiteConnector
from smartap_erp.connectors.registry import build_connector
from smartap_erp.http.ratelimit import LimiterRegistry

MODES = ["restlet", "rest"]


async def no_sleep(seconds: float) -> None:
    """Injected into the connector: retries back off without waiting."""


@pytest.fixture
def server() -> Iterator[LiveServer]:
    # Real clock: TBA timestamps are checked against the simulator's clock
    # (netsuite-connector.md §Token-based authentication).
    config = SimConfig(seed=3, vendors=25, purchase_orders=20, bills=10, clock=Clock.real())
    with live_server(create_app(config)) as live:
        yield live


@pytest.fixture(params=MODES)
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def connect(server: LiveServer, mode: str) -> Callable[..., NetSuiteConnector]:
    def build(**extra: Any) -> NetSuiteConnector:
        creds = {**server.sim.credentials(), "mode": mode, **extra}
        connector = build_connector(
            "netsuite", creds, base_url=server.base_url, sleep=no_sleep, limiters=LimiterRegistry()
        )
        assert isinstance(connector, NetSuiteConnector)
        return connector

    return build
