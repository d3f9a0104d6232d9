"""The sync dashboard (`/ui/dashboard`): the jobs this browser asked for (`?job=ID`, followed live),
the most recent runs, how each connection's runs ended over 7 and 30 days with a small chart, each
connection's ERP API usage against its ERP's limits, and "Sync now" buttons for operators.

"Sync now" queues a job through `app.syncs.request_job` exactly as the API does (an identical job
already queued is joined) and comes back here following it; with no worker alive the job is queued all
the same and the page says, at the button and at the job, that it waits for `smartap-erp worker`.
The page shows the state at load; `static/dashboard.js` polls `/ui/dashboard/live.json` every second
or so, updates the followed jobs' progress in place, and reloads the page when a run starts or ends
(the `signature` of what the page shows changed), so counts and the recent-runs table follow too.
"""

from __future__ import annotations

import datetime as dt
import hmac
from typing import Annotated, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from smartap_erp.app import connections, dashboard, logs, syncs
from smartap_erp.app.logs import LogFilter, SyncLogEntry
from smartap_erp.app.users import Role
from smartap_erp.errors import NotFoundError
from smartap_erp.jobs import heartbeat
from smartap_erp.ui import security
from smartap_erp.ui.security import CheckedForm, Operator, Viewer
from smartap_erp.ui.templating import render

router = APIRouter(include_in_schema=False)

RECENT = 15  # runs in the recent-runs table
MAX_FOLLOWED = 5  # jobs a page follows
ENTITY_CHOICES: dict[str, list[Literal["vendor", "purchase_order"]]] = {
    "all": ["vendor", "purchase_order"],
    "vendor": ["vendor"],
    "purchase_order": ["purchase_order"],
}
_STATE_WORDS = {"ENQUEUED": "queued", "PENDING": "running", "DELAYED": "waiting to retry"}


def job_queue(request: Request) -> syncs.JobQueue:
    queue: syncs.JobQueue = request.app.state.job_queue  # opened by the API's jobs router lifespan
    return queue


JobIds = Annotated[list[str], Query(alias="job")]


async def followed_jobs(request: Request, job_ids: list[str]) -> list[dict[str, object]]:
    """Each followed job as the page and the JSON show it: state words, progress, outcome, logs."""
    ctx, queue = request.app.state.ctx, job_queue(request)
    found: list[dict[str, object]] = []
    for job_id in list(dict.fromkeys(job_ids))[:MAX_FOLLOWED]:
        try:
            job = await syncs.job_status(ctx, queue, job_id)
        except NotFoundError:
            found.append({"id": job_id, "state": "unknown job", "finished": True, "known": False})
            continue
        progress = await syncs.job_progress(ctx, queue, job_id)
        log_ids = job.sync_log_ids
        if job.finished and not log_ids:  # a failed job's result names no log: find them by job
            log_ids = [str(i) for i in await dashboard.logs_of_job(ctx, job_id)]
        found.append(
            {
                "id": job_id,
                "known": True,
                "state": job.outcome if job.finished else _STATE_WORDS.get(job.status, job.status.lower()),
                "finished": job.finished,
                "done": progress.done,
                "total": progress.total,
                "error": job.error,
                "failures": job.failures,
                "log_ids": log_ids,
            }
        )
    return found


def signature(recent: list[SyncLogEntry], jobs: list[dict[str, object]]) -> str:
    """What the page shows that a reload would change: the recent runs and the jobs' states."""
    runs = ",".join(f"{log.id}:{log.status.value}" for log in recent)
    return runs + "|" + ",".join(f"{job['id']}:{job['state']}" for job in jobs)


@router.get("/ui/dashboard")
async def dashboard_page(request: Request, user: Viewer, job: JobIds = []) -> Response:  # noqa: B006
    ctx = request.app.state.ctx
    now = dt.datetime.now(dt.UTC)
    recent = (await logs.list_logs(ctx, LogFilter(limit=RECENT))).items
    jobs = await followed_jobs(request, job)
    workers = await syncs.workers(ctx, now=now)
    counts = await dashboard.run_counts(ctx, now=now)
    return render(
        request,
        "dashboard/index.html",
        now=now,
        recent=recent,
        jobs=jobs,
        joined=request.query_params.get("joined") == "1",
        workers=workers,
        no_worker=heartbeat.no_worker_message("a sync"),
        counts=counts,
        chart_max=max((c.month.total for c in counts), default=0),
        usage=await dashboard.api_usage(ctx, now=now),
        connections=await connections.list_connections(ctx),
        can_sync=user.role.allows(Role.OPERATOR),
        live_url="/ui/dashboard/live.json" + (f"?{urlencode([('job', j) for j in job])}" if job else ""),
        signature=signature(recent, jobs),
    )


@router.get("/ui/dashboard/live.json")
async def live(request: Request, user: Viewer, job: JobIds = []) -> Response:  # noqa: B006
    """The followed jobs' progress and the page signature, for `dashboard.js` (X-CSRF-Token checked)."""
    sent = request.headers.get("x-csrf-token", "")
    binding = security.binding_of(request)
    if binding is None or not hmac.compare_digest(sent, security.csrf_token_for(binding)):
        raise HTTPException(403, "the request's security token is missing or stale: reload the page")
    recent = (await logs.list_logs(request.app.state.ctx, LogFilter(limit=RECENT))).items
    jobs = await followed_jobs(request, job)
    return JSONResponse(
        {"signature": signature(recent, jobs), "jobs": jobs}, headers={"Cache-Control": "no-store"}
    )


@router.post("/ui/dashboard/sync")
async def sync_now(request: Request, user: Operator, form: CheckedForm) -> Response:
    """Queue an import of the chosen entities on the chosen connection, then follow it here."""
    connection, entities = form.get("connection"), form.get("entities", "all")
    if not isinstance(connection, str) or not connection or entities not in ENTITY_CHOICES:
        raise HTTPException(422, "choose a connection and what to import (vendors, purchase orders or both)")
    wanted = syncs.SyncRequest(entities=ENTITY_CHOICES[str(entities)], triggered_by=f"ui:{user.username}")
    queued = await syncs.request_job(request.app.state.ctx, job_queue(request), connection, wanted)
    query = [("job", queued.job_id)] + ([("joined", "1")] if queued.joined else [])
    return RedirectResponse(f"/ui/dashboard?{urlencode(query)}", status_code=303)
