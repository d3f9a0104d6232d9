"""QuickBooks Online: the connector (registered on import), queries, export and payloads."""

from smartap_erp.connectors.quickbooks.connector import QuickBooksConnector

__all__ = ["QuickBooksConnector"]
