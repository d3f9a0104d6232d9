"""Reconciliation over HTTP, SQLite and PostgreSQL: POST queues a report for the workers (202, the job,
its Location) and needs a write key; the report a worker then writes (run here as the job's step runs
it) is listed for the connection and read back whole, with its figures and differences; unknown
reports are 404."""

from __future__ import annotations

import httpx

from smartap_erp.app.reconciliation import run_report
from smartap_erp.domain import ERPSystem
from tests.api.conftest import (  # noqa: F401 - fixtures
    KeyFor,
    SimulatedApp,
    api,
    api_app,
    api_ctx,
    bearer,
    key_for,
)
from tests.sync.harness import ErpHarness

CONNECTION = "/api/v1/erp/connections/{}/reconciliation"


async def test_queue_list_and_read_a_report(
    api: httpx.AsyncClient,  # noqa: F811
    api_ctx: SimulatedApp,  # noqa: F811
    key_for: KeyFor,  # noqa: F811
) -> None:
    harness = await ErpHarness.start(
        ERPSystem.QUICKBOOKS, api_ctx.sync_context(), vendors=4, purchase_orders=2, bills=2
    )
    cid = str(harness.connection.id)
    reader = bearer(await key_for("read"))

    refused = await api.post(CONNECTION.format(cid), headers=reader)
    assert refused.status_code == 403
    queued = await api.post(CONNECTION.format(cid))
    assert queued.status_code == 202, queued.text
    job = queued.json()
    assert queued.headers["Location"] == job["status_url"] == f"/api/v1/jobs/{job['job_id']}"
    assert job["connection_id"] == cid and job["title"].startswith("reconciliation of ")
    assert (await api.get(CONNECTION.format(cid))).json() == []  # queued only: no report yet

    report_id = await run_report(
        api_ctx.sync_context(), harness.connection.id, triggered_by="api", job_id=job["job_id"]
    )

    listed = await api.get(CONNECTION.format(cid), headers=reader)
    assert listed.status_code == 200
    [summary] = listed.json()
    assert (summary["id"], summary["status"], summary["job_id"]) == (
        str(report_id),
        "completed",
        job["job_id"],
    )
    assert summary["difference_count"] == 6  # nothing imported yet: every vendor and PO missing in SmartAP
    one = await api.get(f"/api/v1/erp/reconciliation/{report_id}", headers=reader)
    assert one.status_code == 200
    body = one.json()
    assert body["objects"]["vendors"]["erp"]["count"] == 4
    assert body["objects"]["vendors"]["smartap"]["count"] == 0
    assert body["objects"]["bills"]["erp_only"] == body["objects"]["bills"]["erp"]["count"] >= 1
    assert {(d["object"], d["kind"]) for d in body["differences"]} == {
        ("vendors", "missing_in_smartap"),
        ("purchase_orders", "missing_in_smartap"),
    }
    assert body["request_count"] == 7 and body["request_budget"] >= 7
    assert (await api.get("/api/v1/erp/reconciliation/not-a-report")).status_code == 404
    assert (await api.get(f"/api/v1/erp/reconciliation/{cid}")).status_code == 404
    assert (await api.get(CONNECTION.format("no-such-connection"))).status_code == 404
