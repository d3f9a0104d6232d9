"""The connections screen (`/ui/connections`): every connection with its status badge, last sync
and the next scheduled one."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Request
from fastapi.responses import Response

from smartap_erp.app import connections
from smartap_erp.app.connections import ConnectionView
from smartap_erp.ui.security import Viewer
from smartap_erp.ui.templating import render

router = APIRouter(include_in_schema=False)


def next_sync(connection: ConnectionView) -> dt.datetime | None:
    """When the scheduler will sync next: an interval after the last sync (None when not scheduled)."""
    if not connection.auto_sync or connection.status.value == "paused":
        return None
    if connection.last_sync_at is None:
        return None
    return connection.last_sync_at + dt.timedelta(minutes=connection.interval_minutes)


@router.get("/ui/connections")
async def connection_list(request: Request, user: Viewer) -> Response:
    found = await connections.list_connections(request.app.state.ctx)
    rows = [(connection, next_sync(connection)) for connection in found]
    return render(request, "connections/list.html", rows=rows)
