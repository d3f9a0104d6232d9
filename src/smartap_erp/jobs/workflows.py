"""The DBOS workflows: sync a connection (one step per entity), export invoices (one step per batch
of invoice ids), sync payment statuses (one step). Steps return small summaries; inputs are ids and
cursors (ISO datetimes), never credentials or records.

Each workflow's body (`run_sync`, `run_export`, `run_payments`) takes a `Runner`: inside a worker it
is DBOS (durable sleeps, progress events), and `smartap-erp sync ... --inline` runs the very same body
and steps in its own process with `InlineRunner` (DBOS steps called outside a workflow are plain
calls). Retries: a failed step is retried up to `ERP_MAX_SYNC_RETRIES` times with exponential backoff;
an authentication failure, a connection already in `error`, or a demo connection whose demo has
stopped is not retried. One run per connection at a time, whatever started it: each step first claims
the connection's lease (`jobs.lease`), kept alive while the job runs and released when it ends; a
step that finds another live run holding it waits (bounded, not counted as a failed attempt) and
looks again. A job that gives up ends in ERROR with one log line naming its sync log, and
`smartap-erp sync retry WORKFLOW_ID` can queue it again.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from dbos import DBOS
from sqlalchemy import select

from smartap_erp.db.models import ERPConnection, ERPInvoiceLink, ERPVendorLink, Invoice
from smartap_erp.domain.enums import ConnectionStatus, InvoiceStatus
from smartap_erp.errors import ERPAuthError
from smartap_erp.http.redact import get_logger
from smartap_erp.jobs import heartbeat, lease, requests
from smartap_erp.jobs.config import EXPORT_WORKFLOW as EXPORT_WORKFLOW  # the names, re-exported
from smartap_erp.jobs.config import PAYMENTS_WORKFLOW as PAYMENTS_WORKFLOW
from smartap_erp.jobs.config import PROGRESS_EVENT as PROGRESS_EVENT
from smartap_erp.jobs.config import SYNC_WORKFLOW as SYNC_WORKFLOW
from smartap_erp.jobs.operations import Summary, environment
from smartap_erp.sync import logs
from smartap_erp.sync.export.run import connection_step_size

ENTITIES = ("vendor", "purchase_order")
MAX_ERRORS_KEPT = 10  # record errors carried in a job's output (the sync log keeps them all)

log = get_logger(__name__)


class JobFailedError(Exception):
    """A job gave up: after its retries, or at once on an authentication failure."""


class Runner(Protocol):
    """Where a job body runs: durable sleeps and progress events in a worker, plain ones inline."""

    @property
    def job_id(self) -> str: ...

    async def sleep(self, seconds: float) -> None: ...

    async def progress(self, value: dict[str, Any]) -> None: ...


class DurableRunner:
    @property
    def job_id(self) -> str:
        return DBOS.workflow_id or "?"

    async def sleep(self, seconds: float) -> None:
        await DBOS.sleep_async(seconds)

    async def progress(self, value: dict[str, Any]) -> None:
        await DBOS.set_event_async(PROGRESS_EVENT, value)


class InlineRunner:
    """Runs a job in this process (`--inline`): real sleeps, progress to a callback."""

    def __init__(self, on_progress: Callable[[dict[str, Any]], None] | None = None) -> None:
        self._on_progress = on_progress

    @property
    def job_id(self) -> str:
        return "inline"

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)

    async def progress(self, value: dict[str, Any]) -> None:
        if self._on_progress is not None:
            self._on_progress(value)


async def _refusal(connection_id: str) -> str | None:
    """Why this connection must not be synced now (and not retried), or None."""
    env = environment()
    async with env.sessions() as session:
        connection = await session.get(ERPConnection, uuid.UUID(connection_id))
        if connection is None:
            return f"connection {connection_id} no longer exists"
        if connection.status == ConnectionStatus.ERROR:
            return f"connection in error: {connection.connection_error}"
        if connection.is_demo:
            alive = await heartbeat.alive_ids(env.sessions, now=dt.datetime.now(dt.UTC))
            if connection.demo_worker_id not in alive:
                return (
                    f"demo connection {connection.name!r}: its simulators stopped with the demo that "
                    "made it (run `smartap-erp demo` again for fresh ones)"
                )
    return None


def _holder() -> str:
    """Who runs this: the job (the same after a crash and its recovery), else this process."""
    workflow_id = DBOS.workflow_id
    return lease.job_holder(workflow_id) if workflow_id else logs.this_process()


async def _guarded(connection_id: str, run: Callable[[uuid.UUID], Awaitable[Summary]]) -> Summary:
    """Run one operation under the connection's lease; turn its failure into a small outcome saying
    whether to retry, or that another run holds the connection (`busy`: wait, then try again)."""
    refused = await _refusal(connection_id)
    if refused is not None:
        return {"ok": False, "retry": False, "error": refused}
    environment().refresh_keys()  # a `keys rotate` since the last job must not break this one
    cid, now = uuid.UUID(connection_id), lease.utcnow()
    with logs.running_in(DBOS.workflow_id) as started:
        try:
            await lease.claim(environment().sessions, cid, _holder(), now=now)
            return {"ok": True, **await run(cid)}
        except lease.ConnectionBusyError as exc:
            return {"ok": False, "retry": False, "busy": True, "error": str(exc)}
        except ERPAuthError as exc:
            outcome: Summary = {"ok": False, "retry": False, "error": str(exc)}
        except Exception as exc:  # transient or unknown: retried, then reported with its message
            outcome = {"ok": False, "retry": True, "error": f"{type(exc).__name__}: {exc}"}
    return {**outcome, "log_id": str(started[-1]) if started else None}


def _where(outcome: Summary) -> str:
    return f", sync log {outcome['log_id']}" if outcome.get("log_id") else ""


async def _with_retries(runner: Runner, what: str, run: Callable[[], Awaitable[Summary]]) -> Summary:
    env = environment()
    retries = env.settings.erp_max_sync_retries
    outcome: Summary = {}
    attempt = polls = 0
    waited = 0.0
    while True:
        outcome = await run()
        if outcome.get("busy") and waited < lease.BUSY_WAIT_MAX.total_seconds():
            delay = lease.busy_delay(env.options.retry_base_seconds, polls)
            if polls == 0:
                log.warning("job %s: %s waits: %s", runner.job_id, what, outcome["error"])
            await runner.sleep(delay)  # a busy connection is not a failed attempt
            polls, waited = polls + 1, waited + delay
            continue
        if outcome["ok"] or not outcome.get("retry") or attempt == retries:
            break
        delay = env.options.retry_base_seconds * 2**attempt
        log.warning(
            "job %s: %s failed (attempt %d of %d%s): %s; retrying in %g s",
            runner.job_id,
            what,
            attempt + 1,
            retries + 1,
            _where(outcome),
            outcome["error"],
            delay,
        )
        await runner.sleep(delay)
        attempt += 1
    if not outcome["ok"]:
        log.warning("job %s: %s gave up%s: %s", runner.job_id, what, _where(outcome), outcome["error"])
        raise JobFailedError(str(outcome["error"]))
    return outcome


@DBOS.step(name="smartap.release_lease")
async def release_lease(connection_id: str) -> bool:
    return await lease.release(environment().sessions, uuid.UUID(connection_id), _holder())


async def _leased(connection_id: str, body: Awaitable[Summary]) -> Summary:
    """Run a job's body with the connection's lease (claimed by its steps) renewed meanwhile, and
    released when it ends, also on failure (a job killed outright leaves it to expire)."""
    sessions = environment().sessions
    async with lease.kept(sessions, uuid.UUID(connection_id), _holder()):
        try:
            result = await body
        except Exception:
            await release_lease(connection_id)
            raise
    await release_lease(connection_id)
    return result


@DBOS.step(name="smartap.release_request")
async def release_request(workflow_id: str) -> int:
    return await requests.release(environment().sessions, workflow_id)


@DBOS.step(name="smartap.import_entity")
async def import_entity(
    connection_id: str, entity: str, since: str | None, limit: int | None, by: str, full: bool = False
) -> Summary:
    since_at = dt.datetime.fromisoformat(since) if since else None
    ops = environment().operations
    return await _guarded(
        connection_id, lambda cid: ops.import_entity(cid, entity, since_at, limit, by, full=full)
    )


async def run_sync(
    runner: Runner,
    connection_id: str,
    entities: list[str],
    since: str | None,
    limit: int | None,
    triggered_by: str,
    full: bool = False,
) -> Summary:
    results: Summary = {}
    for entity in entities:
        results[entity] = await _with_retries(
            runner,
            f"import of {entity} for connection {connection_id}",
            lambda entity=entity: import_entity(connection_id, entity, since, limit, triggered_by, full),  # type: ignore[misc]
        )
        await runner.progress({"done": list(results), "total": len(entities)})
    return {"connection_id": connection_id, "results": results}


@DBOS.workflow(name=SYNC_WORKFLOW)
async def sync_connection(
    connection_id: str,
    entities: list[str],
    since: str | None,
    limit: int | None,
    triggered_by: str,
    full: bool = False,
) -> Summary:
    await release_request(DBOS.workflow_id or "")
    body = run_sync(DurableRunner(), connection_id, entities, since, limit, triggered_by, full)
    return await _leased(connection_id, body)


@DBOS.step(name="smartap.pending_export_ids")
async def pending_export_ids(connection_id: str) -> list[str]:
    """Approved invoices of this connection's mapped vendors without a bill in this ERP yet."""
    cid = uuid.UUID(connection_id)
    async with environment().sessions() as session:
        mapped_vendors = select(ERPVendorLink.smartap_vendor_id).where(ERPVendorLink.connection_id == cid)
        exported = select(ERPInvoiceLink.smartap_invoice_id).where(ERPInvoiceLink.connection_id == cid)
        rows = await session.scalars(
            select(Invoice.id)
            .where(
                Invoice.status == InvoiceStatus.APPROVED,
                Invoice.vendor_id.in_(mapped_vendors),
                Invoice.id.not_in(exported),
            )
            .order_by(Invoice.id)
        )
        return [str(i) for i in rows]


