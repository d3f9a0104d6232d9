"""Provider descriptions: one per ERP, read by everything that switches on an ERP.

Credential checks from the field definitions (one line per bad field, secrets never shown), settings
read through the provider that declares them, the connectors taking their constants from their
provider, and the registry adding providers at runtime and from `ERP_PROVIDERS`.
"""

from __future__ import annotations

import subprocess
import sys

import httpx
import pytest

from smartap_erp.connectors import ConnectorRegistry, build_connector, registry
from smartap_erp.connectors.provider import AuthKind, CredentialField, ERPProvider, load_object
from smartap_erp.domain.enums import ERPSystem
from smartap_erp.errors import ConfigurationError
from smartap_erp.http import LimiterRegistry
from smartap_erp.settings import Settings, load_settings
from tests.fifth_erp.provider import PROVIDER as FIFTH

QBO = {
    "client_id": "app-1",
    "client_secret": "Sentinel-Client-Secret-42",
    "realm_id": "4620816365",
    "access_token": "Sentinel-Access-Token-42",
    "refresh_token": "Sentinel-Refresh-Token-42",
}
SAP = {"company_db": "SBODEMOUS", "username": "manager", "password": "Sentinel-Password-42"}
NETSUITE = {
    "account_id": "1234567_SB1",
    "consumer_key": "ck",
    "consumer_secret": "Sentinel-Consumer-Secret",
    "token_id": "tid",
    "token_secret": "Sentinel-Token-Secret",
}


def _connector(system: str, credentials: dict[str, str], settings: Settings, **options: object) -> object:
    return build_connector(
        system,
        credentials,
        settings=settings,
        transport=httpx.MockTransport(lambda request: httpx.Response(500)),
        limiters=LimiterRegistry(),
        **options,  # type: ignore[arg-type]
    )


def test_the_four_builtin_erps_are_described_and_their_connectors_follow_the_description() -> None:
    assert registry.keys()[:4] == ["quickbooks", "xero", "sap", "netsuite"]
    for provider in registry.providers()[:4]:
        cls = provider.load_connector()
        assert cls.system == provider.system
        assert cls.required_credentials == provider.required_credentials
        assert cls.retry_policy is provider.retry
    kinds = {p.system: p.auth for p in registry.providers()[:4]}
    assert kinds == {
        "quickbooks": AuthKind.OAUTH2,
        "xero": AuthKind.OAUTH2,
        "sap": AuthKind.SESSION,
        "netsuite": AuthKind.TOKEN_BASED,
    }


def test_oauth_endpoints_are_defined_once_in_the_provider() -> None:
    from smartap_erp.connectors.quickbooks import connector as qbo
    from smartap_erp.connectors.xero import connector as xero

    quickbooks, xero_provider = registry.provider("quickbooks"), registry.provider("xero")
    assert quickbooks.oauth is not None and xero_provider.oauth is not None
    assert (
        qbo.TOKEN_URL
        == quickbooks.oauth.token_url
        == "https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer"
    )
    assert quickbooks.oauth.authorize_url == "https://appcenter.intuit.com/connect/oauth2"
    assert quickbooks.oauth.scopes == ("com.intuit.quickbooks.accounting",)
    assert xero.TOKEN_URL == xero_provider.oauth.token_url == "https://identity.xero.com/connect/token"
    assert "offline_access" in xero_provider.oauth.scopes


def test_missing_and_malformed_credentials_are_named_one_line_each_without_secrets() -> None:
    provider = registry.provider("quickbooks")
    given = {**QBO, "client_secret": "", "realm_id": "not-digits", "environment": "staging"}
    with pytest.raises(ConfigurationError) as caught:
        provider.validate_credentials(given, source="--credentials-file c.json")
    message = str(caught.value)
    assert message.startswith("--credentials-file c.json: quickbooks needs client_secret; ")
    assert "realm_id (Company ID (realm)): the company's realm id: digits only (got 'not-digits')" in message
    assert "environment (Environment): must be one of production, sandbox (got 'staging')" in message
    assert "Sentinel" not in message and "\n" not in message
    assert provider.validate_credentials(QBO) == QBO


