"""The NetSuite connector (RESTlet and SuiteTalk REST modes); importing it registers the connector."""

from __future__ import annotations

from smartap_erp.connectors.netsuite.connector import NetSuiteConnector

__all__ = ["NetSuiteConnector"]
