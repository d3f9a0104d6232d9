"""The FastAPI application: `create_app(settings)` builds it; its lifespan opens one `AppContext`
(`app.state.ctx`) for the process and closes it on shutdown (tests pass an open `context` instead,
which the app then leaves open). Routers come from `api.routers.ROUTERS`, the web UI from
`ui.app.install_ui`; every API error is a problem document (`api.errors`); every request gets a
correlation id and is counted for `/metrics`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from smartap_erp import __version__
from smartap_erp.api.errors import PROBLEM_RESPONSES, CorrelationMiddleware, install_error_handlers
from smartap_erp.api.metrics import APIMetrics, MetricsMiddleware
from smartap_erp.api.routers import ROUTERS
from smartap_erp.app.context import AppContext, open_app
from smartap_erp.settings import Settings
from smartap_erp.ui.app import install_ui

DESCRIPTION = (
    "Sync vendors, purchase orders, bills and payments between SmartAP and ERPs. Authenticate with "
    "`Authorization: Bearer <key>` (`smartap-erp api-keys create`); errors are RFC 9457 problem "
    "documents. See docs/api.md."
)


def create_app(settings: Settings | None = None, *, context: AppContext | None = None) -> FastAPI:
    """The API on `settings` (the environment's when None), or on an already open `context`."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if context is not None:
            app.state.ctx = context
            yield
            return
        async with open_app(settings) as ctx:
            app.state.ctx = ctx
            yield

    app = FastAPI(
        title="SmartAP ERP Connectors",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        openapi_url="/openapi.json",
        docs_url="/docs",
        redoc_url=None,
        responses=PROBLEM_RESPONSES,
    )
    metrics = APIMetrics()
    app.state.metrics = metrics
    install_error_handlers(app)
    # Added last runs first: the correlation id exists before anything is counted or fails.
    app.add_middleware(MetricsMiddleware, metrics=metrics)
    app.add_middleware(CorrelationMiddleware)
    for router in ROUTERS:
        app.include_router(router)
    install_ui(app)  # the web UI under /ui, on the same application layer (left out of the spec)
    return app
