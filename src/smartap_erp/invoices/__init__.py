"""SmartAP's own invoices: reading invoice files (CSV or JSON), storing them, approving them."""
