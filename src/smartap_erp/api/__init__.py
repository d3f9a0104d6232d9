"""The REST API (FastAPI) over the application layer: `create_app` builds it, `smartap-erp serve` runs
it. Routers live in `api.routers` (one module per resource); no endpoint holds SQL or ERP logic."""

from smartap_erp.api.app import create_app

__all__ = ["create_app"]
