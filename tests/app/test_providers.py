"""The ERPs as every interface lists them: the four built-in providers, any provider registered at
runtime, a connector that does not load shown as such, and no credential value anywhere."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest

from smartap_erp.app.providers import get_provider, list_providers
from smartap_erp.connectors import ERPProvider, registry
from smartap_erp.errors import ConfigurationError


def test_the_four_built_in_erps_with_what_a_person_enters() -> None:
    infos = {info.system: info for info in list_providers()}
    assert list(infos)[:4] == ["quickbooks", "xero", "sap", "netsuite"]
    assert {system: info.auth for system, info in infos.items() if system in ("quickbooks", "sap")} == {
        "quickbooks": "OAuth 2.0",
        "sap": "session login",
    }
    quickbooks = infos["quickbooks"]
    assert quickbooks.oauth is not None
    assert quickbooks.oauth.scopes == ("com.intuit.quickbooks.accounting",)
    secrets = {field.name for field in quickbooks.credential_fields if field.secret}
    assert "client_secret" in secrets and "refresh_token" in secrets
    assert "realm_id" not in secrets
    assert infos["sap"].oauth is None
    assert "SAP_SERVICE_LAYER_URL" in infos["sap"].settings
    assert all(info.connector == "available" for info in infos.values())
    assert infos["quickbooks"].capabilities["batch_export"] is True
    assert infos["sap"].capabilities["batch_export"] is False


def test_an_erp_registered_at_runtime_is_listed(fifth_erp: ERPProvider) -> None:
    assert fifth_erp.system in [info.system for info in list_providers()]
    info = get_provider(fifth_erp.system)
    assert (info.name, info.connector) == ("Ledgerly", "available")
    assert info.model_dump(mode="json")["credential_fields"][0]["label"] == "Client ID"


@pytest.fixture
def broken() -> Iterator[ERPProvider]:
    from tests.fifth_erp.provider import PROVIDER

    provider = dataclasses.replace(
        PROVIDER, system="brokenerp", name="Broken", connector="tests.nowhere.module:Missing"
    )
    registry.register_provider(provider)
    try:
        yield provider
    finally:
        registry.unregister_provider(provider.system)


def test_a_connector_that_does_not_load_is_shown_not_raised(broken: ERPProvider) -> None:
    assert get_provider(broken.system).connector.startswith("not available (")
    assert broken.system in [info.system for info in list_providers()]


def test_an_unknown_erp_is_one_line_naming_the_known_ones() -> None:
    with pytest.raises(ConfigurationError, match=r"unknown ERP system 'nowhere'; expected one of quickbooks"):
        get_provider("nowhere")
