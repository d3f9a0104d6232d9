"""`smartap-erp reconcile ...` in subprocesses on SQLite against a QuickBooks simulator on loopback:
`run --inline` reconciles in its own process and prints the report (JSON for scripts, tables for
people); `run` queues the job a real worker runs (`smartap.reconcile`) and shows the report it wrote;
`list` and `show` read them back; an unknown report exits 2 naming it."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from erpsim.core.testing import LiveServer
from tests.jobs.conftest import Jobs, jobs  # noqa: F401 - fixture: CLI and worker processes on SQLite
from tests.jobs.real import add_qbo_connection, use_real_engine
from tests.jobs.test_real_engine import serve_qbo


@pytest.fixture
def qbo() -> Iterator[LiveServer]:
    yield from serve_qbo(vendors=5, purchase_orders=2, bills=2)


def test_inline_then_queued_run_list_and_show(jobs: Jobs, qbo: LiveServer) -> None:  # noqa: F811
    real = use_real_engine(jobs)
    add_qbo_connection(real, qbo)

    inline = real.cli("reconcile", "run", "qb", "--inline", "--json")
    assert inline.returncode == 0, inline.stderr
    report = json.loads(inline.stdout)
    assert (report["status"], report["connection_name"], report["triggered_by"]) == ("completed", "qb", "cli")
    assert report["objects"]["vendors"]["erp"]["count"] == 5  # none imported: all missing in SmartAP
    assert report["difference_count"] == 7 and report["request_count"] == 7

    people = real.cli("reconcile", "show", report["id"])
    assert people.returncode == 0, people.stderr
    assert "missing in smartap" in people.stdout and "7 difference(s); 7 of 400 ERP requests" in people.stdout
    assert "purchase orders" in people.stdout and "ERP only" in people.stdout

    real.ready_worker()
    queued = real.cli("reconcile", "run", "qb", "--json", timeout=120)
    assert queued.returncode == 0, queued.stderr
    second = json.loads(queued.stdout)
    assert second["id"] != report["id"] and second["job_id"] and second["difference_count"] == 7

    listed = json.loads(real.cli("reconcile", "list", "qb", "--json").stdout)
    assert [r["id"] for r in listed] == [second["id"], report["id"]]
    missing = real.cli("reconcile", "show", "00000000-0000-0000-0000-000000000000")
    assert missing.returncode == 2 and "no reconciliation report" in missing.stderr
