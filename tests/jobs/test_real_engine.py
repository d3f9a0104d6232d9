"""The job layer on the REAL sync engine (ERPSyncService), not tests/jobs/fakes.py: worker subprocesses
against a QuickBooks simulator served on loopback. A worker SIGKILLed in the middle of a 5,000-vendor
import, or after QuickBooks created a bill but before the mapping was stored, is restarted under the
same worker id and finishes with every record present once; and the CLI end to end (`sync vendors`,
`export`, `payments sync` with `--json`, an unknown connection giving exit 2 and one line)."""

from __future__ import annotations

import json
import signal
import uuid
from collections.abc import Iterator

import httpx
import pytest
from dbos import DBOSClient

from erpsim.core import Clock, SimConfig
from erpsim.core.testing import LiveServer, live_server
from erpsim.quickbooks import create_app
from tests.jobs.conftest import Jobs
from tests.jobs.real import (
    add_qbo_connection,
    approve_invoices,
    job_status,
    queue,
    run_until_idle,
    scalar,
    scalar_text,
    sim_state,
    use_real_engine,
    uuid_param,
    wait_exit,
)

KILLED = -signal.SIGKILL


def serve_qbo(vendors: int, purchase_orders: int, bills: int) -> Iterator[LiveServer]:
    config = SimConfig(clock=Clock.real(), vendors=vendors, purchase_orders=purchase_orders, bills=bills)
    app = create_app(config)
    with live_server(app) as server:
        yield server


@pytest.fixture
def real(jobs: Jobs) -> Jobs:
    return use_real_engine(jobs)


@pytest.fixture
def big_qbo() -> Iterator[LiveServer]:
    yield from serve_qbo(vendors=5000, purchase_orders=0, bills=0)


@pytest.fixture
def qbo() -> Iterator[LiveServer]:
    yield from serve_qbo(vendors=6, purchase_orders=3, bills=0)


def vendor_counts(jobs: Jobs, cid: str) -> tuple[int, int, int]:
    """(SmartAP vendors, vendor mappings of the connection, distinct ERP vendor ids mapped)."""
    key = uuid_param(cid)
    return (
        scalar(jobs, "SELECT count(*) FROM vendors"),
        scalar(jobs, "SELECT count(*) FROM erp_vendor_mappings WHERE connection_id = ?", key),
        scalar(
            jobs, "SELECT count(DISTINCT erp_vendor_id) FROM erp_vendor_mappings WHERE connection_id = ?", key
        ),
    )


def test_worker_killed_mid_import_of_5000_vendors_resumes_with_each_vendor_once(
    real: Jobs, big_qbo: LiveServer
) -> None:
    cid = add_qbo_connection(real, big_qbo)
    workflow_id = queue(real, "sync", "vendors", "qb")

    # QuickBooks pages hold 1000 vendors (MAXRESULTS cap, quickbooks.md §Query language): killed after the 3rd
    # page.
    code, output = wait_exit(real.worker(SMARTAP_WORKER_ID="w1", SMARTAP_JOBS_TEST_KILL_AT="iter_vendors:3"))
    assert code == KILLED, output
    vendors, mappings, _ = vendor_counts(real, cid)
    assert 0 < vendors < 5000 and vendors == mappings  # cut short in the middle, pages committed whole
    assert job_status(real, workflow_id)["status"] == "PENDING"

    run_until_idle(real, SMARTAP_WORKER_ID="w1")  # same id: recovers the job left PENDING
    assert vendor_counts(real, cid) == (5000, 5000, 5000)
    assert sim_state(big_qbo)["entities"]["Vendor"] == 5000
    status = job_status(real, workflow_id)
    assert status["status"] == "SUCCESS", status
    vendor = status["result"]["results"]["vendor"]
    assert vendor["ok"] is True and vendor["status"] == "completed", vendor
    assert scalar(real, "SELECT count(*) FROM erp_sync_logs WHERE status = 'completed'") >= 1
    # One run, one log: the recovered step carried on with the log the killed attempt opened.
    assert scalar(real, "SELECT count(*) FROM erp_sync_logs WHERE status = 'in_progress'") == 0
    assert scalar(real, "SELECT count(*) FROM erp_sync_logs WHERE entity_type = 'vendor'") == 1
    assert scalar_text(real, "SELECT workflow_id FROM erp_sync_logs") == workflow_id
    assert '"resumed": 1' in scalar_text(real, "SELECT sync_params FROM erp_sync_logs")


