"""Re-export: connectors take their credentials as `ConnectorCredentials` (`smartap_erp.credentials`)."""

from smartap_erp.credentials import ConnectorCredentials

__all__ = ["ConnectorCredentials"]