@DBOS.step(name="smartap.export_batch")
async def export_batch(connection_id: str, invoice_ids: list[str], by: str) -> Summary:
    ids = [uuid.UUID(i) for i in invoice_ids]
    ops = environment().operations
    return await _guarded(connection_id, lambda cid: ops.export_invoices(cid, ids, by))


async def run_export(
    runner: Runner, connection_id: str, invoice_ids: list[str] | None, triggered_by: str
) -> Summary:
    ids = invoice_ids if invoice_ids is not None else await pending_export_ids(connection_id)
    env = environment()
    # Steps as the export run sizes them (QuickBooks: one look-up request per step); the connection's
    # ERP never changes, so a recovered workflow cuts the same steps.
    size = await connection_step_size(
        env.sessions, uuid.UUID(connection_id), env.settings.erp_sync_batch_size
    )
    batches = [ids[i : i + size] for i in range(0, len(ids), size)]
    totals: Summary = {"batches": len(batches), "invoices": len(ids), "exported": 0, "failed": 0}
    errors: list[str] = []
    log_ids: list[str] = []
    for number, batch in enumerate(batches, 1):
        outcome = await _with_retries(
            runner,
            f"export batch {number} of {len(batches)} for connection {connection_id}",
            lambda batch=batch: export_batch(connection_id, batch, triggered_by),  # type: ignore[misc]
        )
        totals["exported"] += int(outcome.get("success_count", 0))
        totals["failed"] += int(outcome.get("error_count", 0))
        errors.extend(outcome.get("errors") or [])
        log_ids.extend([outcome["log_id"]] if outcome.get("log_id") else [])
        await runner.progress({"done": number, "total": len(batches)})
    status = logs.outcome_status(totals["invoices"], totals["failed"]).value
    return {
        "connection_id": connection_id,
        "status": status,
        **totals,
        "errors": errors[:MAX_ERRORS_KEPT],
        "log_ids": log_ids,
    }


