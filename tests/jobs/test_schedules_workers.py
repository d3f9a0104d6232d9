"""Schedules with two live workers: a connection due every (shortened) minute is synced once per
interval, not once per worker, and so are its payment statuses (issue 9, "schedules"). Each scheduled
run is told apart by its workflow id, which names its interval (`sched-KIND-CONNECTION-SLOT`), not by
when it started: on a loaded machine a run may start intervals late, next to the following one."""

from __future__ import annotations

import json
import time

from tests.jobs.conftest import CREDENTIALS, Jobs

MINUTE_SECONDS = 2  # one schedule "minute" lasts 2 s here (SMARTAP_JOBS_MINUTE_SECONDS)


def test_two_workers_run_each_scheduled_interval_once(jobs: Jobs) -> None:
    creds = jobs.tmp / "creds.json"
    creds.write_text(json.dumps(CREDENTIALS))
    added = jobs.cli(
        "connections",
        "add",
        "--system",
        "quickbooks",
        "--name",
        "Tick",
        "--credentials-file",
        str(creds),
        "--interval-minutes",
        "1",
        "--json",
    )
    assert added.returncode == 0, added.stderr
    connection = json.loads(added.stdout)["id"]
    env = {
        "ERP_SYNC_ENABLED": "true",
        "SMARTAP_JOBS_MINUTE_SECONDS": str(MINUTE_SECONDS),
        "ERP_PAYMENT_SYNC_INTERVAL_MINUTES": "1",
    }
    jobs.worker("--worker-id", "w1", **env)
    jobs.worker("--worker-id", "w2", **env)

    deadline = time.monotonic() + 180  # generous: only a slow machine waits that long
    while time.monotonic() < deadline:  # poll for progress, bounded; the schedule does the work
        if sum(op["op"] == "payments" for op in jobs.ops()) >= 3:
            break
        time.sleep(0.2)
    jobs.kill_all()

    ops = jobs.ops()
    payments = [op["workflow"] for op in ops if op["op"] == "payments"]
    vendor_imports = [op["workflow"] for op in ops if op["op"].startswith("import:vendor")]
    assert len(payments) >= 3, ops
    # Once per interval, not once per worker: two workers would run an interval's job twice.
    for kind, workflows in (("payments", payments), ("sync", vendor_imports)):
        slots = [workflow.rsplit("-", 1) for workflow in workflows]
        assert all(prefix == f"sched-{kind}-{connection}" for prefix, _ in slots), workflows
        assert len({slot for _, slot in slots}) == len(slots), workflows
