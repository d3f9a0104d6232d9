"""Export of approved invoices as ERP bills: the export run, payload building, the outbox store, tax
spreading and the reference data (accounts, tax codes) read once per run."""
