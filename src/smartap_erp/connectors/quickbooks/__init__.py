"""QuickBooks Online: the connector (registered on import), its query helpers, export and mapping."""

from smartap_erp.connectors.quickbooks.connector import QuickBooksConnector

__all__ = ["QuickBooksConnector"]
