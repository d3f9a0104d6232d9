"""The job layer on the REAL sync engine (ERPSyncService), not tests/jobs/fakes.py: worker subprocesses
against a QuickBooks simulator served on loopback. A worker SIGKILLed in the middle of a 5,000-vendor
import, or after QuickBooks created a bill but before the mapping was stored, is restarted under the
same worker id and finishes with every record present once; and the CLI end to end (`sync vendors`,
`export`, `payments sync` with `--json`, an unknown connection giving exit 2 and one line)."""

from __future__ import annotations

import json
import signal
from collections.abc import Iterator

import httpx
import pytest

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

    # QuickBooks pages hold 1000 vendors (MAXRESULTS cap, facts §1.3): killed after the 3rd page.
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
    real.worker()  # runs until teardown kills it

    synced = real.cli("sync", "vendors", "qb", "--wait", "--json")
    assert synced.returncode == 0, synced.stderr
    result = json.loads(synced.stdout)
    assert result["status"] == "SUCCESS" and not result["joined"]
    vendor = result["results.vendor"]
    assert (vendor["status"], vendor["total_count"], vendor["created_count"], vendor["error_count"]) == (
        "completed",
        6,
        6,
        0,
    )
    assert vendor_counts(real, cid) == (6, 6, 6)

    approve_invoices(real, cid)
    exported = real.cli("export", "--connection", cid, "--json")
    assert exported.returncode == 0, exported.stderr
    outcome = json.loads(exported.stdout)
    assert (outcome["status"], outcome["invoices"], outcome["exported"], outcome["failed"]) == (
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
    payments = json.loads(paid.stdout)
    assert (payments["status"], payments["total_count"], payments["updated_count"]) == ("SUCCESS", 4, 1)
    assert payments["result_status"] == "completed"
    assert payments["error_count"] == 0
    assert (
        scalar_text(real, "SELECT payment_status FROM erp_invoice_mappings WHERE erp_invoice_id = ?", bill)
        == "paid"
    )

    unknown = real.cli("export", "--connection", "no-such-connection", "--json")
    assert unknown.returncode == 2
    assert unknown.stderr.strip().count("\n") == 0 and "no-such-connection" in unknown.stderr
