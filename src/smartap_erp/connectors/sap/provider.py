"""The SAP Business One provider description: a Service Layer session login per company database
(kept as the `company_db` column too), one concurrency limit per server and database, and the
settings SAP_SERVICE_LAYER_URL (the server when a connection names none) and SAP_VERIFY_SSL.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from smartap_erp.connectors.provider import (
    AuthKind,
    Capabilities,
    CredentialField,
    ERPProvider,
    ProviderSetting,
    SimulatorRef,
)
from smartap_erp.connectors.sap.limits import RETRY_POLICY, sap_limits
from smartap_erp.credentials import ConnectorCredentials
from smartap_erp.domain.enums import ERPSystem
from smartap_erp.http.ratelimit import RateLimitPolicy


def _limits(credentials: ConnectorCredentials) -> list[tuple[str, RateLimitPolicy]]:
    (company_db,) = credentials.require("company_db", system=ERPSystem.SAP.value)
    server = urlsplit(credentials.text("service_layer_url") or "sap").netloc or "sap"
    return sap_limits(server, company_db)


def _http_url(value: str) -> str | None:
    parts = urlsplit(value)
    return None if parts.scheme in ("http", "https") and parts.netloc else "must be an http(s) URL"


PROVIDER = ERPProvider(
    system=ERPSystem.SAP.value,
    name="SAP Business One",
    auth=AuthKind.SESSION,
    connector="smartap_erp.connectors.sap.connector:SAPConnector",
    credential_fields=(
        CredentialField("company_db", "Company database", "the company database, e.g. SBODEMOUS"),
        CredentialField("username", "User name", "a Service Layer user"),
        CredentialField("password", "Password", "that user's password", secret=True),
        CredentialField(
            "service_layer_url",
            "Service Layer URL",
            "e.g. https://sap-server:50000; SAP_SERVICE_LAYER_URL when absent",
            required=False,
            validator=_http_url,
        ),
        CredentialField(
            "api_version",
            "API version",
            "v1 (OData v3, default) or v2 (OData v4)",
            required=False,
            choices=("v1", "v2"),
        ),
    ),
    rate_limits=_limits,
    retry=RETRY_POLICY,
    settings=(
        ProviderSetting(
            "SAP_SERVICE_LAYER_URL",
            "the Service Layer server when a connection has no service_layer_url or API URL",
            credential="service_layer_url",
        ),
        ProviderSetting(
            "SAP_VERIFY_SSL", "check the server's TLS certificate (default true)", option="verify"
        ),
    ),
    # One bill per request; reads filtered by UpdateDate (a day's overlap); payment status read for
    # the bills asked about in batches, not as a feed. No webhooks, deletions or lock dates yet.
    capabilities=Capabilities(change_feed=True),
    simulator=SimulatorRef("erpsim.sap", pay_op="pay_invoice", pay_key="doc_entry", numeric_id=True),
    columns=("company_db",),
)
