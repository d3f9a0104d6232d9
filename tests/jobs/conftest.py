"""Worker subprocesses for job tests: a tmp database (SQLite, or a scratch PostgreSQL database), the
fake sync engine of tests/jobs/fakes.py, and helpers to run CLI commands and workers (each its own
process, forked from the warm CLI zygote of tests/cli/zygote.py), always bounded in time and killed
at teardown."""

from __future__ import annotations

import json
import os
import queue
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet

from smartap_erp.db import migrate
from tests.cli.zygote import WorkerProcess, run_cli_process, start_cli_process
from tests.conftest import MigratedSqlite

REPO = Path(__file__).resolve().parents[2]
CREDENTIALS = {
    "client_id": "id",
    "client_secret": "s",
    "realm_id": "1",
    "access_token": "a",
    "refresh_token": "r",
}


class Jobs:
    def __init__(self, tmp: Path, database_url: str) -> None:
        self.tmp = tmp
        self.log = tmp / "ops.jsonl"
        self.env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "SMARTAP_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
            "PYTHONPATH": str(REPO),
            "SMARTAP_JOBS_OPERATIONS": "tests.jobs.fakes:build",
            "SMARTAP_FAKE_LOG": str(self.log),
            "SMARTAP_JOBS_POLLING_SECONDS": "0.1",
            "SMARTAP_JOBS_RETRY_BASE_SECONDS": "0.05",
            "ERP_SYNC_ENABLED": "false",
        }
        self.workers: list[WorkerProcess] = []
        self.output: dict[int, list[str]] = {}
        self._readers: dict[int, threading.Thread] = {}

    def cli(self, *args: str, timeout: float = 60, **env: str) -> subprocess.CompletedProcess[str]:
        return run_cli_process(args, env={**self.env, **env}, cwd=self.tmp, timeout=timeout)

    def add_connection(self, name: str) -> str:
        creds = self.tmp / "creds.json"
        creds.write_text(json.dumps(CREDENTIALS))
        done = self.cli(
            "connections",
            "add",
            "--system",
            "quickbooks",
            "--name",
            name,
            "--credentials-file",
            str(creds),
            "--json",
        )
        assert done.returncode == 0, done.stderr
        return str(json.loads(done.stdout)["id"])

    def worker(self, *args: str, **env: str) -> WorkerProcess:
        proc = start_cli_process(["worker", *args], env={**self.env, **env}, cwd=self.tmp)
        self.workers.append(proc)
        return proc

    def ready_worker(self, *args: str, timeout: float = 60, **env: str) -> WorkerProcess:
        """A worker that has written its first heartbeat (it printed its "running" line); its later
        output is collected in `self.output[proc.pid]`."""
        proc = self.worker(*args, **env)
        lines: queue.Queue[str | None] = queue.Queue()
        collected = self.output.setdefault(proc.pid, [])

        def read() -> None:
            assert proc.stdout is not None
            for line in proc.stdout:
                collected.append(line)
                lines.put(line)
            lines.put(None)

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        self._readers[proc.pid] = reader
        while True:
            line = lines.get(timeout=timeout)
            assert line is not None, "".join(collected)
            if " running; " in line:
                return proc

    def stop(self, proc: WorkerProcess) -> str:
        """Kill a `ready_worker` and return all it printed."""
        proc.kill()
        proc.wait(timeout=10)
        self._readers[proc.pid].join(timeout=10)
        return "".join(self.output[proc.pid])

    def run_worker_until_idle(self, *args: str, timeout: float = 60, **env: str) -> str:
        """Run a worker with `--exit-when-idle`; what it printed (it must exit 0)."""
        proc = self.worker("--exit-when-idle", *args, **env)
        try:
            output, _ = proc.communicate(timeout=timeout)
        finally:
            if proc.poll() is None:
                proc.kill()
        assert proc.returncode == 0, output
        return output

    def ops(self) -> list[dict[str, Any]]:
        if not self.log.exists():
            return []
        return [json.loads(line) for line in self.log.read_text().splitlines() if line]

    def kill_all(self) -> None:
        for proc in self.workers:
            if proc.poll() is None:
                proc.kill()
            proc.wait(timeout=10)
        for reader in self._readers.values():
            reader.join(timeout=10)
        for proc in self.workers:
            if proc.stdout is not None:
                proc.stdout.close()


@pytest.fixture
def jobs(tmp_path: Path, migrated_sqlite: MigratedSqlite) -> Iterator[Jobs]:
    url = migrated_sqlite(f"sqlite+aiosqlite:///{tmp_path / 'app.db'}")
    helper = Jobs(tmp_path, url)
    yield helper
    helper.kill_all()


@pytest.fixture
def pg_jobs(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Jobs]:
    url = request.getfixturevalue("postgres").new_database()
    migrate.upgrade(url)
    helper = Jobs(tmp_path, url)
    yield helper
    helper.kill_all()
