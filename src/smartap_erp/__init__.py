"""SmartAP ERP Connectors: moves vendors, purchase orders, bills and payments between SmartAP and an ERP.

Importing this package has no side effects: no settings are read, no engine or client is built.
"""

__version__ = "0.1.0"
