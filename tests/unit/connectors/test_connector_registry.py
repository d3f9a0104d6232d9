"""The registry and `build_connector`: lookup, clear configuration errors, base_url override, defaults."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from smartap_erp.connectors import ConnectorRegistry, build_connector, rebase_url
from smartap_erp.connectors.base import ERPConnector
from smartap_erp.domain.enums import ERPSystem
from smartap_erp.errors import ConfigurationError
from smartap_erp.http import LimiterRegistry, ManualClock, MemoryTokenStore
from tests.unit.connectors.conftest import CREDENTIALS
from tests.unit.connectors.fake_erp import FakeERPConnector, FakeERPServer

Make = Callable[..., FakeERPConnector]


def test_unknown_system_is_a_clear_configuration_error() -> None:
    with pytest.raises(
        ConfigurationError,
        match=r"unknown ERP system 'sap-hana'; expected one of quickbooks, xero, sap, netsuite",
    ):
        build_connector("sap-hana", CREDENTIALS, connectors=ConnectorRegistry())


def test_system_without_a_connector_lists_the_available_ones(connectors: ConnectorRegistry) -> None:
    with pytest.raises(ConfigurationError, match=r"unknown ERP system 'oracle'; expected one of sage"):
        build_connector(ERPSystem.ORACLE, CREDENTIALS, connectors=connectors)


def test_missing_credentials_are_named_without_showing_values(connectors: ConnectorRegistry) -> None:
    with pytest.raises(ConfigurationError) as caught:
        build_connector(
            "sage", {"client_secret": "Sentinel-Secret-Value-1", "client_id": ""}, connectors=connectors
        )
    message = str(caught.value)
    assert message.startswith("sage credentials are missing client_id, company_id")
    assert "Sentinel-Secret-Value-1" not in message


async def test_base_url_override_moves_api_and_token_endpoint(
    make_connector: Make, server: FakeERPServer, store: MemoryTokenStore, clock: ManualClock
) -> None:
    store.token = type(store.token)("access-1", "refresh-1", expires_at=clock.datetime())  # force a refresh
    async with make_connector(base_url="http://127.0.0.1:8765") as connector:
        await connector.test_connection()
    assert [str(r.url) for r in server.requests] == [
        "http://127.0.0.1:8765/oauth/token",
        "http://127.0.0.1:8765/v1/companies/c-1/company",
    ]


async def test_real_hosts_are_the_default(
    make_connector: Make, server: FakeERPServer, store: MemoryTokenStore, clock: ManualClock
) -> None:
    store.token = type(store.token)("access-1", "refresh-1", expires_at=clock.datetime())
    async with make_connector() as connector:
        await connector.test_connection()
    assert [r.url.host for r in server.requests] == ["identity.fake-erp.test", "api.fake-erp.test"]


def test_rebase_url_keeps_the_path() -> None:
    assert (
        rebase_url("https://identity.xero.com/connect/token", "http://127.0.0.1:8080/")
        == "http://127.0.0.1:8080/connect/token"
    )
    assert rebase_url("https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer", None) == (
        "https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer"
    )


def test_connectors_of_one_company_share_a_limiter(make_connector: Make) -> None:
    limiters = LimiterRegistry()
    one, two = make_connector(limiters=limiters), make_connector(limiters=limiters)
    other = make_connector(limiters=limiters, credentials={**CREDENTIALS, "company_id": "c-2"})
    first, second, third = (c.http._transport.limiters[0] for c in (one, two, other))  # type: ignore[attr-defined]
    assert first is second
    assert first is not third


def test_registering_two_classes_for_one_system_is_refused(connectors: ConnectorRegistry) -> None:
    class Impostor(FakeERPConnector):
        pass

    connectors.register(FakeERPConnector)  # the same class again is fine
    with pytest.raises(ConfigurationError, match="two connectors for sage"):
        connectors.register(Impostor)


def test_string_systems_are_accepted(connectors: ConnectorRegistry) -> None:
    assert connectors.get("sage") is FakeERPConnector
    assert connectors.available() == ["sage"]


def test_builtin_providers_and_connectors_are_imported_on_first_use() -> None:
    connectors = ConnectorRegistry(builtin_providers={"sage": "tests.unit.connectors.fake_provider:PROVIDER"})
    assert connectors._providers == {}  # nothing imported yet
    assert connectors.provider("sage").name == "Fake Sage"
    assert connectors.get("sage") is FakeERPConnector
    assert connectors.available() == ["sage"]


def test_a_missing_builtin_package_means_no_connector() -> None:
    connectors = ConnectorRegistry(
        builtin_providers={"sage": "smartap_erp.connectors.no_such_erp.provider:PROVIDER"}
    )
    assert connectors.providers() == []
    with pytest.raises(ConfigurationError, match="unknown ERP system 'sage'; expected one of none"):
        connectors.get(ERPSystem.SAGE)


def test_a_broken_builtin_package_is_not_hidden() -> None:
    broken = {"sage": "tests.unit.connectors.broken_builtin:PROVIDER"}
    connectors = ConnectorRegistry(builtin_providers=broken)
    with pytest.raises(ModuleNotFoundError, match="nonexistent_dependency_for_registry_test"):
        connectors.get(ERPSystem.SAGE)


def test_connector_interface_is_abstract() -> None:
    with pytest.raises(TypeError, match="abstract"):
        ERPConnector(None, {})  # type: ignore[abstract,arg-type]
