"""Fixtures for the connector-base tests: a virtual clock, a token store, the fake ERP and a factory."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from smartap_erp.connectors import ConnectorRegistry, build_connector
from smartap_erp.domain.enums import ERPSystem
from smartap_erp.http import LimiterRegistry, ManualClock, MemoryTokenStore, Token
from tests.unit.connectors.fake_erp import FakeERPConnector, FakeERPServer

CREDENTIALS = {
    "client_id": "fake-client",
    "client_secret": "Sentinel-Fake-Client-Secret-55",
    "company_id": "c-1",
}


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def store(clock: ManualClock) -> MemoryTokenStore:
    expires = clock.datetime() + dt.timedelta(hours=1)
    return MemoryTokenStore(Token("access-1", "refresh-1", expires_at=expires))


@pytest.fixture
def server() -> FakeERPServer:
    return FakeERPServer()


@pytest.fixture
def connectors() -> ConnectorRegistry:
    registry = ConnectorRegistry(builtin_providers={})
    registry.register(FakeERPConnector)
    return registry


@pytest.fixture
def make_connector(
    clock: ManualClock, store: MemoryTokenStore, server: FakeERPServer, connectors: ConnectorRegistry
) -> Callable[..., FakeERPConnector]:
    def make(**overrides: Any) -> FakeERPConnector:
        options: dict[str, Any] = {
            "token_store": store,
            "clock": clock,
            "sleep": clock.sleep,
            "random": lambda: 0.5,
            "transport": httpx.MockTransport(server),
            "limiters": LimiterRegistry(),
            "connectors": connectors,
        }
        options.update(overrides)
        credentials = options.pop("credentials", CREDENTIALS)
        connector = build_connector(ERPSystem.SAGE, credentials, **options)
        assert isinstance(connector, FakeERPConnector)
        return connector

    return make
