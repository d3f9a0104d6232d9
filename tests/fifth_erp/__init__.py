"""A fifth ERP ("Ledgerly") defined only under tests/: a provider, a small connector and a small
simulator. It proves an installation can add an ERP through the registry alone (`ERP_PROVIDERS` or
`register_provider`), with no edit to any product file."""