def test_worker_killed_after_bill_created_before_mapping_leaves_one_bill(real: Jobs, qbo: LiveServer) -> None:
    cid = add_qbo_connection(real, qbo)
    queue(real, "sync", "vendors", "qb")
    run_until_idle(real)
    invoice_ids = approve_invoices(real, cid)
    assert len(invoice_ids) == 4
    workflow_id = queue(real, "export", "--connection", "qb")

    # The hook fires once QuickBooks answered the create call: the bills exist, no mapping yet.
    code, output = wait_exit(real.worker(SMARTAP_JOBS_TEST_KILL_AT="export_invoices:1"))
    assert code == KILLED, output
    assert sim_state(qbo)["entities"]["Bill"] == len(invoice_ids)
    assert scalar(real, "SELECT count(*) FROM erp_invoice_mappings") == 0

    run_until_idle(real)
    assert sim_state(qbo)["entities"]["Bill"] == len(invoice_ids)  # the retry created none
    key = uuid_param(cid)
    assert scalar(real, "SELECT count(*) FROM erp_invoice_mappings WHERE connection_id = ?", key) == 4
    assert (
        scalar(
            real,
            "SELECT count(DISTINCT smartap_invoice_id) FROM erp_invoice_mappings WHERE connection_id = ?",
            key,
        )
        == 4
    )
    assert (
        scalar(
            real,
            "SELECT count(DISTINCT erp_invoice_id) FROM erp_invoice_mappings WHERE connection_id = ?",
            key,
        )
        == 4
    )
    status = job_status(real, workflow_id)
    assert status["status"] == "SUCCESS", status
    assert status["result"]["exported"] == 4 and status["result"]["failed"] == 0


def test_cli_end_to_end_with_a_worker(real: Jobs, qbo: LiveServer) -> None:
    cid = add_qbo_connection(real, qbo)
    real.ready_worker()  # runs until teardown kills it

    synced = real.cli("sync", "vendors", "qb", "--wait", "--json")
    assert synced.returncode == 0, synced.stderr
    result = json.loads(synced.stdout)
    assert (result["status"], result["outcome"], result["joined"]) == ("SUCCESS", "completed", False)
    vendor = result["result"]["results"]["vendor"]  # nested, as `sync status` shows it
    assert (vendor["status"], vendor["total_count"], vendor["created_count"], vendor["error_count"]) == (
        "completed",
        6,
        6,
        0,
    )
    assert vendor_counts(real, cid) == (6, 6, 6)

    shown = json.loads(real.cli("sync", "status", result["workflow_id"], "--json").stdout)
    assert {k: v for k, v in result.items() if k != "joined"} == shown  # one shape

    approve_invoices(real, cid)
    exported = real.cli("export", "--connection", cid, "--json")
    assert exported.returncode == 0, exported.stderr
    outcome = json.loads(exported.stdout)
    totals = outcome["result"]
    assert (outcome["status"], totals["invoices"], totals["exported"], totals["failed"]) == (
        "SUCCESS",
        4,
        4,
        0,
    )
    assert sim_state(qbo)["entities"]["Bill"] == 4

    bill = scalar_text(real, "SELECT erp_invoice_id FROM erp_invoice_mappings ORDER BY erp_invoice_id")
    paid_in_erp = httpx.post(
        f"{qbo.base_url}/_sim/mutate", json={"op": "pay_bill", "bill_id": bill}, timeout=30
    )
    assert paid_in_erp.status_code == 200, paid_in_erp.text
    paid = real.cli("payments", "sync", "--connection", "qb", "--json")
    assert paid.returncode == 0, paid.stderr
    shown = json.loads(paid.stdout)
    payments = shown["result"]
    assert (shown["status"], payments["total_count"], payments["updated_count"]) == ("SUCCESS", 4, 1)
    assert (shown["outcome"], payments["status"], payments["error_count"]) == ("completed", "completed", 0)
    assert (
        scalar_text(real, "SELECT payment_status FROM erp_invoice_mappings WHERE erp_invoice_id = ?", bill)
        == "paid"
    )

    unknown = real.cli("export", "--connection", "no-such-connection", "--json")
    assert unknown.returncode == 2
    assert unknown.stderr.strip().count("\n") == 0 and "no-such-connection" in unknown.stderr