def test_a_bad_secret_value_is_refused_without_being_shown() -> None:
    spec = CredentialField("pin", "PIN", "four digits", secret=True, pattern=r"[0-9]{4}")
    assert spec.problem("Sentinel-PIN") == "four digits"
    assert spec.problem("1234") is None
    assert CredentialField("x", "X", required=False).problem("") is None
    assert CredentialField("x", "X").problem(None) == "is required"


def test_settings_fill_credentials_a_connection_lacks_and_never_override_its_own() -> None:
    settings = load_settings(quickbooks_client_id="from-settings", quickbooks_client_secret="settings-secret")
    bare = {k: v for k, v in QBO.items() if k not in ("client_id", "client_secret")}
    filled = _connector("quickbooks", bare, settings)
    assert filled.credentials["client_id"] == "from-settings"  # type: ignore[attr-defined]
    assert filled.credentials["client_secret"] == "settings-secret"  # type: ignore[attr-defined]
    own = _connector("quickbooks", QBO, settings)
    assert own.credentials["client_id"] == "app-1"  # type: ignore[attr-defined]
    # ... and `connections add` accepts credentials that are complete once the settings apply.
    provider = registry.provider("quickbooks")
    assert provider.credential_problems(bare) == ["quickbooks needs client_id, client_secret"]
    assert provider.credential_problems(provider.with_settings(bare, settings)) == []


def test_netsuite_settings_fill_the_integration_and_the_restlet_host() -> None:
    settings = load_settings(
        netsuite_account_id="7654321",
        netsuite_consumer_key="settings-key",
        netsuite_consumer_secret="settings-secret",
        netsuite_restlet_url="https://7654321.restlets.api.netsuite.com",
    )
    tokens = {"token_id": "tid", "token_secret": "Sentinel-Token-Secret"}
    restlet = _connector("netsuite", tokens, settings)
    assert restlet.credentials["account_id"] == "7654321"  # type: ignore[attr-defined]
    assert restlet.credentials["consumer_key"] == "settings-key"  # type: ignore[attr-defined]
    assert str(restlet.http.base_url).startswith("https://7654321.restlets.api.netsuite.com")  # type: ignore[attr-defined]
    rest = _connector("netsuite", {**tokens, "mode": "rest"}, settings)
    assert "suitetalk" in str(rest.http.base_url)  # type: ignore[attr-defined]


def test_sap_reads_its_server_and_tls_settings_through_the_provider() -> None:
    settings = load_settings(sap_service_layer_url="https://sap.example.com:50000", sap_verify_ssl=False)
    sap = _connector("sap", SAP, settings)
    assert str(sap.http.base_url) == "https://sap.example.com:50000/b1s/v1/"  # type: ignore[attr-defined]
    assert sap.options.verify is False  # type: ignore[attr-defined]
    explicit = _connector("sap", SAP, settings, base_url="http://127.0.0.1:9", verify="/etc/ca.pem")
    assert str(explicit.http.base_url) == "http://127.0.0.1:9/b1s/v1/"  # type: ignore[attr-defined]
    assert explicit.options.verify == "/etc/ca.pem"  # type: ignore[attr-defined]
    checked = _connector("sap", SAP, load_settings(sap_service_layer_url="https://sap.example.com:50000"))
    assert checked.options.verify is True  # type: ignore[attr-defined]


def test_every_per_erp_setting_is_declared_by_exactly_one_provider() -> None:
    declared = [s.name for p in registry.providers() for s in p.settings]
    erp_settings = {
        name.upper()
        for name in Settings.model_fields
        if name.split("_")[0] in ("quickbooks", "xero", "sap", "netsuite")
    }
    assert erp_settings <= set(declared) and len(declared) == len(set(declared))
    redirect = load_settings(xero_redirect_uri="https://app.example.com/xero/callback")
    assert registry.provider("xero").redirect_uri(redirect) == "https://app.example.com/xero/callback"
    assert registry.provider("sap").redirect_uri(redirect) is None


