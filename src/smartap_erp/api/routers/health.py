"""Health endpoints, without an API key (load balancers and Prometheus call them): `/healthz` says
the process answers; `/readyz` says whether it can do its work: database reachable, schema at the
newest migration, a worker heartbeat seen recently (syncs run on workers, never in a request), 503
with the reasons otherwise; `/metrics` is Prometheus text: HTTP requests by route and status and their
durations, plus, read from the database at each scrape (`app.metrics`), jobs queued, live workers,
sync runs by outcome, and over the last 24 hours the run-duration histograms and each ERP's
requests, 429s and failed answers (from the HTTP exchanges the runs recorded).
"""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel

from smartap_erp.api.deps import Ctx
from smartap_erp.api.metrics import APIMetrics
from smartap_erp.app import metrics as app_metrics
from smartap_erp.app.database import database_failure
from smartap_erp.db import migrate
from smartap_erp.db.base import utcnow
from smartap_erp.jobs import heartbeat

router = APIRouter(tags=["health"])


class Alive(BaseModel):
    status: str = "ok"


class Readiness(BaseModel):
    ready: bool
    database: bool  # reachable
    schema_revision: str | None  # what the database is at
    schema_head: str | None  # what this code expects
    workers_alive: int  # workers seen within the heartbeat window
    reasons: list[str]  # why not ready; empty when ready


@router.get("/healthz", summary="The process is alive")
async def healthz() -> Alive:
    return Alive()


@router.get(
    "/readyz",
    summary="Ready to serve: database, schema and a live worker",
    responses={503: {"model": Readiness, "description": "Not ready; `reasons` say why"}},
)
async def readyz(ctx: Ctx, request: Request) -> JSONResponse:
    now: dt.datetime = getattr(request.app.state, "now", utcnow)()
    reasons: list[str] = []
    head = migrate.head_revision()
    revision: str | None = None
    workers = 0
    try:
        revision = await migrate.current_revision(ctx.engine)
        reachable = True
    except Exception as exc:
        failure = database_failure(exc)
        reasons.append(f"database unreachable: {failure.message if failure else type(exc).__name__}")
        reachable = False
    if reachable:
        if revision != head:
            reasons.append(
                f"schema at {revision or 'nothing'}, code expects {head}: run `smartap-erp db upgrade`"
            )
        else:
            workers = len(await heartbeat.alive(ctx.sessions, now=now))
            if not workers:
                reasons.append(heartbeat.no_worker_message("queued syncs"))
    report = Readiness(
        ready=not reasons,
        database=reachable,
        schema_revision=revision,
        schema_head=head,
        workers_alive=workers,
        reasons=reasons,
    )
    return JSONResponse(report.model_dump(), status_code=200 if report.ready else 503)


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE_LATEST: {}}, "description": "Prometheus text format"}},
)
async def metrics(ctx: Ctx, request: Request) -> Response:
    registry: APIMetrics = request.app.state.metrics
    now: dt.datetime = getattr(request.app.state, "now", utcnow)()
    registry.update(await app_metrics.snapshot(ctx, now=now))
    return Response(generate_latest(registry.registry), media_type=CONTENT_TYPE_LATEST)
