"""Xero (xero.md §API facts): its provider description (`provider.py`), the connector and payload translation.

The connector module is imported on first use (importing the class from this package, or the
registry through the provider), never by importing the package or its provider: reading the
description of every ERP stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from smartap_erp.connectors.xero.connector import XeroConnector

__all__ = ["XeroConnector"]


def __getattr__(name: str) -> Any:
    if name == "XeroConnector":
        from smartap_erp.connectors.xero.connector import XeroConnector

        return XeroConnector
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
