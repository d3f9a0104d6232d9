"""The Xero provider description: OAuth 2.0 (rotating refresh tokens), one tenant per connection
(kept as the `tenant_id` column too), limits per tenant and per app, and the app's client id/secret
from the settings when a connection's credentials lack them.
"""

from __future__ import annotations

from smartap_erp.connectors.provider import (
    BILL_HEADER,
    BILL_LINE,
    AuthKind,
    Capabilities,
    CredentialField,
    ERPProvider,
    OAuthEndpoints,
    ProviderSetting,
    SimulatorRef,
)
from smartap_erp.connectors.xero.limits import RETRY_POLICY, xero_limits
from smartap_erp.credentials import ConnectorCredentials
from smartap_erp.domain.enums import ERPSystem
from smartap_erp.http.ratelimit import RateLimitPolicy


def _limits(credentials: ConnectorCredentials) -> list[tuple[str, RateLimitPolicy]]:
    tenant_id, client_id = credentials.require("tenant_id", "client_id", system=ERPSystem.XERO.value)
    return xero_limits(tenant_id, client_id)


PROVIDER = ERPProvider(
    system=ERPSystem.XERO.value,
    name="Xero",
    auth=AuthKind.OAUTH2,
    connector="smartap_erp.connectors.xero.connector:XeroConnector",
    credential_fields=(
        CredentialField("client_id", "Client ID", "the app's client id (Xero developer portal)"),
        CredentialField("client_secret", "Client secret", "the app's client secret", secret=True),
        CredentialField(
            "tenant_id",
            "Tenant ID",
            "the organisation's tenant id (a UUID, from GET /connections)",
            pattern=r"[0-9A-Fa-f-]{8,64}",
        ),
        CredentialField("access_token", "Access token", "from the OAuth 2.0 connect flow", secret=True),
        CredentialField(
            "refresh_token", "Refresh token", "from the OAuth 2.0 connect flow; it rotates", secret=True
        ),
    ),
    # Xero's identity endpoints; the scopes cover contacts, transactions and settings (accounts and
    # tax rates), and offline_access for a refresh token (docs/xero.md). Revocation (RFC 7009, Basic
    # client auth, form token=<refresh token>) at Xero's "Revoking tokens" endpoint, as Xero's SDKs call
    # it (xero-ruby PR #125, xero-node revokeToken): it also removes the user's connections to the app.
    oauth=OAuthEndpoints(
        authorize_url="https://login.xero.com/identity/connect/authorize",
        token_url="https://identity.xero.com/connect/token",  # noqa: S106 - a URL
        revoke_url="https://identity.xero.com/connect/revocation",
        scopes=("offline_access", "accounting.contacts", "accounting.transactions", "accounting.settings"),
    ),
    rate_limits=_limits,
    retry=RETRY_POLICY,
    settings=(
        ProviderSetting("XERO_CLIENT_ID", "the app's client id", credential="client_id"),
        ProviderSetting("XERO_CLIENT_SECRET", "the app's client secret", credential="client_secret"),
        ProviderSetting("XERO_REDIRECT_URI", "redirect URI of the OAuth connect flow", option="redirect_uri"),
        # Read by app.webhooks: the key of the x-xero-signature HMAC (a secret, never logged).
        ProviderSetting("XERO_WEBHOOK_KEY", "the app's webhook signing key (Xero developer portal)"),
    ),
    # Bills sent in batches of up to 50 per request; reads by If-Modified-Since; payment changes read
    # from the invoices changed since the last run; webhooks queue those reads at once
    # (app.webhooks). No deletions or lock dates yet.
    capabilities=Capabilities(batch_export=True, change_feed=True, payment_feed=True, webhooks=True),
    simulator=SimulatorRef("erpsim.xero", pay_op="pay_bill", pay_key="invoice_id"),
    columns=("tenant_id",),
    bill_fields=(*BILL_HEADER, *BILL_LINE),  # a Xero bill carries no PO link or memo
)
