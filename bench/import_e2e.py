"""Benchmark (not a test): QuickBooks vendors imported as a user runs it (issue 17, goals 1 and 3).
The simulator is its own process (`erpsim serve quickbooks --latency-ms L`), SmartAP is the CLI
(`smartap-erp sync vendors qb`, which queues the job and follows it) and a worker process
(`smartap-erp worker`, started and ready before the clock starts). In the same run, the peer a user
would pick instead, python-quickbooks 0.9, pages the same vendors one page after another
(`SELECT * FROM Vendor ... STARTPOSITION s MAXRESULTS 1000`, parsed into its objects, written nowhere).

Printed per database: the peer's seconds, the CLI's seconds (queue to done, as the user waits), the
job's own seconds (its sync log: started to completed), the speed-up over the peer (CLI seconds), the
requests SmartAP sent (the simulator's own count) against the minimum, R_min = 1 + ceil(N / 1000) (a
COUNT, then the pages) and T_min = (1 + ceil(R_pages / 10)) x L (the pages 10 at a time, QuickBooks'
concurrency limit, quickbooks.md §Rate limits), then a second, incremental sync with nothing changed
(its requests) and the worker's peak RSS (VmHWM of its process). `sim_cpu_s` / `peer_sim_cpu_s`: CPU
seconds the simulator process spent serving SmartAP's import / the peer's pages; `worker_cpu_s`: the
worker process's CPU seconds during the import (both from /proc, so comparable on a loaded machine,
unlike wall times); `cli_cpu_s` the CLI process's; `db_cpu_s` every PostgreSQL server process's (0 on
SQLite, which works inside the worker); `machine_cpu_s` their sum, and `cpu_floor_s` that sum over the
machine's cores: no schedule of the same work finishes the import faster on this machine.

Then the time around the job (`timeline`, one machine's wall clock): `python_s` from starting the
CLI process to its first line (`bench.cli_marks`: interpreter start), `cli_queue_s` to the enqueue
returning (imports, opening the queue, the request's claim), `pickup_s` to the workflow's first step
(the worker's queue polling, DBOS starting the workflow), `pre_import_s` to the sync log's start
(refusal check, keys, lease), `job_s` the sync log itself, `post_import_s` to the workflow's last
step (lease release), `cli_seen_s` to the CLI's follow loop seeing the end, `cli_exit_s` to the
process's exit (report, teardown); `around_s` = `cli_s` - `job_s`; `cli_version_s`: the fastest of
three `smartap-erp --version`, for scale.

    .venv/bin/python -m bench.import_e2e --vendors 50000 --latency-ms 200 [--db sqlite postgresql]
    .venv/bin/python -m bench.import_e2e --memory 10000 200000      # peak RSS, no latency, SQLite

PostgreSQL: TEST_POSTGRES_URL (as bench/vendor_import.py); a scratch database per run.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import math
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from cryptography.fernet import Fernet

from bench.vendor_import import _pg, scratch_database

PAGE = 1000
REPO = Path(__file__).resolve().parent.parent
TICK = os.sysconf("SC_CLK_TCK")
PARALLEL = 10  # QuickBooks: 10 concurrent requests per realm and app (quickbooks.md §Rate limits)
DEADLINE = 600  # seconds any one step may take before the benchmark gives up


class Simulator:
    """`erpsim serve quickbooks` in its own process; its base URL and credentials."""

    def __init__(self, vendors: int, latency_ms: float) -> None:
        erpsim = Path(sys.executable).with_name("erpsim")
        self.proc = subprocess.Popen(  # noqa: S603 (our own command, fixed arguments)
            [
                *(str(erpsim), "serve", "quickbooks", "--vendors", str(vendors)),
                *("--purchase-orders", "0", "--bills", "0", "--latency-ms", str(latency_ms)),
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        ready = json.loads(self.proc.stdout.readline())
        self.base_url: str = ready["base_url"]
        self.credentials: dict[str, Any] = ready["credentials"]

    def requests(self) -> int:
        return int(httpx.get(f"{self.base_url}/_sim/state", timeout=60).json()["requests"]["total"])

    def cpu_s(self) -> float:
        return cpu_seconds(self.proc.pid)

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=30)


def postgres_cpu_seconds() -> float:
    """CPU seconds of every PostgreSQL server process on this machine (the backends serving the worker
    among them): the difference across a run is the database's share of the machine."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if (entry / "comm").read_text().strip() == "postgres":
                total += cpu_seconds(int(entry.name))
        except (OSError, ValueError, IndexError):  # a process that ended meanwhile
            continue
    return total


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a running process (/proc/PID/stat fields 14 and 15)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def peer_pages(sim: Simulator) -> tuple[float, int]:
    """python-quickbooks paging every vendor one page after another: seconds and vendors read."""
    os.environ["OAUTHLIB_INSECURE_TRANSPORT"] = "1"  # oauthlib's switch for a plain-http test server
    from intuitlib.client import AuthClient
    from quickbooks import QuickBooks
    from quickbooks.objects.vendor import Vendor

    creds = sim.credentials
    auth = AuthClient(
        creds["client_id"],
        creds["client_secret"],
        "https://app.example/callback",
        f"{sim.base_url}/.well-known/openid_configuration",
        access_token=creds["access_token"],
    )
    qb = QuickBooks(auth_client=auth, company_id=creds["realm_id"], minorversion=75)
    qb.api_url_v3 = f"{sim.base_url}/v3"
    started, read, start = time.perf_counter(), 0, 1
    while True:
        page = Vendor.where(
            "Active IN (true, false)", order_by="Id", start_position=start, max_results=PAGE, qb=qb
        )
        read += len(page)
        if len(page) < PAGE:
            return time.perf_counter() - started, read
        start += PAGE


