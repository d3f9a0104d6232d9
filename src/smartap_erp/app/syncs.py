"""Syncs, exports and payment syncs in the application layer: request one as a job for the workers
(an identical request already queued is joined), run one in this process instead, read a job's status
and outcome, retry a failed job, and say whether any worker is alive to run what is queued.

A job runs in `smartap-erp worker` processes through `smartap_erp.jobs`; this module only queues and
reads. The queue is a `JobQueue`, opened on first use (opening it runs the DBOS migrations on the
system database) and closed by its owner: one per command, or one per API server. A job's `result` is
the worker's summary as it returned it (JSON values only); `sync_log_ids` name the sync logs it wrote,
for `logs` detail. Nothing is queued when no worker is alive and the caller asked for one: that is
`NoWorkerError`, whose message says how to start one.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import Callable, Sequence
from typing import Annotated, Literal, Self

from pydantic import AwareDatetime, Field, JsonValue, PositiveInt, model_validator
from sqlalchemy.ext.asyncio import AsyncSession

from smartap_erp.app.context import AppContext, resolve_connection
from smartap_erp.app.invoices import resolve_invoice_ids
from smartap_erp.app.models import AppModel
from smartap_erp.errors import ConflictError, NotFoundError, SmartAPError
from smartap_erp.jobs import heartbeat
from smartap_erp.jobs.client import (
    DONE_STATES,
    FAILED_STATES,
    JobClient,
    Queued,
    export_args,
    payments_args,
    sync_args,
)
from smartap_erp.jobs.config import EXPORT_WORKFLOW, PAYMENTS_WORKFLOW, SYNC_WORKFLOW
from smartap_erp.jobs.outcome import Outcome, judge
from smartap_erp.settings import Settings

SyncEntity = Literal["vendor", "purchase_order"]
PENDING = "pending"
ProgressCallback = Callable[[dict[str, JsonValue]], None]


class SyncRequest(AppModel):
    """Import from the ERP: vendors, purchase orders, or both (in that order)."""

    kind: Literal["sync"] = "sync"
    entities: list[SyncEntity] = Field(min_length=1)
    since: AwareDatetime | None = None  # only records changed since; None: from the stored cursor
    limit: PositiveInt | None = None
    full: bool = False  # read everything, ignoring the incremental cursor
    triggered_by: str = "cli"

    @model_validator(mode="after")
    def _full_or_since(self) -> Self:
        if self.full and self.since is not None:
            raise ValueError("a full sync reads everything and `since` only recent changes: give one")
        return self


class ExportRequest(AppModel):
    """Export approved invoices as bills: the named ones (numbers or ids), or every approved one."""

    kind: Literal["export"] = "export"
    invoices: list[str] | None = Field(default=None, min_length=1)
    vendor: str | None = None  # narrows numbers two vendors share
    triggered_by: str = "cli"


class PaymentsRequest(AppModel):
    """Read the payment status of exported bills from the ERP."""

    kind: Literal["payments"] = "payments"
    triggered_by: str = "cli"


JobRequest = Annotated[SyncRequest | ExportRequest | PaymentsRequest, Field(discriminator="kind")]


class JobRequested(AppModel):
    job_id: str
    joined: bool  # an identical request was already queued: this is that job
    title: str  # "sync vendor of Acme QBO", for messages
    connection_id: uuid.UUID | None  # None for a retry (the job names it)
    worker_alive: bool  # False: the job waits until a worker starts


class JobView(AppModel):
    """A job as people and scripts read it (`outcome`: completed, partial or failed)."""

    workflow_id: str | None  # None for a job run in this process
    joined: bool = False
    workflow: str | None
    status: str  # the queue's state: ENQUEUED, PENDING (running), SUCCESS, ERROR ...
    outcome: str  # pending (queued or running), completed, partial or failed
    result: JsonValue = None
    error: str | None = None
    failures: list[str] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)
    sync_log_ids: list[str] = Field(default_factory=list)

    @property
    def finished(self) -> bool:
        return self.status in DONE_STATES


class JobRun(AppModel):
    """A job run in this process: the title naming it and how it ended."""

    title: str
    job: JobView


class JobProgress(AppModel):
    done: int = 0
    total: int | None = None


class WorkerView(AppModel):
    worker_id: str
    host: str
    pid: int
    started_at: AwareDatetime
    seen_at: AwareDatetime


class WorkersView(AppModel):
    alive: bool
    workers: list[WorkerView]  # those seen recently, most recently seen first


class NoWorkerError(SmartAPError):
    """No worker is alive to run a job the caller wants to wait for; nothing was queued (exit 1)."""


class JobQueue:
    """The job queue, its client opened on first use and closed by `close()`. The client's reads are
    synchronous database round-trips: they run in a thread, so an API's event loop never waits."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._client: JobClient | None = None

    async def client(self) -> JobClient:
        if self._client is None:
            self._client = await asyncio.to_thread(JobClient, self._settings)
        return self._client

    async def status(self, job_id: str) -> dict[str, JsonValue] | None:
        return await asyncio.to_thread((await self.client()).status, job_id)

    async def progress(self, job_id: str) -> dict[str, JsonValue] | None:
        return await asyncio.to_thread((await self.client()).progress, job_id)

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None


