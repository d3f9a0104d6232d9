"""The UI's page routers: each module here exposes `router: APIRouter` (its routes are left out of
the OpenAPI document); `ROUTERS` is what `install_ui` includes, one line per screen."""

from fastapi import APIRouter

from smartap_erp.ui.routes import auth, connections

ROUTERS: list[APIRouter] = [
    auth.router,
    connections.router,
]
