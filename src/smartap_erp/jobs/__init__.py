"""Durable jobs on DBOS Transact: sync, export and payment-status workflows, their partitioned queue,
the schedules, the worker and the client the CLI enqueues through. Operations guide: docs/operations.md.
"""