def test_export_with_a_failed_invoice_says_which_and_why_and_exits_1(real: Jobs, qbo: LiveServer) -> None:
    cid = add_qbo_connection(real, qbo)
    queue(real, "sync", "vendors", "qb")
    run_until_idle(real)
    approve_invoices(real, cid, account="no-such-account", prefix="BAD")  # cannot become bills
    approve_invoices(real, cid)
    real.ready_worker()

    exported = real.cli("export", "--connection", "qb", "--json")
    assert exported.returncode == 1, exported.stderr
    shown = json.loads(exported.stdout)
    assert (shown["status"], shown["outcome"]) == ("SUCCESS", "partial")
    assert (shown["result"]["exported"], shown["result"]["failed"]) == (4, 4)
    error = exported.stderr.strip().splitlines()[-1]
    assert error.startswith("error: export to qb partial") and "4 of 8 invoices failed" in error, error
    assert "BAD-" in error and "no-such-account" in error and "sync log" in error, error
    assert sim_state(qbo)["entities"]["Bill"] == 4


def test_a_failed_job_is_one_worker_log_line_naming_its_sync_log(real: Jobs) -> None:
    with live_server(create_app(SimConfig(clock=Clock.real(), vendors=1))) as gone:
        add_qbo_connection(real, gone)
    workflow_id = queue(real, "sync", "vendors", "qb")  # its ERP no longer answers
    code, output = wait_exit(real.worker("--exit-when-idle", ERP_MAX_SYNC_RETRIES="0"))
    assert code == 0, output
    assert job_status(real, workflow_id)["status"] == "ERROR"
    assert "Traceback" not in output, output
    (line,) = [line for line in output.splitlines() if "gave up" in line]
    log_id = scalar_text(real, "SELECT id FROM erp_sync_logs")
    assert f"sync log {uuid.UUID(log_id)}" in line and workflow_id in line, line
    assert scalar_text(real, "SELECT status FROM erp_sync_logs") == "failed"


def test_a_killed_run_whose_job_is_gone_has_its_log_closed_at_worker_start(real: Jobs) -> None:
    with live_server(create_app(SimConfig(clock=Clock.real(), vendors=1500))) as server:
        add_qbo_connection(real, server)
        workflow_id = queue(real, "sync", "vendors", "qb")
        code, output = wait_exit(real.worker(SMARTAP_JOBS_TEST_KILL_AT="iter_vendors:1"))
        assert code == KILLED, output
    assert scalar_text(real, "SELECT status FROM erp_sync_logs") == "in_progress"
    client = DBOSClient(system_database_url=f"sqlite:///{real.tmp / 'dbos.sqlite'}")
    try:
        client.cancel_workflow(workflow_id)  # e.g. an operator cancelled it: nobody will resume it
    finally:
        client.destroy()

    assert job_status(real, workflow_id)["status"] == "CANCELLED"
    code, output = wait_exit(real.worker("--exit-when-idle", SMARTAP_WORKER_ID="another"))
    assert code == 0, output
    assert scalar_text(real, "SELECT status FROM erp_sync_logs") == "failed", output
    reason = scalar_text(real, "SELECT error_message FROM erp_sync_logs")
    assert reason.startswith("interrupted:") and workflow_id in reason and "CANCELLED" in reason, reason