class SmartAP:
    """A database, the CLI and one worker process."""

    def __init__(self, url: str, workdir: Path) -> None:
        self.workdir = workdir
        self.env = {
            **os.environ,
            "DATABASE_URL": url,
            "SMARTAP_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
            "SMARTAP_JOBS_POLLING_SECONDS": "0.1",
            "ERP_SYNC_ENABLED": "false",
        }
        self.worker: subprocess.Popen[str] | None = None
        self.cli_cpu_s = 0.0  # CPU seconds of the last `sync_vendors` CLI process
        self.marks: dict[str, float] = {}

    def cli(self, *args: str) -> str:
        done = subprocess.run(  # noqa: S603 (our own module, fixed arguments)
            [sys.executable, "-m", "smartap_erp", *args],
            env=self.env,
            cwd=self.workdir,
            capture_output=True,
            text=True,
            timeout=DEADLINE,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"smartap-erp {' '.join(args)}: {done.stderr.strip()[-2000:]}")
        return done.stdout

    def start_worker(self) -> None:
        log = (self.workdir / "worker.log").open("w")
        self.worker = subprocess.Popen(
            [sys.executable, "-m", "smartap_erp", "worker"],
            env=self.env,
            cwd=self.workdir,
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
        )
        deadline = time.monotonic() + DEADLINE
        while "running" not in (self.workdir / "worker.log").read_text():
            if self.worker.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(
                    f"worker did not start: {(self.workdir / 'worker.log').read_text()[-2000:]}"
                )
            time.sleep(0.1)

    def worker_peak_rss_mb(self) -> float:
        assert self.worker is not None
        status = Path(f"/proc/{self.worker.pid}/status").read_text()
        line = next(line for line in status.splitlines() if line.startswith("VmHWM:"))
        return round(int(line.split()[1]) / 1024, 1)

    def stop_worker(self) -> None:
        if self.worker is not None:
            self.worker.terminate()
            self.worker.wait(timeout=60)

    def sync_vendors(self) -> tuple[float, dict[str, Any]]:
        """`sync vendors qb --json` through `bench.cli_marks` (the CLI's phases in `self.marks`)."""
        marks = self.workdir / "marks.json"
        path = os.pathsep.join(p for p in (self.env.get("PYTHONPATH"), str(REPO)) if p)
        env = {**self.env, "SMARTAP_BENCH_MARKS": str(marks), "PYTHONPATH": path}
        started, cli_started = time.perf_counter(), time.time()
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        done = subprocess.run(
            [sys.executable, "-m", "bench.cli_marks", "sync", "vendors", "qb", "--json"],
            env=env,
            cwd=self.workdir,
            capture_output=True,
            text=True,
            timeout=DEADLINE,
            check=True,
        )
        seconds, ended = time.perf_counter() - started, time.time()
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        self.cli_cpu_s = (after.ru_utime + after.ru_stime) - (children.ru_utime + children.ru_stime)
        self.marks = {"started": cli_started, **json.loads(marks.read_text()), "ended": ended}
        return seconds, json.loads(done.stdout)

    def version_seconds(self) -> float:
        started = time.perf_counter()
        self.cli("--version")
        return time.perf_counter() - started


