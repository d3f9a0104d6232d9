"""The SAP Business One Service Layer connector (`SAPConnector`) and its pure mapping module.

Importing the package registers the connector with the connector registry.
"""

from smartap_erp.connectors.sap.connector import SAPConnector

__all__ = ["SAPConnector"]
