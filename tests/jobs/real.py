"""Helpers for job tests on the REAL sync engine: a QuickBooks simulator served on loopback, a stored
connection pointing at it (added through the CLI), database counts read straight from the tmp SQLite
file, and approved invoices created in-process with the demo's own scenario helpers (so the export has
something to send). Worker subprocesses come from `tests.jobs.conftest.Jobs` with the fake engine
switched off (`SMARTAP_JOBS_OPERATIONS` empty).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import sqlite3
import subprocess
import uuid
from typing import Any

import httpx

from erpsim.core.testing import LiveServer
from smartap_erp.db.models import ERPConnection, Invoice
from smartap_erp.db.session import make_engine, make_session_factory
from smartap_erp.db.vault import CredentialVault, load_keyring
from smartap_erp.demo import scenario
from smartap_erp.settings import Settings
from smartap_erp.sync.context import SyncContext
from tests.cli.zygote import WorkerProcess
from tests.jobs.conftest import Jobs

REAL_ENGINE = {"SMARTAP_JOBS_OPERATIONS": ""}  # empty: the worker uses ERPSyncService
WORKER_TIMEOUT = 60


def use_real_engine(jobs: Jobs) -> Jobs:
    jobs.env.update(REAL_ENGINE)
    return jobs


def add_qbo_connection(jobs: Jobs, server: LiveServer, name: str = "qb") -> str:
    creds = jobs.tmp / f"{name}.json"
    creds.write_text(json.dumps(server.sim.credentials()))
    done = jobs.cli(
        "connections",
        "add",
        "--system",
        "quickbooks",
        "--name",
        name,
        "--credentials-file",
        str(creds),
        "--api-url",
        server.base_url,
        "--no-auto-sync",
        "--json",
    )
    assert done.returncode == 0, done.stderr
    return str(json.loads(done.stdout)["id"])


def queue(jobs: Jobs, *args: str) -> str:
    """Queue a job with `--no-wait --json`; its workflow id."""
    done = jobs.cli(*args, "--no-wait", "--json")
    assert done.returncode == 0, done.stderr
    return str(json.loads(done.stdout)["workflow_id"])


def job_status(jobs: Jobs, workflow_id: str) -> dict[str, Any]:
    done = jobs.cli("sync", "status", workflow_id, "--json")
    assert done.returncode == 0, done.stderr
    return dict(json.loads(done.stdout))


def wait_exit(proc: WorkerProcess, timeout: float = WORKER_TIMEOUT) -> tuple[int, str]:
    """The exit code and output of a worker, killing it if it outlives `timeout`."""
    try:
        code = proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)
        raise
    output = proc.stdout.read() if proc.stdout else ""
    return code, output


def run_until_idle(jobs: Jobs, **env: str) -> None:
    code, output = wait_exit(jobs.worker("--exit-when-idle", **env))
    assert code == 0, output


def scalar(jobs: Jobs, sql: str, *params: Any) -> int:
    with sqlite3.connect(jobs.tmp / "app.db") as db:
        return int(db.execute(sql, params).fetchone()[0])


def scalar_text(jobs: Jobs, sql: str, *params: Any) -> str:
    with sqlite3.connect(jobs.tmp / "app.db") as db:
        return str(db.execute(sql, params).fetchone()[0])


def uuid_param(value: str) -> str:
    """A uuid as the SQLite database stores it (SQLAlchemy's Uuid type: 32 hex digits)."""
    return uuid.UUID(value).hex


def sim_state(server: LiveServer, *, log: bool = False) -> dict[str, Any]:
    """The simulator's own `GET /_sim/state` (over HTTP, as an outside observer would)."""
    params = {"log": "1"} if log else {}
    return dict(httpx.get(f"{server.base_url}/_sim/state", params=params, timeout=30).json())


def approve_invoices(
    jobs: Jobs, connection_id: str, *, account: str | None = None, prefix: str = "DEMO"
) -> list[uuid.UUID]:
    """Approved invoices (the demo's sample set) for vendors this connection imported, booked to
    `account` (default: an expense account of the ERP's chart), numbered `PREFIX-...`."""

    async def run() -> list[uuid.UUID]:
        settings = Settings(
            database_url=jobs.env["DATABASE_URL"],
            smartap_encryption_keys=jobs.env["SMARTAP_ENCRYPTION_KEYS"],
        )
        engine = make_engine(settings.database_url)
        try:
            ctx = SyncContext(make_session_factory(engine), CredentialVault(load_keyring(settings)), settings)
            async with ctx.session_factory() as session:
                connection = await session.get(ERPConnection, uuid.UUID(connection_id))
            assert connection is not None
            chosen = account or await scenario.expense_account(ctx, connection)
            ids = await scenario.sample_invoices(ctx, connection, chosen, dt.date(2024, 6, 3))
            async with ctx.session_factory() as session, session.begin():
                for invoice_id in ids:
                    invoice = await session.get(Invoice, invoice_id)
                    assert invoice is not None
                    invoice.invoice_number = invoice.invoice_number.replace("DEMO", prefix, 1)
            return ids
        finally:
            await engine.dispose()

    return asyncio.run(run())
