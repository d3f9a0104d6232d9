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
unlike wall times).

    .venv/bin/python -m bench.import_e2e --vendors 50000 --latency-ms 200 [--db sqlite postgresql]
    .venv/bin/python -m bench.import_e2e --memory 10000 200000      # peak RSS, no latency, SQLite

PostgreSQL: TEST_POSTGRES_URL (as bench/vendor_import.py); a scratch database per run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
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
        started = time.perf_counter()
        out = self.cli("sync", "vendors", "qb", "--json")
        return time.perf_counter() - started, json.loads(out)


async def _job_seconds(url: str) -> float:
    """The newest sync log's own duration (started to completed, as the worker recorded them)."""
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
    return float((completed - started).total_seconds())


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
        row["cli_s"], result = smartap.sync_vendors()
        row["sim_cpu_s"] = round(sim.cpu_s() - sim_cpu, 2)
        row["worker_cpu_s"] = round(cpu_seconds(smartap.worker.pid) - worker_cpu, 2)
        row["requests"] = sim.requests() - before
        row["job_s"] = asyncio.run(_job_seconds(url))
        row["imported"] = result
        pages = math.ceil(vendors / PAGE)
        row["r_min"] = 1 + pages
        row["t_min_s"] = round((1 + math.ceil(pages / PARALLEL)) * latency_ms / 1000, 2)
        before = sim.requests()
        row["again_s"], _ = smartap.sync_vendors()
        row["again_requests"] = sim.requests() - before
        row["worker_rss_mb"] = smartap.worker_peak_rss_mb()
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
    columns += ["again_requests", "worker_rss_mb", "peer_sim_cpu_s", "sim_cpu_s", "worker_cpu_s", "load"]
    print(" | ".join(columns))
    for backend in args.db:
        row = one_run(backend, args.vendors, args.latency_ms, peer=True)
        row["load"] = Path("/proc/loadavg").read_text().split()[0]
        row["speedup"] = round(row["peer_s"] / row["cli_s"], 1)
        for key in ("peer_s", "cli_s", "job_s"):
            row[key] = round(row[key], 2)
        print(" | ".join(str(row[c]) for c in columns), flush=True)


if __name__ == "__main__":
    main()