async def _sync_log_times(url: str) -> tuple[float, float]:
    """The newest sync log's started_at and completed_at (epoch seconds, as the worker recorded them)."""
    from sqlalchemy import select

    from smartap_erp.db.models import ERPSyncLog
    from smartap_erp.db.session import make_engine

    engine = make_engine(url)
    try:
        async with engine.connect() as conn:
            started, completed = (
                await conn.execute(
                    select(ERPSyncLog.started_at, ERPSyncLog.completed_at)
                    .order_by(ERPSyncLog.started_at.desc())
                    .limit(1)
                )
            ).one()
    finally:
        await engine.dispose()
    return started.timestamp(), completed.timestamp()


def timeline(url: str, marks: dict[str, float], workflow_id: str) -> dict[str, float]:
    """Where the seconds around the job went (see the module docstring): the CLI's marks
    (`bench.cli_marks`), the workflow's steps (DBOS, in ms; its status times are whole seconds on
    SQLite) and the sync log."""
    from dbos import DBOSClient

    from smartap_erp.jobs.config import SYSTEM_SCHEMA, system_database_url
    from smartap_erp.settings import Settings

    client = DBOSClient(
        system_database_url=system_database_url(Settings(database_url=url)),
        dbos_system_schema=SYSTEM_SCHEMA,
    )
    try:
        steps = client.list_workflow_steps(workflow_id, load_output=False)
    finally:
        client.destroy()
    first_step = min(s["started_at_epoch_ms"] or 0 for s in steps) / 1000
    last_step = max(s["completed_at_epoch_ms"] or 0 for s in steps) / 1000
    log_started, log_completed = asyncio.run(_sync_log_times(url))
    points = [
        ("python_s", marks["started"]),
        ("cli_queue_s", marks["main"]),
        ("pickup_s", marks["enqueued"]),
        ("pre_import_s", first_step),
        ("job_s", log_started),
        ("post_import_s", log_completed),
        ("cli_seen_s", last_step),
        ("cli_exit_s", marks["followed"]),
        ("", marks["ended"]),
    ]
    return {name: round(end - start, 3) for (name, start), (_, end) in itertools.pairwise(points)}


async def _drop(scratch: str | None) -> None:
    if scratch:
        await _pg(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)')


