"""End to end through `python -m smartap_erp`: queue jobs with the CLI, run them in worker
subprocesses (the sync engine replaced by tests/jobs/fakes.py), joins, retries, failures, exit codes,
and three workers on PostgreSQL never running two jobs of one connection at once."""

from __future__ import annotations

import itertools
import json
from collections import defaultdict

import pytest

from tests.jobs.conftest import Jobs

WORKER_TIMEOUT = 60


def _run_worker(jobs: Jobs, *args: str, **env: str) -> None:
    proc = jobs.worker("--exit-when-idle", *args, **env)
    assert proc.wait(timeout=WORKER_TIMEOUT) == 0, proc.stdout.read() if proc.stdout else ""


def test_identical_requests_join_and_one_worker_runs_them(jobs: Jobs) -> None:
    cid = jobs.add_connection("qb")
    first = jobs.cli("sync", "vendors", "qb", "--no-wait", "--json")
    second = jobs.cli("sync", "vendors", cid, "--no-wait", "--json")
    other = jobs.cli("sync", "all", "qb", "--limit", "5", "--no-wait", "--json")
    assert first.returncode == second.returncode == other.returncode == 0, first.stderr
    one, two, three = (json.loads(p.stdout) for p in (first, second, other))
    assert (two["workflow_id"], two["joined"]) == (one["workflow_id"], True)
    assert three["workflow_id"] != one["workflow_id"] and not three["joined"]

    _run_worker(jobs)
    assert sorted(op["op"] for op in jobs.ops()) == [
        "import:purchase_order:5",
        "import:vendor:5",
        "import:vendor:None",
    ]
    shown = jobs.cli("sync", "status", one["workflow_id"], "--json")
    assert json.loads(shown.stdout)["status"] == "SUCCESS"


def test_transient_failures_are_retried_then_succeed(jobs: Jobs) -> None:
    jobs.add_connection("qb")
    queued = json.loads(jobs.cli("payments", "sync", "--connection", "qb", "--no-wait", "--json").stdout)
    _run_worker(jobs, SMARTAP_FAKE_FAIL="2")  # ERP_MAX_SYNC_RETRIES defaults to 3
    assert [op["op"] for op in jobs.ops()] == ["payments"]
    status = json.loads(jobs.cli("sync", "status", queued["workflow_id"], "--json").stdout)
    assert status["status"] == "SUCCESS"


def test_auth_failure_is_not_retried_and_a_person_can_retry(jobs: Jobs) -> None:
    jobs.add_connection("qb")
    queued = json.loads(jobs.cli("sync", "vendors", "qb", "--no-wait", "--json").stdout)
    _run_worker(jobs, SMARTAP_FAKE_AUTH="1", SMARTAP_FAKE_FAIL="0")
    status = json.loads(jobs.cli("sync", "status", queued["workflow_id"], "--json").stdout)
    assert status["status"] == "ERROR" and "token revoked" in status["error"]
    assert jobs.ops() == []

    retried = jobs.cli("sync", "retry", queued["workflow_id"], "--no-wait", "--json")
    assert retried.returncode == 0, retried.stderr
    _run_worker(jobs)
    assert [op["op"] for op in jobs.ops()] == ["import:vendor:None"]


def test_exhausted_retries_fail_with_exit_1_and_one_line(jobs: Jobs) -> None:
    jobs.add_connection("qb")
    worker = jobs.ready_worker(SMARTAP_FAKE_FAIL="100", ERP_MAX_SYNC_RETRIES="1")
    done = jobs.cli("sync", "vendors", "qb", "--json")
    output = jobs.stop(worker)
    assert done.returncode == 1
    assert "ERP busy" in done.stderr and "sync retry" in done.stderr
    waiting, error = done.stderr.strip().splitlines()  # piped: one "waiting" line, one error line
    assert "waiting" in waiting and error.startswith("error:") and "ERP busy" in error, done.stderr
    shown = json.loads(done.stdout)
    assert (shown["status"], shown["outcome"]) == ("ERROR", "failed")
    assert "Traceback" not in output, output  # an ordinary job failure is one line per attempt
    assert output.count(" gave up: ") == 1 and output.count("retrying in") == 1, output


@pytest.mark.parametrize(
    "args",
    [
        ("sync", "vendors", "nope"),
        ("export", "--connection", "nope"),
        ("payments", "sync", "--connection", "nope"),
        ("sync", "status", "no-such-job"),
        ("conflicts", "resolve", "not-a-uuid", "--keep", "erp"),
    ],
)
def test_bad_input_exits_2_with_one_line(jobs: Jobs, args: tuple[str, ...]) -> None:
    done = jobs.cli(*args, "--json") if args[0] != "conflicts" else jobs.cli(*args)
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0 and done.stderr.startswith("error:")


def test_conflicts_list_is_empty_as_json(jobs: Jobs) -> None:
    jobs.add_connection("qb")
    done = jobs.cli("conflicts", "list", "--json")
    assert done.returncode == 0 and json.loads(done.stdout) == []


@pytest.mark.slow
def test_three_postgres_workers_never_overlap_one_connection(pg_jobs: Jobs) -> None:
    connections = [pg_jobs.add_connection("a"), pg_jobs.add_connection("b")]
    for i in range(20):
        done = pg_jobs.cli(
            "sync", "vendors", connections[i % 2], "--limit", str(i + 1), "--no-wait", "--json"
        )
        assert done.returncode == 0, done.stderr
    procs = [pg_jobs.worker("--exit-when-idle", "--worker-id", f"w{n}") for n in range(3)]
    for proc in procs:
        assert proc.wait(timeout=WORKER_TIMEOUT) == 0
    ops = pg_jobs.ops()
    assert sorted(int(op["op"].split(":")[2]) for op in ops) == list(range(1, 21))
    spans: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for op in ops:
        spans[op["connection"]].append((op["start"], op["end"]))
    for intervals in spans.values():
        intervals.sort()
        assert all(prev[1] <= nxt[0] for prev, nxt in itertools.pairwise(intervals))
