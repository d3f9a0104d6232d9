"""ERP connectors: the `ERPConnector` interface, the registry and `build_connector`, and (in one
sub-package per ERP, added by later issues) the QuickBooks, Xero, SAP Business One and NetSuite
connectors. Everything HTTP goes through `smartap_erp.http`.
"""

from smartap_erp.connectors.base import ConnectorOptions, ERPConnector, rebase_url
from smartap_erp.connectors.credentials import ConnectorCredentials
from smartap_erp.connectors.models import ConnectionInfo, ExportResult, InvoiceExportOutcome, RecordPage
from smartap_erp.connectors.registry import (
    ConnectorRegistry,
    build_connector,
    register_connector,
    registry,
)
from smartap_erp.connectors.responses import ErrorDetails, error_for_response, record_error_from

__all__ = [
    "ConnectionInfo",
    "ConnectorCredentials",
    "ConnectorOptions",
    "ConnectorRegistry",
    "ERPConnector",
    "ErrorDetails",
    "ExportResult",
    "InvoiceExportOutcome",
    "RecordPage",
    "build_connector",
    "error_for_response",
    "rebase_url",
    "record_error_from",
    "register_connector",
    "registry",
]
