"""Syncs as jobs over HTTP: `POST /api/v1/erp/connections/{id}/sync/vendors|purchase-orders|all`
queues an import for the workers and answers 202 at once (a sync never runs inside a request);
`GET /api/v1/jobs/{id}` reads where a job is (state, progress, outcome, result, the sync logs it
wrote) and `POST /api/v1/jobs/{id}/retry` queues a failed job again. An identical request already
queued is joined (`joined: true`, same job id). With no worker alive the job is queued all the same
and the answer says so (`worker_alive: false` and a `warning` naming how to start one): a worker
started later runs it, and refusing would lose a request SmartAP made in good faith.

The job queue (`app.syncs.JobQueue`, a DBOS client) is one per server: this router's lifespan
opens it beside the app's `AppContext` and closes it on shutdown.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Literal, Self

from fastapi import APIRouter, Body, Depends, FastAPI, Request, Response
from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    computed_field,
    field_validator,
    model_validator,
)

from smartap_erp.api.deps import Ctx, ReadKey, WriteKey
from smartap_erp.app import syncs
from smartap_erp.jobs import heartbeat
from smartap_erp.jobs.client import DONE_STATES

JOBS = "/api/v1/jobs"
SYNCS = "/api/v1/erp/connections/{connection_id}/sync"
MAX_SYNC_LIMIT = 1_000_000  # a bound for the schema; an import reads at most this many records


@asynccontextmanager
async def _queue_lifespan(app: FastAPI) -> AsyncIterator[None]:
    queue = syncs.JobQueue(app.state.ctx.settings)  # the client itself opens on first use
    app.state.job_queue = queue
    try:
        yield
    finally:
        queue.close()


router = APIRouter(tags=["syncs and jobs"], lifespan=_queue_lifespan)


def job_queue(request: Request) -> syncs.JobQueue:
    queue: syncs.JobQueue = request.app.state.job_queue
    return queue


Queue = Annotated[syncs.JobQueue, Depends(job_queue)]


class SyncBody(BaseModel):
    """What to import: records changed `since` (default: since the last run's cursor), at most `limit`,
    or everything (`full`)."""

    model_config = ConfigDict(extra="forbid")

    since: AwareDatetime | None = Field(None, description="ISO 8601 with a zone, e.g. 2026-01-01T00:00:00Z")
    limit: int | None = Field(None, ge=1, le=MAX_SYNC_LIMIT)
    full: bool = False

    @field_validator("since")
    @classmethod
    def _in_utc(cls, since: dt.datetime | None) -> dt.datetime | None:
        try:  # 0001-01-01T00:00:00+01:00 is before the first UTC instant Python can hold
            return None if since is None else since.astimezone(dt.UTC)
        except OverflowError:
            raise ValueError("out of range once in UTC") from None

    @model_validator(mode="after")
    def _full_or_since(self) -> Self:
        if self.full and self.since is not None:
            raise ValueError("a full sync reads everything and `since` only recent changes: give one")
        return self


class JobAccepted(BaseModel):
    """A job queued (or joined) for the workers; follow it at `status_url`."""

    job_id: str
    joined: bool  # an identical request was already queued: this is that job
    title: str
    connection_id: str | None  # None for a retry (the job names its connection)
    worker_alive: bool  # False: queued, and it waits until a worker starts
    warning: str | None  # set when no worker is alive
    status_url: str


class JobStatus(syncs.JobView):
    """A job's state: `status` is the queue's (ENQUEUED, PENDING = running, SUCCESS, ERROR ...),
    `outcome` pending, completed, partial or failed; `sync_log_ids` once the job has written them."""

    progress: syncs.JobProgress  # the last step a running job reported
    sync_log_urls: list[str]

    @computed_field  # type: ignore[prop-decorator]
    @property
    def finished(self) -> bool:
        return self.status in DONE_STATES


def accepted(response: Response, requested: syncs.JobRequested) -> JobAccepted:
    url = f"{JOBS}/{requested.job_id}"
    response.headers["Location"] = url
    return JobAccepted(
        job_id=requested.job_id,
        joined=requested.joined,
        title=requested.title,
        connection_id=None if requested.connection_id is None else str(requested.connection_id),
        worker_alive=requested.worker_alive,
        warning=None if requested.worker_alive else heartbeat.no_worker_message(requested.title),
        status_url=url,
    )


async def _sync(
    ctx: Ctx,
    queue: syncs.JobQueue,
    response: Response,
    connection_id: str,
    entities: list[Literal["vendor", "purchase_order"]],
    body: SyncBody | None,
) -> JobAccepted:
    body = body or SyncBody()
    request = syncs.SyncRequest(
        entities=entities, since=body.since, limit=body.limit, full=body.full, triggered_by="api"
    )
    return accepted(response, await syncs.request_job(ctx, queue, connection_id, request))


SyncBodyParam = Annotated[SyncBody | None, Body()]


@router.post(f"{SYNCS}/vendors", status_code=202, summary="Import vendors (queued)")
async def sync_vendors(
    connection_id: str, ctx: Ctx, queue: Queue, response: Response, _: WriteKey, body: SyncBodyParam = None
) -> JobAccepted:
    return await _sync(ctx, queue, response, connection_id, ["vendor"], body)


@router.post(f"{SYNCS}/purchase-orders", status_code=202, summary="Import purchase orders (queued)")
async def sync_purchase_orders(
    connection_id: str, ctx: Ctx, queue: Queue, response: Response, _: WriteKey, body: SyncBodyParam = None
) -> JobAccepted:
    return await _sync(ctx, queue, response, connection_id, ["purchase_order"], body)


@router.post(f"{SYNCS}/all", status_code=202, summary="Import vendors, then purchase orders (queued)")
async def sync_all(
    connection_id: str, ctx: Ctx, queue: Queue, response: Response, _: WriteKey, body: SyncBodyParam = None
) -> JobAccepted:
    return await _sync(ctx, queue, response, connection_id, ["vendor", "purchase_order"], body)


@router.get(f"{JOBS}/{{job_id}}", response_model=JobStatus, summary="A job's state, progress and result")
async def get_job(job_id: str, ctx: Ctx, queue: Queue, _: ReadKey) -> JobStatus:
    found = await syncs.job_status(ctx, queue, job_id)
    return JobStatus(
        **found.model_dump(),
        progress=await syncs.job_progress(ctx, queue, job_id),
        sync_log_urls=[f"/api/v1/erp/sync-logs/{log_id}" for log_id in found.sync_log_ids],
    )


@router.post(f"{JOBS}/{{job_id}}/retry", status_code=202, summary="Queue a failed job again")
async def retry_job(job_id: str, ctx: Ctx, queue: Queue, response: Response, _: WriteKey) -> JobAccepted:
    return accepted(response, await syncs.retry_job(ctx, queue, job_id))
