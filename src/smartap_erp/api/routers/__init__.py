"""The API's routers: each module here exposes `router: APIRouter`; `ROUTERS` is what `create_app`
includes, in this order (one line per resource)."""

from fastapi import APIRouter

from smartap_erp.api.routers import (
    api_keys,
    conflicts,
    connections,
    events,
    health,
    invoices,
    jobs,
    logs,
    mappings,
    oauth,
    reconciliation,
    records,
    webhooks,
)

ROUTERS: list[APIRouter] = [
    health.router,
    api_keys.router,
    connections.router,
    jobs.router,
    oauth.router,
    logs.router,
    conflicts.router,
    mappings.router,
    invoices.router,
    records.router,
    events.router,
    reconciliation.router,
    webhooks.router,
]
