"""`smartap-erp serve --workers N` and the database pool: one process serves an app built in process,
several are uvicorn's multi-process mode on the importable `app_factory` (which builds the app and
its log filters in each process); out-of-range counts are refused; a real server with two processes
answers authenticated requests from both (slow: it starts processes). An engine's pool keeps
`POOL_SIZE` connections with `MAX_OVERFLOW` more, unless the caller picks a pool; an in-memory
SQLite keeps its single connection."""

from __future__ import annotations

import importlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from sqlalchemy.pool import NullPool
from typer.testing import CliRunner

from smartap_erp.cli import app as cli_app
from smartap_erp.cli import serve
from smartap_erp.db.session import MAX_OVERFLOW, POOL_SIZE, make_engine
from smartap_erp.settings import Settings
from tests.cli.helpers import database_url, run_cli


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    path = tmp_path / "data" / "smartap.db"
    path.parent.mkdir()
    path.touch()  # serve refuses a database file that does not exist
    found = Settings(database_url=f"sqlite+aiosqlite:///{path}")
    monkeypatch.setattr("smartap_erp.settings.get_settings", lambda: found)
    return found


def test_several_workers_run_the_importable_factory(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[tuple[Any, dict[str, Any]]] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: calls.append((app, options)))

    serve.serve(host="127.0.0.1", port=8123, workers=3)

    [(target, options)] = calls
    assert target == "smartap_erp.cli.serve:app_factory"
    assert (options["factory"], options["workers"], options["port"]) == (True, 3, 8123)
    assert options["access_log"] is False  # raw paths carry secrets; the API logs route templates
    module, name = target.split(":")
    built = getattr(importlib.import_module(module), name)()
    assert isinstance(built, FastAPI) and "/healthz" in built.openapi()["paths"]


def test_one_worker_serves_in_process(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    configs: list[uvicorn.Config] = []
    monkeypatch.setattr(uvicorn.Server, "run", lambda server, sockets=None: configs.append(server.config))
    monkeypatch.setattr(uvicorn, "run", lambda *a, **k: pytest.fail("uvicorn.run needs an import string"))

    serve.serve(host="127.0.0.1", port=8124, workers=1)

    [config] = configs
    assert isinstance(config.app, FastAPI) and config.workers == 1 and config.access_log is False


def test_a_worker_count_out_of_range_is_refused() -> None:
    for count in ("0", str(serve.MAX_WORKERS + 1)):
        result = CliRunner().invoke(cli_app, ["serve", "--workers", count])
        assert result.exit_code == 2 and "--workers" in result.output


def test_the_pool_is_sized_for_a_server(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'pool.db'}")
    assert (engine.pool.size(), getattr(engine.pool, "_max_overflow", None)) == (POOL_SIZE, MAX_OVERFLOW)
    chosen = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'pool.db'}", poolclass=NullPool)
    assert isinstance(chosen.pool, NullPool)
    memory = make_engine("sqlite+aiosqlite:///:memory:")
    assert not hasattr(memory.pool, "_max_overflow")  # SQLite in memory: its own single-connection pool


def _children(pid: int) -> list[int]:
    found = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [int(child) for child in found]


@pytest.mark.slow
def test_two_processes_answer_authenticated_requests(tmp_path: Path) -> None:
    assert run_cli(tmp_path, "db", "upgrade").returncode == 0
    created = run_cli(tmp_path, "api-keys", "create", "--name", "serve", "--scope", "read")
    assert created.returncode == 0, created.stderr
    key = created.stdout.strip()  # the key alone on stdout
    port = _free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("SMARTAP_", "DATABASE_"))},
        "DATABASE_URL": database_url(tmp_path),
    }
    server = subprocess.Popen(  # our own CLI, on loopback
        [sys.executable, "-m", "smartap_erp", "serve", "--port", str(port), "--workers", "2"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        answers = _poll(f"http://127.0.0.1:{port}", key, server)
        assert answers == [200] * 20
        assert len(_children(server.pid)) >= 2  # the supervisor's two server processes
    finally:
        server.send_signal(signal.SIGINT)
        output, _ = server.communicate(timeout=60)
    assert "2 processes" in output


def _poll(base: str, key: str, server: subprocess.Popen[str]) -> list[int]:
    """Poll until the server answers (a deadline, not a fixed sleep), then 20 authenticated reads."""
    deadline = time.monotonic() + 60
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {key}"}, timeout=10) as http:
        while True:
            assert server.poll() is None, "the server stopped"
            try:
                if http.get("/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise
            time.sleep(0.1)
        return [http.get("/api/v1/erp/connections").status_code for _ in range(20)]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