def job_title(request: JobRequest, connection: str) -> str:
    """How messages name a request on a connection: "sync vendor+purchase_order of Acme"."""
    if isinstance(request, SyncRequest):
        return f"sync {'+'.join(request.entities)} of {connection}"
    if isinstance(request, ExportRequest):
        return f"export to {connection}"
    return f"payment statuses of {connection}"


async def workers(ctx: AppContext, *, now: dt.datetime | None = None) -> WorkersView:
    """The workers alive at `now` (seen within `jobs.heartbeat.ALIVE_WITHIN`)."""
    rows = await heartbeat.alive(ctx.sessions, now=now or dt.datetime.now(dt.UTC))
    found = [
        WorkerView(worker_id=r.worker_id, host=r.host, pid=r.pid, started_at=r.started_at, seen_at=r.seen_at)
        for r in rows
    ]
    return WorkersView(alive=bool(found), workers=found)


async def _workflow_args(
    ctx: AppContext, request: JobRequest, connection_id: uuid.UUID
) -> tuple[str, tuple[str | int | bool | list[str] | None, ...]]:
    """The workflow and the inputs a worker (or an inline run) gets for `request`."""
    if isinstance(request, SyncRequest):
        since, limit, full = _sync_options(request)
        args = sync_args(
            connection_id,
            list(request.entities),
            since=since,
            limit=limit,
            full=full,
            by=request.triggered_by,
        )
        return SYNC_WORKFLOW, args
    if isinstance(request, ExportRequest):
        return EXPORT_WORKFLOW, export_args(
            connection_id, await _invoice_ids(ctx, request), request.triggered_by
        )
    return PAYMENTS_WORKFLOW, payments_args(connection_id, request.triggered_by)


def _sync_options(request: SyncRequest) -> tuple[str | None, int | None, bool]:
    """since (ISO text in UTC, as job inputs carry it), limit and full of a sync request."""
    since = None if request.since is None else request.since.astimezone(dt.UTC).isoformat()
    return since, request.limit, request.full


async def export_invoice_ids(
    session: AsyncSession, references: Sequence[str], vendor: str | None
) -> list[str]:
    """The ids (text, as job inputs carry them) of the invoices an export names by number or id;
    `InvoiceReferenceError` when one names no invoice or several (as `invoices approve`)."""
    return [str(i) for i in await resolve_invoice_ids(session, references, vendor)]


async def _invoice_ids(ctx: AppContext, request: ExportRequest) -> list[str] | None:
    if request.invoices is None:
        return None
    async with ctx.sessions() as session:
        return await export_invoice_ids(session, request.invoices, request.vendor)


async def _connection(ctx: AppContext, name_or_id: str) -> tuple[uuid.UUID, str]:
    async with ctx.sessions() as session:
        found = await resolve_connection(session, name_or_id)
        return found.id, found.name


async def _enqueue(ctx: AppContext, queue: JobQueue, request: JobRequest, cid: uuid.UUID) -> Queued:
    client = await queue.client()
    if isinstance(request, SyncRequest):
        since, limit, full = _sync_options(request)
        entities: list[str] = list(request.entities)
        return await client.sync(
            ctx.sessions,
            cid,
            entities,
            since=since,
            limit=limit,
            full=full,
            triggered_by=request.triggered_by,
        )
    if isinstance(request, ExportRequest):
        return await client.export(ctx.sessions, cid, await _invoice_ids(ctx, request), request.triggered_by)
    return await client.payments(ctx.sessions, cid, request.triggered_by)


