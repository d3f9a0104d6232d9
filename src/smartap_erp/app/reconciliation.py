"""Reconciliation reports in the application layer (issue 16, item 6): run one for a connection, store
it in `erp_reconciliation_reports`, list a connection's reports and read one, and queue one as a job.

A run reads the ERP's side through the connection's connector (`connectors/<erp>/reconcile.py`: summary
and paged reads of the needed fields only), SmartAP's side from its own tables, and compares them per
object (vendors, purchase orders, bills, payments; `app.reconcile_compare`). Every request the
connector sends is counted against `MAX_REQUESTS`; a run that would need more stops, failed, with the
reason. The report row is written `running` first, so a run that dies is visible, and completed (or
failed, with the error) at the end. A run with `raise_drift` (the daily schedule's) records a
`reconciliation.drift` event in the same transaction as a report that found differences, with the
number of differences per object and the report id. Runs queued from the CLI, API or UI are jobs on the
workers (`jobs.reconcile`, one per connection at a time, after any sync of that connection); the CLI's
`--inline` runs the same code in its own process.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from pydantic import JsonValue
from sqlalchemy import select

from smartap_erp.app.context import AppContext, resolve_connection
from smartap_erp.app.models import AppModel
from smartap_erp.app.reconcile_compare import MAX_LISTED, compare, smartap_side
from smartap_erp.app.syncs import JobQueue, JobRequested, NoWorkerError, workers
from smartap_erp.connectors.reconciliation import ReconcileObject, RequestMeter, snapshot_reader
from smartap_erp.db.models import ERPConnection, ERPReconciliationReport
from smartap_erp.errors import NotFoundError
from smartap_erp.events import record_event
from smartap_erp.jobs import heartbeat
from smartap_erp.sync.context import SyncContext

MAX_REQUESTS = 400  # per run: every ERP's formula (docs/sync.md §Reconciliation) for ~100,000 records
OBJECTS = tuple(ReconcileObject)


class ReportSummary(AppModel):
    id: uuid.UUID
    connection_id: uuid.UUID
    connection_name: str
    status: str  # running | completed | failed
    triggered_by: str
    job_id: str | None
    started_at: dt.datetime
    completed_at: dt.datetime | None
    difference_count: int
    request_count: int
    request_budget: int
    error: str | None


class ReconciliationReport(ReportSummary):
    """A report whole: per object (`vendors`, `purchase_orders`, `bills`, `payments`) `smartap` and `erp`
    each {count, totals: {currency: decimal string}}, `differences` (their number), `erp_only` (bills
    entered in the ERP directly) or `read: false` when this ERP's reader does not cover the object;
    `differences` lists them (the first 1,000)."""

    objects: dict[str, JsonValue]
    differences: list[dict[str, JsonValue]]


def _summary(row: ERPReconciliationReport, name: str) -> dict[str, Any]:
    return {
        "id": row.id,
        "connection_id": row.connection_id,
        "connection_name": name,
        "status": row.status,
        "triggered_by": row.triggered_by,
        "job_id": row.job_id,
        "started_at": row.started_at,
        "completed_at": row.completed_at,
        "difference_count": row.difference_count,
        "request_count": row.request_count,
        "request_budget": row.request_budget,
        "error": row.error,
    }


async def run_report(
    sync: SyncContext,
    connection_id: uuid.UUID,
    *,
    triggered_by: str,
    job_id: str | None = None,
    raise_drift: bool = False,
    budget: int = MAX_REQUESTS,
) -> uuid.UUID:
    """Run and store one report of the connection; its id (failed reports are stored too, then the
    error propagates)."""
    async with sync.session_factory() as session, session.begin():
        connection = await session.get(ERPConnection, connection_id)
        if connection is None:
            raise NotFoundError(f"no connection with id {connection_id}")
        row = ERPReconciliationReport(
            id=uuid.uuid4(),
            connection_id=connection_id,
            triggered_by=triggered_by,
            job_id=job_id,
            started_at=sync.now(),
            request_budget=budget,
        )
        session.add(row)
        session.expunge(connection)
    meter = RequestMeter(budget)
    try:
        reader = snapshot_reader(str(connection.system_type))
        async with sync.connector(connection) as erp:
            meter.attach(erp.http)
            snapshot = await reader(erp)
    except Exception as exc:
        async with sync.session_factory() as session, session.begin():
            failed = await session.get(ERPReconciliationReport, row.id)
            if failed is not None:
                failed.status, failed.completed_at = "failed", sync.now()
                failed.request_count, failed.error = meter.count, f"{type(exc).__name__}: {exc}"[:4000]
        raise
    async with sync.session_factory() as session, session.begin():
        ours = await smartap_side(session, connection_id)
        objects: dict[str, Any] = {}
        found: list[dict[str, Any]] = []
        for obj in OBJECTS:
            if obj not in snapshot.objects:
                objects[obj.value] = {"read": False, "differences": 0}
                continue
            summary, differences = compare(obj, ours[obj], snapshot)
            objects[obj.value] = {"read": True, **summary}
            found.extend(differences)
        done = await session.get(ERPReconciliationReport, row.id)
        assert done is not None
        done.status, done.completed_at = "completed", sync.now()
        done.objects, done.differences, done.difference_count = objects, found[:MAX_LISTED], len(found)
        done.request_count = meter.count
        if raise_drift and found:
            await record_event(
                session,
                "reconciliation.drift",
                connection_id=connection_id,
                data={
                    "report_id": str(row.id),
                    "differences": {name: int(o["differences"]) for name, o in objects.items()},
                },
            )
    return row.id


async def get_report(ctx: AppContext, report_id: str | uuid.UUID) -> ReconciliationReport:
    try:
        key = report_id if isinstance(report_id, uuid.UUID) else uuid.UUID(str(report_id))
    except ValueError:
        raise NotFoundError(f"no reconciliation report {report_id!r}") from None
    async with ctx.sessions() as session:
        found = (
            await session.execute(
                select(ERPReconciliationReport, ERPConnection.name)
                .join(ERPConnection, ERPConnection.id == ERPReconciliationReport.connection_id)
                .where(ERPReconciliationReport.id == key)
            )
        ).first()
    if found is None:
        raise NotFoundError(f"no reconciliation report {report_id!r}")
    row, name = found
    return ReconciliationReport(**_summary(row, name), objects=row.objects, differences=row.differences)


async def list_reports(
    ctx: AppContext, connection: str | None = None, *, limit: int = 50
) -> list[ReportSummary]:
    """The newest reports first, of one connection (by name or id) or of all."""
    query = select(ERPReconciliationReport, ERPConnection.name).join(
        ERPConnection, ERPConnection.id == ERPReconciliationReport.connection_id
    )
    async with ctx.sessions() as session:
        if connection is not None:
            found = await resolve_connection(session, connection)
            query = query.where(ERPReconciliationReport.connection_id == found.id)
        rows = await session.execute(
            query.order_by(ERPReconciliationReport.started_at.desc(), ERPReconciliationReport.id).limit(limit)
        )
        return [ReportSummary(**_summary(row, name)) for row, name in rows]


async def run_inline(ctx: AppContext, connection: str, *, triggered_by: str) -> ReconciliationReport:
    """Run a report in this process (the CLI's `--inline`) and return it; a failed run is stored and
    its error raised."""
    async with ctx.sessions() as session:
        found = await resolve_connection(session, connection)
    report_id = await run_report(ctx.sync_context(), found.id, triggered_by=triggered_by)
    return await get_report(ctx, report_id)


async def request_report(
    ctx: AppContext, queue: JobQueue, connection: str, *, triggered_by: str, require_worker: bool = False
) -> JobRequested:
    """Queue a reconciliation of the connection for the workers (joining one already queued)."""
    from smartap_erp.jobs.reconcile import enqueue

    async with ctx.sessions() as session:
        found = await resolve_connection(session, connection)
        cid, name = found.id, found.name
    title = f"reconciliation of {name}"
    alive = (await workers(ctx)).alive
    if require_worker and not alive:
        raise NoWorkerError(heartbeat.no_worker_message(title))
    queued = await enqueue(await queue.client(), ctx.sessions, cid, triggered_by)
    return JobRequested(
        job_id=queued.workflow_id, joined=queued.joined, title=title, connection_id=cid, worker_alive=alive
    )
