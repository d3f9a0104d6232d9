"""The NetSuite provider description: token-based authentication (OAuth 1.0a TBA) per account, the
account's concurrency limit, and NETSUITE_ACCOUNT_ID / _CONSUMER_KEY / _CONSUMER_SECRET filling a
connection's credentials where they lack them (the integration record is usually one per install).
"""

from __future__ import annotations

from smartap_erp.connectors.netsuite.limits import NETSUITE_DEFAULT_CONCURRENCY, RETRY_POLICY, netsuite_limits
from smartap_erp.connectors.provider import (
    AuthKind,
    Capabilities,
    CredentialField,
    ERPProvider,
    ProviderSetting,
    SimulatorRef,
)
from smartap_erp.credentials import ConnectorCredentials
from smartap_erp.domain.enums import ERPSystem
from smartap_erp.http.ratelimit import RateLimitPolicy


def _limits(credentials: ConnectorCredentials) -> list[tuple[str, RateLimitPolicy]]:
    raw = credentials.text("concurrency_limit")
    limit = int(raw) if raw and raw.isdigit() and int(raw) > 0 else NETSUITE_DEFAULT_CONCURRENCY
    return netsuite_limits(str(credentials["account_id"]), limit)


PROVIDER = ERPProvider(
    system=ERPSystem.NETSUITE.value,
    name="NetSuite",
    auth=AuthKind.TOKEN_BASED,
    connector="smartap_erp.connectors.netsuite.connector:NetSuiteConnector",
    credential_fields=(
        CredentialField(
            "account_id", "Account ID", "e.g. 1234567 or 1234567_SB1 for a sandbox", pattern=r"[A-Za-z0-9_-]+"
        ),
        CredentialField("consumer_key", "Consumer key", "of the integration record"),
        CredentialField("consumer_secret", "Consumer secret", "of the integration record", secret=True),
        CredentialField("token_id", "Token ID", "the access token's id"),
        CredentialField("token_secret", "Token secret", "the access token's secret", secret=True),
        CredentialField(
            "mode",
            "Mode",
            "restlet (default: the SmartAP RESTlets) or rest (SuiteTalk REST)",
            required=False,
            choices=("restlet", "rest"),
        ),
        CredentialField(
            "concurrency_limit",
            "Concurrency limit",
            f"requests at once for this account (default {NETSUITE_DEFAULT_CONCURRENCY})",
            required=False,
            pattern=r"[1-9][0-9]*",
        ),
    ),
    rate_limits=_limits,
    retry=RETRY_POLICY,
    settings=(
        ProviderSetting("NETSUITE_ACCOUNT_ID", "the account id", credential="account_id"),
        ProviderSetting("NETSUITE_CONSUMER_KEY", "the integration's consumer key", credential="consumer_key"),
        ProviderSetting(
            "NETSUITE_CONSUMER_SECRET", "the integration's consumer secret", credential="consumer_secret"
        ),
        ProviderSetting(
            "NETSUITE_RESTLET_URL",
            "the RESTlet host (e.g. https://1234567.restlets.api.netsuite.com) for RESTlet-mode "
            "connections without an API URL",
            option="base_url",
            applies_to=lambda credentials: str(credentials.get("mode") or "restlet") == "restlet",
        ),
    ),
    # One bill per request; reads filtered by lastmodifieddate; paid bills found through the bills
    # changed since the last run. No webhooks, deletions or lock dates yet.
    capabilities=Capabilities(change_feed=True, payment_feed=True),
    simulator=SimulatorRef("erpsim.netsuite", pay_op="pay_bill", pay_key="bill_id"),
)
