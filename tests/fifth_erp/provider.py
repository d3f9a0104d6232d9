"""The Ledgerly provider: all the product learns about the fifth ERP. Registered at runtime
(`registry.register_provider(PROVIDER)`) or by `ERP_PROVIDERS=tests.fifth_erp.provider:PROVIDER`."""

from __future__ import annotations

from smartap_erp.connectors.provider import (
    AuthKind,
    Capabilities,
    CredentialField,
    ERPProvider,
    OAuthEndpoints,
    ProviderSetting,
    SimulatorRef,
)
from smartap_erp.credentials import ConnectorCredentials
from smartap_erp.http.ratelimit import RateLimitPolicy, Window
from smartap_erp.http.retry import RetryPolicy, RetrySignal

API_URL = "https://api.ledgerly.example/api/v1"
LIMITS = RateLimitPolicy(windows=(Window(120, 60.0, name="minute"),), concurrency=4)


def _limits(credentials: ConnectorCredentials) -> list[tuple[str, RateLimitPolicy]]:
    return [(f"ledgerly:company:{credentials['company_id']}", LIMITS)]


PROVIDER = ERPProvider(
    system="ledgerly",
    name="Ledgerly",
    auth=AuthKind.OAUTH2,
    connector="tests.fifth_erp.connector:LedgerlyConnector",
    credential_fields=(
        CredentialField("client_id", "Client ID", "the app's client id"),
        CredentialField("client_secret", "Client secret", "the app's client secret", secret=True),
        CredentialField("company_id", "Company ID", "e.g. co-1", pattern=r"co-[0-9]+"),
        CredentialField("access_token", "Access token", "from the connect flow", secret=True),
        CredentialField("refresh_token", "Refresh token", "from the connect flow", secret=True),
    ),
    oauth=OAuthEndpoints(
        authorize_url="https://login.ledgerly.example/oauth/authorize",
        token_url="https://api.ledgerly.example/oauth/token",
        scopes=("bills.write", "vendors.read"),
    ),
    rate_limits=_limits,
    retry=RetryPolicy(signals=(RetrySignal(429, "Ledgerly throttle", wait=1.0),)),
    settings=(ProviderSetting("LEDGERLY_CLIENT_ID", "the app's client id", credential="client_id"),),
    capabilities=Capabilities(change_feed=True),
    simulator=SimulatorRef("tests.fifth_erp.simulator", pay_op="pay_bill", pay_key="bill_id"),
)
