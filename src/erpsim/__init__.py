"""Local simulators of the four ERP APIs (QuickBooks Online, Xero, SAP Business One, NetSuite).

Development, test, benchmark and demo use only: production code never imports this package.
"""
