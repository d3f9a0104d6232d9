"""The QuickBooks Online provider description: OAuth 2.0 with rotating refresh tokens, one company
(realm) per connection, limits per realm, and the app's client id/secret from the settings when a
connection's credentials lack them. Read by the registry; the connector is loaded on first use.
"""

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
from smartap_erp.connectors.quickbooks.limits import RETRY_POLICY, quickbooks_limits
from smartap_erp.credentials import ConnectorCredentials
from smartap_erp.domain.enums import ERPSystem
from smartap_erp.http.ratelimit import RateLimitPolicy


def _limits(credentials: ConnectorCredentials) -> list[tuple[str, RateLimitPolicy]]:
    return quickbooks_limits(str(credentials["realm_id"]))


PROVIDER = ERPProvider(
    system=ERPSystem.QUICKBOOKS.value,
    name="QuickBooks Online",
    auth=AuthKind.OAUTH2,
    connector="smartap_erp.connectors.quickbooks.connector:QuickBooksConnector",
    credential_fields=(
        CredentialField("client_id", "Client ID", "the app's client id (Intuit developer portal)"),
        CredentialField("client_secret", "Client secret", "the app's client secret", secret=True),
        CredentialField(
            "realm_id", "Company ID (realm)", "the company's realm id: digits only", pattern=r"[0-9]+"
        ),
        CredentialField("access_token", "Access token", "from the OAuth 2.0 connect flow", secret=True),
        CredentialField(
            "refresh_token", "Refresh token", "from the OAuth 2.0 connect flow; it rotates", secret=True
        ),
        CredentialField(
            "environment",
            "Environment",
            "production (default) or sandbox",
            required=False,
            choices=("production", "sandbox"),
        ),
        CredentialField(
            "home_currency",
            "Home currency",
            "ISO code, e.g. USD; read from the company when absent",
            required=False,
            pattern=r"[A-Z]{3}",
        ),
    ),
    # Intuit's OAuth 2.0 endpoints and the accounting scope (docs/quickbooks.md).
    oauth=OAuthEndpoints(
        authorize_url="https://appcenter.intuit.com/connect/oauth2",
        token_url="https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer",  # noqa: S106 - a URL
        revoke_url="https://developer.api.intuit.com/v2/oauth2/tokens/revoke",
        scopes=("com.intuit.quickbooks.accounting",),
    ),
    rate_limits=_limits,
    retry=RETRY_POLICY,
    settings=(
        ProviderSetting("QUICKBOOKS_CLIENT_ID", "the app's client id", credential="client_id"),
        ProviderSetting("QUICKBOOKS_CLIENT_SECRET", "the app's client secret", credential="client_secret"),
        ProviderSetting(
            "QUICKBOOKS_REDIRECT_URI", "redirect URI of the OAuth connect flow", option="redirect_uri"
        ),
        # Read by app.webhooks: the key of the intuit-signature HMAC (a secret, never logged).
        ProviderSetting(
            "QUICKBOOKS_WEBHOOK_VERIFIER_TOKEN", "the app's webhook verifier token (Intuit developer portal)"
        ),
    ),
    # Batch export through /batch; reads filtered by LastUpdatedTime; paid bills found through the
    # Bill and BillPayment changes since the last run; webhooks queue those reads at once
    # (app.webhooks). No deletions or lock dates yet.
    capabilities=Capabilities(batch_export=True, change_feed=True, payment_feed=True, webhooks=True),
    simulator=SimulatorRef("erpsim.quickbooks", pay_op="pay_bill", pay_key="bill_id"),
)
