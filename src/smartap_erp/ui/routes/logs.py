"""The log viewer: `/ui/logs`, every sync log filtered by connection, entity, status, start-date range
(whole UTC days, both ends included) and text, newest first, a page at a time (the next page by the
cursor of the last one, or by `offset`), each failed record's error behind a disclosure; the CSV of
exactly what the filter matches (`/ui/logs.csv`, the same file as the API's, `app.log_export`);
and `/ui/logs/{id}`, one run with its record errors and the HTTP exchanges it sent (redacted when
recorded), with "Retry" for operators when the job that ran it failed (a new job, as
`POST /api/v1/jobs/{id}/retry` queues; followed on the dashboard).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from urllib.parse import urlencode

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response, StreamingResponse
from pydantic import ValidationError

from smartap_erp.app import connections, log_export, logs, syncs
from smartap_erp.app.logs import LogFilter
from smartap_erp.app.users import Role
from smartap_erp.domain.enums import ERPEntity, SyncStatus
from smartap_erp.errors import NotFoundError
from smartap_erp.ui.routes.dashboard import job_queue
from smartap_erp.ui.security import CheckedForm, Operator, Viewer
from smartap_erp.ui.templating import render

router = APIRouter(include_in_schema=False)

PAGE = 50
FILTERS = ("connection", "entity", "status", "from", "to", "text")


@dataclass(frozen=True)
class Filters:
    """The filter form as sent (`values`, to fill the form and the links again) and as a `LogFilter`
    (`query`), or why it is not one (`problem`)."""

    values: dict[str, str]
    query: LogFilter | None
    problem: str | None

    def link(self, path: str, **more: str) -> str:
        params = [(k, v) for k, v in self.values.items() if v] + [(k, v) for k, v in more.items() if v]
        return f"{path}?{urlencode(params)}" if params else path


def _day(text: str, name: str) -> dt.datetime:
    try:
        return dt.datetime.combine(dt.date.fromisoformat(text), dt.time(), tzinfo=dt.UTC)
    except ValueError:
        raise ValueError(f"{name}: {text[:20]!r} is not a date (YYYY-MM-DD)") from None


def parse_filters(request: Request) -> Filters:
    params = request.query_params
    values = {name: params.get(name, "").strip() for name in FILTERS}
    paging: dict[str, object] = {}
    if params.get("cursor"):
        paging["cursor"] = params["cursor"]
    elif params.get("offset", "").isdigit():
        paging["offset"] = int(params["offset"])
    try:
        started_from = _day(values["from"], "from") if values["from"] else None
        last = _day(values["to"], "to") if values["to"] else None
        query = LogFilter.model_validate(
            {
                "connection": values["connection"] or None,
                "entity": values["entity"] or None,
                "status": values["status"] or None,
                "started_from": started_from,
                "started_before": None if last is None else last + dt.timedelta(days=1),
                "text": values["text"] or None,
                "limit": PAGE,
                "with_record_errors": True,
                **paging,
            }
        )
    except ValueError as exc:  # a ValidationError too
        return Filters(values, None, _problem(exc))
    return Filters(values, query, None)


def _problem(exc: ValueError) -> str:
    if isinstance(exc, ValidationError):
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "filter"
        return f"{where}: {first['msg']}"
    return str(exc)


@router.get("/ui/logs")
async def log_list(request: Request, user: Viewer) -> Response:
    ctx = request.app.state.ctx
    where = parse_filters(request)
    page = None if where.query is None else await logs.list_logs(ctx, where.query)
    offset = 0 if where.query is None else where.query.offset or 0
    return render(
        request,
        "logs/list.html",
        status_code=200 if where.problem is None else 422,
        filters=where,
        page=page,
        first_row=offset + 1,
        paged=bool(request.query_params.get("cursor") or offset),
        connections=await connections.list_connections(ctx),
        entities=[e.value for e in ERPEntity],
        statuses=[s.value for s in SyncStatus],
        csv_url=where.link("/ui/logs.csv"),
        next_url=None
        if page is None or page.next_cursor is None
        else where.link("/ui/logs", cursor=page.next_cursor),
        first_url=where.link("/ui/logs"),
    )


@router.get("/ui/logs.csv")
async def log_csv(request: Request, user: Viewer) -> Response:
    """Every log the filter matches (not only the page shown), as the API's CSV."""
    where = parse_filters(request)
    if where.query is None:
        raise HTTPException(422, f"the filter is not valid: {where.problem}")
    return StreamingResponse(
        await log_export.open_csv(request.app.state.ctx, where.query),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="sync-logs.csv"', "Cache-Control": "no-store"},
    )


@router.get("/ui/logs/{log_id}")
async def log_detail(request: Request, log_id: str, user: Viewer) -> Response:
    ctx = request.app.state.ctx
    log = await logs.get_log(ctx, log_id)
    job = None
    if log.workflow_id is not None and log.status in (SyncStatus.FAILED, SyncStatus.PARTIAL):
        try:
            job = await syncs.job_status(ctx, job_queue(request), log.workflow_id)
        except NotFoundError:
            job = None  # the job's record was purged from the queue
    return render(
        request,
        "logs/detail.html",
        log=log,
        job=job,
        can_retry=user.role.allows(Role.OPERATOR)
        and job is not None
        and job.finished
        and job.status != "SUCCESS",
    )


@router.post("/ui/logs/{log_id}/retry")
async def retry(request: Request, log_id: str, user: Operator, form: CheckedForm) -> Response:
    """Queue the failed job that wrote this log again, then follow the new job on the dashboard."""
    ctx = request.app.state.ctx
    log = await logs.get_log(ctx, log_id)
    if log.workflow_id is None:
        raise HTTPException(
            409, "this run was not a queued job (it ran in a command): run that command again"
        )
    queued = await syncs.retry_job(ctx, job_queue(request), log.workflow_id)
    return RedirectResponse(f"/ui/dashboard?{urlencode([('job', queued.job_id)])}", status_code=303)
