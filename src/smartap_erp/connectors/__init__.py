"""ERP connectors: the `ERPConnector` interface, the provider description of an ERP
(`ERPProvider`), the registry and `build_connector`, and one sub-package per ERP (QuickBooks, Xero,
SAP Business One, NetSuite) holding its provider (`provider.py`), connector and payload translation.
Everything HTTP goes through `smartap_erp.http`.
"""

from smartap_erp.connectors.base import ConnectorOptions, ERPConnector, rebase_url
from smartap_erp.connectors.credentials import ConnectorCredentials
from smartap_erp.connectors.models import ConnectionInfo, ExportResult, InvoiceExportOutcome, RecordPage
from smartap_erp.connectors.provider import (
    AuthKind,
    Capabilities,
    CredentialField,
    ERPProvider,
    OAuthEndpoints,
    ProviderSetting,
    SimulatorRef,
)
from smartap_erp.connectors.registry import (
    ConnectorRegistry,
    build_connector,
    register_connector,
    register_provider,
    registry,
)
from smartap_erp.connectors.responses import ErrorDetails, error_for_response, record_error_from

__all__ = [
    "AuthKind",
    "Capabilities",
    "ConnectionInfo",
    "ConnectorCredentials",
    "ConnectorOptions",
    "ConnectorRegistry",
    "CredentialField",
    "ERPConnector",
    "ERPProvider",
    "ErrorDetails",
    "ExportResult",
    "InvoiceExportOutcome",
    "OAuthEndpoints",
    "ProviderSetting",
    "RecordPage",
    "SimulatorRef",
    "build_connector",
    "error_for_response",
    "rebase_url",
    "record_error_from",
    "register_connector",
    "register_provider",
    "registry",
]
