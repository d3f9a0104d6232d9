"""The application layer: the queries and commands every interface calls (the CLI today, the REST API
and the web UI next). Each module serves one resource (connections, invoices, mappings, syncs and
jobs, logs, conflicts, reference data); functions take an `AppContext` and typed inputs and return
pydantic models that the API serves as they are. No interface builds SQL or talks to an ERP itself.
"""