def test_providers_are_registered_at_runtime_once_per_key() -> None:
    connectors = ConnectorRegistry(builtin_providers={})
    connectors.register_provider(FIFTH)
    connectors.register_provider(FIFTH)  # the same description again is fine
    assert connectors.keys() == ["ledgerly"]
    assert connectors.get("ledgerly").__name__ == "LedgerlyConnector"
    impostor = ERPProvider(
        system="ledgerly",
        name="Other",
        auth=AuthKind.SESSION,
        connector="tests.fifth_erp.connector:LedgerlyConnector",
        credential_fields=(),
    )
    with pytest.raises(ConfigurationError, match="two providers for ERP 'ledgerly'"):
        connectors.register_provider(impostor)


def test_erp_providers_setting_adds_erps(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ERP_PROVIDERS", " tests.fifth_erp.provider:PROVIDER ")
    connectors = ConnectorRegistry(configured=True)
    assert connectors.keys() == ["quickbooks", "xero", "sap", "netsuite", "ledgerly"]
    assert connectors.provider("ledgerly") is FIFTH


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("tests.fifth_erp.provider", "expected an import path 'package.module:attribute'"),
        ("tests.fifth_erp.nowhere:PROVIDER", "no module tests.fifth_erp.nowhere"),
        ("tests.fifth_erp.provider:NOPE", "has no NOPE"),
        ("tests.fifth_erp.provider:API_URL", "is not an ERPProvider"),
    ],
)
def test_a_bad_erp_providers_entry_is_a_clear_configuration_error(
    monkeypatch: pytest.MonkeyPatch, path: str, message: str
) -> None:
    monkeypatch.setenv("ERP_PROVIDERS", path)
    connectors = ConnectorRegistry(configured=True)
    for _ in range(2):  # reported on every lookup until fixed, not swallowed after the first
        with pytest.raises(ConfigurationError, match=message):
            connectors.keys()


def test_a_provider_key_must_fit_the_stored_column() -> None:
    with pytest.raises(ConfigurationError, match="lower-case letters"):
        ERPProvider(
            system="Acme-ERP", name="Acme", auth=AuthKind.SESSION, connector="a:B", credential_fields=()
        )
    with pytest.raises(ConfigurationError, match="module:Class"):
        ERPProvider(system="acme", name="Acme", auth=AuthKind.SESSION, connector="a.B", credential_fields=())


def test_erp_system_names_any_provider_key() -> None:
    assert ERPSystem("ledgerly") is ERPSystem("ledgerly")
    assert ERPSystem("ledgerly").value == "ledgerly" and ERPSystem("xero") is ERPSystem.XERO
    assert ERPSystem("ledgerly") not in list(ERPSystem)
    with pytest.raises(ValueError, match="not a valid ERPSystem"):
        ERPSystem("sap-hana")


def test_load_object_reads_a_module_attribute() -> None:
    assert load_object("tests.fifth_erp.provider:PROVIDER") is FIFTH


def test_reading_every_provider_imports_no_connector() -> None:
    code = (
        "import sys\n"
        "from smartap_erp.connectors import registry\n"
        "assert [p.system for p in registry.providers()] == ['quickbooks', 'xero', 'sap', 'netsuite']\n"
        "print(sorted(m for m in sys.modules if m.endswith('.connector')))\n"
    )
    command = [sys.executable, "-c", code]
    done = subprocess.run(command, capture_output=True, text=True, check=False, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_columns_name_only_the_seed_columns_that_copy_a_credential() -> None:
    fields = (CredentialField("region", "Region"),)
    with pytest.raises(
        ConfigurationError, match="must be credential fields and one of tenant_id, company_db"
    ):
        ERPProvider(
            system="acme",
            name="Acme",
            auth=AuthKind.SESSION,
            connector="a:B",
            credential_fields=fields,
            columns=("region",),
        )
    assert registry.provider("xero").column_values({"tenant_id": "t-1"}) == {"tenant_id": "t-1"}
    assert registry.provider("sap").column_values({}) == {"company_db": None}