async def request_job(
    ctx: AppContext,
    queue: JobQueue,
    connection: str,
    request: JobRequest,
    *,
    require_worker: bool = False,
) -> JobRequested:
    """Queue `request` on the connection (by name or id) for the workers, or join the identical one
    already queued. With `require_worker`, `NoWorkerError` and nothing queued when no worker is alive."""
    cid, name = await _connection(ctx, connection)
    title = job_title(request, name)
    alive = (await workers(ctx)).alive
    if require_worker and not alive:
        raise NoWorkerError(heartbeat.no_worker_message(title))
    queued = await _enqueue(ctx, queue, request, cid)
    return JobRequested(
        job_id=queued.workflow_id, joined=queued.joined, title=title, connection_id=cid, worker_alive=alive
    )


def view(status: dict[str, JsonValue], *, joined: bool = False) -> JobView:
    """A job status (as `JobClient.status` or `run_inline` give it) judged and typed."""
    state = str(status["status"])
    result = status.get("result")
    error = status.get("error")
    if state in DONE_STATES:
        outcome = judge(state, result, None if error is None else str(error))
    else:  # queued or running: no outcome yet (judging it would call it failed)
        outcome = Outcome(PENDING)
    workflow_id, workflow = status.get("workflow_id"), status.get("workflow")
    return JobView(
        workflow_id=None if workflow_id is None else str(workflow_id),
        joined=joined,
        workflow=None if workflow is None else str(workflow),
        status=state,
        outcome=outcome.status,
        result=result,
        error=None if error is None else str(error),
        failures=outcome.failures,
        notes=outcome.notes,
        sync_log_ids=_log_ids(result),
    )


def _log_ids(result: JsonValue) -> list[str]:
    """The sync logs a job's result names: a sync's per entity, an export's, a payment sync's."""
    if not isinstance(result, dict):
        return []
    per_entity = result.get("results")
    parts = list(per_entity.values()) if isinstance(per_entity, dict) else [result]
    found: list[str] = []
    for part in parts:
        if not isinstance(part, dict):
            continue
        if isinstance(part.get("log_id"), str):
            found.append(str(part["log_id"]))
        logs = part.get("log_ids")
        if isinstance(logs, list):
            found.extend(i for i in logs if isinstance(i, str))
    return list(dict.fromkeys(found))


async def job_status(ctx: AppContext, queue: JobQueue, job_id: str) -> JobView:
    """Where a job is, with its result and outcome; `NotFoundError` if no job has this id."""
    found = await queue.status(job_id)
    if found is None:
        raise NotFoundError(f"no job with id {job_id!r}")
    return view(found)


def progress_of(step: dict[str, JsonValue] | None) -> JobProgress:
    """A job's progress event (steps done, as a count or the list of them, of total) typed."""
    step = step or {}
    done = step.get("done")
    completed = len(done) if isinstance(done, list) else int(done) if isinstance(done, int | float) else 0
    total = step.get("total")
    return JobProgress(done=completed, total=int(total) if isinstance(total, int | float) else None)


async def job_progress(ctx: AppContext, queue: JobQueue, job_id: str) -> JobProgress:
    """The last progress a running job reported; zero steps before its first report."""
    return progress_of(await queue.progress(job_id))


async def retry_job(
    ctx: AppContext, queue: JobQueue, job_id: str, *, require_worker: bool = False
) -> JobRequested:
    """Queue a failed job again with the same inputs (a new job; the failed one stays for history).
    `NotFoundError` for an unknown id, `ConflictError` for a job that did not fail."""
    title = f"retry of {job_id}"
    alive = (await workers(ctx)).alive
    if require_worker and not alive:
        raise NoWorkerError(heartbeat.no_worker_message(title))
    status = await queue.status(job_id)
    if status is None:
        raise NotFoundError(f"no job with id {job_id!r}")
    if status["status"] not in FAILED_STATES:
        raise ConflictError(f"job {job_id} is {status['status']}, not failed: nothing to retry")
    queued = await (await queue.client()).retry(ctx.sessions, job_id)
    return JobRequested(
        job_id=queued.workflow_id, joined=queued.joined, title=title, connection_id=None, worker_alive=alive
    )


async def run_here(
    ctx: AppContext,
    connection: str,
    request: JobRequest,
    on_progress: ProgressCallback | None = None,
) -> JobRun:
    """Run `request` in this process through the same job code a worker runs (nothing is queued).
    Refused at once (`ConnectionBusyInlineError`) if another run holds the connection."""
    from smartap_erp.jobs.inline import run_inline

    cid, name = await _connection(ctx, connection)
    workflow, args = await _workflow_args(ctx, request, cid)
    status = await run_inline(ctx.settings, workflow, args, on_progress)
    return JobRun(title=job_title(request, name), job=view(status))
