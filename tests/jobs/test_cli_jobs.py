"""`sync` / `export` / `payments sync` through `python -m smartap_erp` with the fake engine
(tests/jobs/fakes.py): refusing to wait when no worker is alive, `--inline`, `--full`, what a partial
result prints and exits, and a worker that keeps working across `keys rotate --new-key` (issue 12,
items 11 and 13 and the CLI defects)."""

from __future__ import annotations

import json
import os
import sqlite3

import pytest

from tests.jobs.conftest import Jobs

NO_WORKER_SECONDS = 30  # generous bound: the command answers at once; before the fix it waited forever

COMMANDS = [
    ("sync", "vendors", "qb"),
    ("export", "--connection", "qb"),
    ("payments", "sync", "--connection", "qb"),
]


@pytest.mark.parametrize("command", COMMANDS)
def test_waiting_with_no_worker_alive_is_one_line_and_exit_1(jobs: Jobs, command: tuple[str, ...]) -> None:
    jobs.add_connection("qb")
    with sqlite3.connect(jobs.tmp / "app.db") as db:  # a worker that died long ago
        db.execute(
            "INSERT INTO erp_worker_heartbeats VALUES ('old', 'h', 1, '2020-01-01 00:00:00', "
            "'2020-01-01 00:00:00')"
        )
    done = jobs.cli(*command, "--json", timeout=NO_WORKER_SECONDS)
    assert done.returncode == 1, done.stderr
    assert done.stdout == "" and done.stderr.strip().count("\n") == 0, done.stderr
    assert "no worker is running" in done.stderr and "smartap-erp worker" in done.stderr
    assert "--inline" in done.stderr

    jobs.run_worker_until_idle()
    assert jobs.ops() == []  # nothing was queued behind the person's back


def test_no_wait_queues_and_notes_that_no_worker_runs(jobs: Jobs) -> None:
    jobs.add_connection("qb")
    done = jobs.cli("sync", "vendors", "qb", "--no-wait", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["status"] == "ENQUEUED"
    assert "no worker is running" in done.stderr and "smartap-erp worker" in done.stderr


def test_inline_runs_the_job_here_with_the_same_output(jobs: Jobs) -> None:
    jobs.add_connection("qb")
    done = jobs.cli("sync", "all", "qb", "--inline", "--json")
    assert done.returncode == 0, done.stderr
    shown = json.loads(done.stdout)
    assert (shown["status"], shown["outcome"], shown["workflow_id"]) == ("SUCCESS", "completed", None)
    assert set(shown["result"]["results"]) == {"vendor", "purchase_order"}
    assert [op["op"] for op in jobs.ops()] == ["import:vendor:None", "import:purchase_order:None"]

    payments = jobs.cli("payments", "sync", "--connection", "qb", "--inline", "--json")
    assert payments.returncode == 0, payments.stderr
    assert json.loads(payments.stdout)["result"]["status"] == "completed"
    refused = jobs.cli("sync", "vendors", "qb", "--inline", "--no-wait")
    assert refused.returncode == 2 and "--no-wait" in refused.stderr


def test_full_reads_everything_queued_or_inline(jobs: Jobs) -> None:
    jobs.add_connection("qb")
    inline = jobs.cli("sync", "vendors", "qb", "--full", "--inline", "--json")
    assert inline.returncode == 0, inline.stderr
    queued = jobs.cli("sync", "vendors", "qb", "--full", "--no-wait", "--json")
    plain = jobs.cli("sync", "vendors", "qb", "--no-wait", "--json")
    assert not json.loads(plain.stdout)["joined"]  # --full is another request than a plain sync
    jobs.run_worker_until_idle()
    assert sorted(op["op"] for op in jobs.ops()) == [
        "import:vendor:None",
        "import:vendor:None:full",
        "import:vendor:None:full",
    ]
    assert queued.returncode == 0
    both = jobs.cli("sync", "vendors", "qb", "--full", "--since", "2024-01-01")
    assert both.returncode == 2 and "--full" in both.stderr


def test_a_partial_result_says_what_failed_and_why_and_exits_1(jobs: Jobs) -> None:
    jobs.add_connection("qb")
    done = jobs.cli("sync", "vendors", "qb", "--inline", "--json", SMARTAP_FAKE_RECORD_ERROR="1")
    assert done.returncode == 1, done.stderr
    shown = json.loads(done.stdout)
    assert (shown["status"], shown["outcome"]) == ("SUCCESS", "partial")
    assert shown["result"]["results"]["vendor"]["error_count"] == 1  # nested, never "results.vendor"
    note, error = done.stderr.strip().splitlines()
    assert "conflict review" in note and "--full" in note, note
    assert error.startswith("error: sync vendor of qb partial"), error
    assert "vendors: 1 of 2 records failed: R-2: the ERP refused it" in error, error


def test_a_running_worker_keeps_working_after_keys_rotate(jobs: Jobs) -> None:
    del jobs.env["SMARTAP_ENCRYPTION_KEYS"]  # the embedded key file beside the database
    jobs.add_connection("qb")
    worker = jobs.ready_worker()
    before = jobs.cli("sync", "vendors", "qb", "--json")
    assert before.returncode == 0, before.stderr

    rotated = jobs.cli("keys", "rotate", "--new-key")
    assert rotated.returncode == 0, rotated.stderr
    after = jobs.cli("sync", "vendors", "qb", "--limit", "3", "--json")
    output = jobs.stop(worker)
    assert after.returncode == 0, after.stderr + output
    assert [op["op"] for op in jobs.ops()] == ["import:vendor:None", "import:vendor:3"]
    assert len((jobs.tmp / "smartap.key").read_text().split()) == 2
    assert os.stat(jobs.tmp / "smartap.key").st_mode & 0o777 == 0o600
