"""Reconciliation as a job (issue 16, item 6): the DBOS workflow `smartap.reconcile` runs one report of
a connection (`app.reconciliation.run_report`) in one step, under the connection's lease like every
other job (so it never compares a half-written sync), retried on a transient failure as syncs are;
`enqueue` queues it through the `JobClient` (an identical request already queued is joined). The daily
schedule (`jobs.schedules`, kind `reconcile`, one slot per UTC day) queues it with `raise_drift`, so a
report that finds differences records a `reconciliation.drift` event.
"""

from __future__ import annotations

import uuid

from dbos import DBOS
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from smartap_erp.jobs import requests
from smartap_erp.jobs.client import JobClient, Queued
from smartap_erp.jobs.operations import Summary, environment
from smartap_erp.jobs.workflows import DurableRunner, _guarded, _leased, _with_retries, release_request

RECONCILE_WORKFLOW = "smartap.reconcile"
RECONCILE_MINUTES = 24 * 60  # the schedule's interval: once a (UTC) day


def request_key() -> str:
    return requests.request_key("reconcile")


@DBOS.step(name="smartap.reconcile_report")
async def reconcile_step(connection_id: str, by: str, raise_drift: bool) -> Summary:
    from smartap_erp.app.reconciliation import run_report

    async def run(cid: uuid.UUID) -> Summary:
        report_id = await run_report(
            environment().sync_context,
            cid,
            triggered_by=by,
            job_id=DBOS.workflow_id,
            raise_drift=raise_drift,
        )
        return {"report_id": str(report_id)}

    return await _guarded(connection_id, run)


async def run_reconcile(connection_id: str, triggered_by: str, raise_drift: bool) -> Summary:
    outcome = await _with_retries(
        DurableRunner(),
        f"reconciliation of connection {connection_id}",
        lambda: reconcile_step(connection_id, triggered_by, raise_drift),
    )
    return {"connection_id": connection_id, **{k: v for k, v in outcome.items() if k != "ok"}}


@DBOS.workflow(name=RECONCILE_WORKFLOW)
async def reconcile(connection_id: str, triggered_by: str, raise_drift: bool = False) -> Summary:
    await release_request(DBOS.workflow_id or "")
    return await _leased(connection_id, run_reconcile(connection_id, triggered_by, raise_drift))


async def enqueue(
    client: JobClient, sessions: async_sessionmaker[AsyncSession], connection_id: uuid.UUID, by: str
) -> Queued:
    return await client._queue(
        sessions, connection_id, RECONCILE_WORKFLOW, request_key(), (str(connection_id), by, False)
    )