def one_run(backend: str, vendors: int, latency_ms: float, *, peer: bool) -> dict[str, Any]:
    url, scratch = asyncio.run(scratch_database(backend))
    sim = Simulator(vendors, latency_ms)
    workdir = Path(tempfile.mkdtemp())
    smartap = SmartAP(url, workdir)
    try:
        smartap.cli("db", "upgrade")
        (workdir / "qb.json").write_text(json.dumps(sim.credentials))
        smartap.cli(
            "connections",
            "add",
            "--system",
            "quickbooks",
            "--name",
            "qb",
            "--credentials-file",
            str(workdir / "qb.json"),
            "--api-url",
            sim.base_url,
            "--no-auto-sync",
        )
        row: dict[str, Any] = {"db": backend, "vendors": vendors, "latency_ms": latency_ms}
        if peer:
            sim_cpu = sim.cpu_s()
            row["peer_s"], read = peer_pages(sim)
            row["peer_sim_cpu_s"] = round(sim.cpu_s() - sim_cpu, 2)
            assert read == vendors, (read, vendors)
        smartap.start_worker()
        assert smartap.worker is not None
        before, sim_cpu, worker_cpu = sim.requests(), sim.cpu_s(), cpu_seconds(smartap.worker.pid)
        db_cpu = postgres_cpu_seconds()
        row["cli_s"], result = smartap.sync_vendors()
        row["sim_cpu_s"] = round(sim.cpu_s() - sim_cpu, 2)
        row["worker_cpu_s"] = round(cpu_seconds(smartap.worker.pid) - worker_cpu, 2)
        row["cli_cpu_s"] = round(smartap.cli_cpu_s, 2)
        row["db_cpu_s"] = round(postgres_cpu_seconds() - db_cpu, 2) if backend == "postgresql" else 0.0
        spent = row["sim_cpu_s"] + row["worker_cpu_s"] + row["cli_cpu_s"] + row["db_cpu_s"]
        row["machine_cpu_s"] = round(spent, 2)
        row["cpu_floor_s"] = round(spent / (os.cpu_count() or 1), 2)
        row["requests"] = sim.requests() - before
        row["timeline"] = timeline(url, smartap.marks, result["workflow_id"])
        row["job_s"] = row["timeline"]["job_s"]
        row["imported"] = result
        pages = math.ceil(vendors / PAGE)
        row["r_min"] = 1 + pages
        row["t_min_s"] = round((1 + math.ceil(pages / PARALLEL)) * latency_ms / 1000, 2)
        before = sim.requests()
        row["again_s"], _ = smartap.sync_vendors()
        row["again_requests"] = sim.requests() - before
        row["worker_rss_mb"] = smartap.worker_peak_rss_mb()
        row["cli_version_s"] = round(min(smartap.version_seconds() for _ in range(3)), 3)
        return row
    finally:
        smartap.stop_worker()
        sim.stop()
        asyncio.run(_drop(scratch))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--vendors", type=int, default=50_000)
    parser.add_argument("--latency-ms", type=float, default=200.0)
    parser.add_argument("--db", nargs="+", default=["sqlite", "postgresql"])
    parser.add_argument("--memory", type=int, nargs="+", help="vendor counts: worker peak RSS, no latency")
    args = parser.parse_args()
    if args.memory:
        print("db | vendors | cli_s | job_s | requests | worker_rss_mb | sim_cpu_s | worker_cpu_s | load")
        for backend in args.db:
            for n in args.memory:
                row = one_run(backend, n, 0.0, peer=False)
                print(
                    f"{backend} | {n} | {row['cli_s']:.2f} | {row['job_s']:.2f} | {row['requests']} | "
                    f"{row['worker_rss_mb']} | {row['sim_cpu_s']} | {row['worker_cpu_s']} | "
                    f"{Path('/proc/loadavg').read_text().split()[0]}",
                    flush=True,
                )
        return
    columns = ["db", "vendors", "peer_s", "cli_s", "job_s", "speedup", "requests", "r_min", "t_min_s"]
    columns += ["again_requests", "worker_rss_mb", "peer_sim_cpu_s", "sim_cpu_s", "worker_cpu_s", "cli_cpu_s"]
    columns += ["db_cpu_s", "machine_cpu_s", "cpu_floor_s", "load"]
    print(" | ".join(columns))
    rows = []
    for backend in args.db:
        row = one_run(backend, args.vendors, args.latency_ms, peer=True)
        row["load"] = Path("/proc/loadavg").read_text().split()[0]
        row["speedup"] = round(row["peer_s"] / row["cli_s"], 1)
        for key in ("peer_s", "cli_s", "job_s"):
            row[key] = round(row[key], 2)
        print(" | ".join(str(row[c]) for c in columns), flush=True)
        rows.append(row)
    steps = list(rows[0]["timeline"]) if rows else []
    print("\ndb | " + " | ".join(steps) + " | around_s | cli_version_s")
    for row in rows:
        around = round(row["cli_s"] - row["job_s"], 2)
        figures = [*(row["timeline"][step] for step in steps), around, row["cli_version_s"]]
        print(f"{row['db']} | " + " | ".join(str(f) for f in figures), flush=True)


if __name__ == "__main__":
    main()
