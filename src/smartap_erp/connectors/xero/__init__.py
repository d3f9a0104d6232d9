"""The Xero connector (facts §2): `XeroConnector` registers itself with the connector registry on import."""

from __future__ import annotations

from smartap_erp.connectors.xero.connector import XeroConnector

__all__ = ["XeroConnector"]
