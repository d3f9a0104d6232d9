"""The DBOS workflows: sync a connection (one step per entity), export invoices (one step per batch
of invoice ids), sync payment statuses (one step). Steps return small summaries; inputs are ids and
cursors (ISO datetimes), never credentials or records.

Retries: a failed step is retried up to `ERP_MAX_SYNC_RETRIES` times with exponential backoff slept
durably (`DBOS.sleep_async`, so a restart keeps the schedule); an authentication failure, or a
connection already in `error`, is not retried: the connection waits for a person, and the workflow
ends in ERROR, which `smartap-erp sync retry WORKFLOW_ID` can queue again.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from dbos import DBOS
from sqlalchemy import select

from smartap_erp.db.errors import describe_exception
from smartap_erp.db.models import ERPConnection, ERPInvoiceMapping, ERPVendorMapping, Invoice
from smartap_erp.domain.enums import ConnectionStatus, InvoiceStatus
from smartap_erp.errors import ERPAuthError
from smartap_erp.jobs import requests
from smartap_erp.jobs.operations import Summary, environment

SYNC_WORKFLOW = "smartap.sync_connection"
EXPORT_WORKFLOW = "smartap.export_invoices"
PAYMENTS_WORKFLOW = "smartap.sync_payment_statuses"
PROGRESS_EVENT = "progress"
ENTITIES = ("vendor", "purchase_order")


class JobFailedError(Exception):
    """A job gave up: after its retries, or at once on an authentication failure."""


async def _guarded(connection_id: str, run: Callable[[uuid.UUID], Awaitable[Summary]]) -> Summary:
    """Run one operation; turn its failure into a small outcome saying whether to retry."""
    cid = uuid.UUID(connection_id)
    async with environment().sessions() as session:
        connection = await session.get(ERPConnection, cid)
        if connection is None:
            return {"ok": False, "retry": False, "error": f"connection {connection_id} no longer exists"}
        if connection.status == ConnectionStatus.ERROR:
            return {
                "ok": False,
                "retry": False,
                "error": f"connection in error: {connection.connection_error}",
            }
    try:
        return {"ok": True, **await run(cid)}
    except ERPAuthError as exc:
        return {"ok": False, "retry": False, "error": str(exc)}
    except Exception as exc:  # transient or unknown: retried, then reported with its message
        return {"ok": False, "retry": True, "error": describe_exception(exc)}  # never SQL or parameters


async def _with_retries(run: Callable[[], Awaitable[Summary]]) -> Summary:
    env = environment()
    retries = env.settings.erp_max_sync_retries
    outcome: Summary = {}
    for attempt in range(retries + 1):
        outcome = await run()
        if outcome["ok"] or not outcome.get("retry") or attempt == retries:
            break
        await DBOS.sleep_async(env.options.retry_base_seconds * 2**attempt)
    if not outcome["ok"]:
        raise JobFailedError(str(outcome["error"]))
    return outcome


@DBOS.step(name="smartap.release_request")
async def release_request(workflow_id: str) -> int:
    return await requests.release(environment().sessions, workflow_id)


@DBOS.step(name="smartap.import_entity")
async def import_entity(
    connection_id: str, entity: str, since: str | None, limit: int | None, by: str
) -> Summary:
    since_at = dt.datetime.fromisoformat(since) if since else None
    ops = environment().operations
    return await _guarded(connection_id, lambda cid: ops.import_entity(cid, entity, since_at, limit, by))


@DBOS.workflow(name=SYNC_WORKFLOW)
async def sync_connection(
    connection_id: str, entities: list[str], since: str | None, limit: int | None, triggered_by: str
) -> Summary:
    await release_request(DBOS.workflow_id or "")
    results: Summary = {}
    for entity in entities:
        results[entity] = await _with_retries(
            lambda entity=entity: import_entity(connection_id, entity, since, limit, triggered_by)  # type: ignore[misc]
        )
        await DBOS.set_event_async(PROGRESS_EVENT, {"done": list(results), "total": len(entities)})
    return {"connection_id": connection_id, "results": results}


@DBOS.step(name="smartap.pending_export_ids")
async def pending_export_ids(connection_id: str) -> list[str]:
    """Approved invoices of this connection's mapped vendors without a bill in this ERP yet."""
    cid = uuid.UUID(connection_id)
    async with environment().sessions() as session:
        mapped_vendors = select(ERPVendorMapping.smartap_vendor_id).where(
            ERPVendorMapping.connection_id == cid
        )
        exported = select(ERPInvoiceMapping.smartap_invoice_id).where(ERPInvoiceMapping.connection_id == cid)
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


@DBOS.workflow(name=EXPORT_WORKFLOW)
async def export_invoices(connection_id: str, invoice_ids: list[str] | None, triggered_by: str) -> Summary:
    await release_request(DBOS.workflow_id or "")
    ids = invoice_ids if invoice_ids is not None else await pending_export_ids(connection_id)
    size = environment().settings.erp_sync_batch_size
    batches = [ids[i : i + size] for i in range(0, len(ids), size)]
    totals: dict[str, int] = {"batches": len(batches), "invoices": len(ids), "exported": 0, "failed": 0}
    for number, batch in enumerate(batches, 1):
        outcome = await _with_retries(
            lambda batch=batch: export_batch(connection_id, batch, triggered_by)  # type: ignore[misc]
        )
        totals["exported"] += int(outcome.get("success_count", 0))
        totals["failed"] += int(outcome.get("error_count", 0))
        await DBOS.set_event_async(PROGRESS_EVENT, {"done": number, "total": len(batches)})
    return {"connection_id": connection_id, **totals}


@DBOS.step(name="smartap.payment_statuses")
async def payment_statuses(connection_id: str, by: str) -> Summary:
    ops = environment().operations
    return await _guarded(connection_id, lambda cid: ops.sync_payment_statuses(cid, by))


@DBOS.workflow(name=PAYMENTS_WORKFLOW)
async def sync_payment_statuses(connection_id: str, triggered_by: str) -> Summary:
    await release_request(DBOS.workflow_id or "")
    outcome = await _with_retries(lambda: payment_statuses(connection_id, triggered_by))
    return {"connection_id": connection_id, **{k: v for k, v in outcome.items() if k != "ok"}}


WORKFLOWS: dict[str, Any] = {
    SYNC_WORKFLOW: sync_connection,
    EXPORT_WORKFLOW: export_invoices,
    PAYMENTS_WORKFLOW: sync_payment_statuses,
}