@DBOS.workflow(name=EXPORT_WORKFLOW)
async def export_invoices(connection_id: str, invoice_ids: list[str] | None, triggered_by: str) -> Summary:
    await release_request(DBOS.workflow_id or "")
    return await _leased(connection_id, run_export(DurableRunner(), connection_id, invoice_ids, triggered_by))


@DBOS.step(name="smartap.payment_statuses")
async def payment_statuses(connection_id: str, by: str) -> Summary:
    ops = environment().operations
    return await _guarded(connection_id, lambda cid: ops.sync_payment_statuses(cid, by))


async def run_payments(runner: Runner, connection_id: str, triggered_by: str) -> Summary:
    outcome = await _with_retries(
        runner,
        f"payment-status sync for connection {connection_id}",
        lambda: payment_statuses(connection_id, triggered_by),
    )
    return {"connection_id": connection_id, **{k: v for k, v in outcome.items() if k != "ok"}}


@DBOS.workflow(name=PAYMENTS_WORKFLOW)
async def sync_payment_statuses(connection_id: str, triggered_by: str) -> Summary:
    await release_request(DBOS.workflow_id or "")
    return await _leased(connection_id, run_payments(DurableRunner(), connection_id, triggered_by))


WORKFLOWS: dict[str, Any] = {
    SYNC_WORKFLOW: sync_connection,
    EXPORT_WORKFLOW: export_invoices,
    PAYMENTS_WORKFLOW: sync_payment_statuses,
}
