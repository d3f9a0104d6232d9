"""The `erpsim` command: `serve` prints one JSON line and serves; `credentials` is stable per seed."""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys

import httpx
from typer.testing import CliRunner

from erpsim.cli import app

runner = CliRunner()


def test_credentials_command_is_stable_per_seed() -> None:
    args = ["credentials", "quickbooks", "--base-url", "http://127.0.0.1:9"]
    first = runner.invoke(app, [*args, "--seed", "3"])
    again = runner.invoke(app, [*args, "--seed", "3"])
    other = runner.invoke(app, [*args, "--seed", "4"])
    assert first.exit_code == 0, first.output
    assert json.loads(first.stdout) == json.loads(again.stdout) != json.loads(other.stdout)


def test_unknown_system_and_bad_faults_exit_with_a_message() -> None:
    unknown = runner.invoke(app, ["credentials", "sage", "--base-url", "http://x"])
    assert unknown.exit_code == 3 and "unknown system" in unknown.stderr
    bad = runner.invoke(app, ["serve", "quickbooks", "--faults", "explode=1"])
    assert bad.exit_code == 2 and "unknown fault" in bad.stderr


def test_serve_prints_one_json_line_serves_and_stops_on_sigterm() -> None:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    command = [
        sys.executable,
        "-m",
        "erpsim.cli",
        "serve",
        "quickbooks",
        "--port",
        "0",
        "--seed",
        "2",
        "--vendors",
        "12",
        "--purchase-orders",
        "3",
        "--bills",
        "2",
        "--latency-ms",
        "1",
    ]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True)
    try:
        ready, _, _ = select.select([proc.stdout], [], [], 30)
        assert ready, "no ready line within 30 s"
        assert proc.stdout is not None
        line = json.loads(proc.stdout.readline())
        assert set(line) == {"system", "base_url", "credentials"}
        assert line["system"] == "quickbooks" and line["base_url"].startswith("http://127.0.0.1:")
        expected = runner.invoke(
            app, ["credentials", "quickbooks", "--seed", "2", "--base-url", line["base_url"]]
        )
        assert line["credentials"] == json.loads(expected.stdout)
        creds = line["credentials"]
        with httpx.Client(base_url=line["base_url"], timeout=10) as client:
            counted = client.get(
                f"/v3/company/{creds['realm_id']}/query",
                params={"query": "select count(*) from Vendor"},
                headers={"Authorization": f"Bearer {creds['access_token']}"},
            )
            state = client.get("/_sim/state").json()
        assert counted.json()["QueryResponse"]["totalCount"] == 12
        assert state["faults"]["plan"] == "latency=1ms"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=15) == 0
        assert proc.stdout.read() == ""  # exactly one line on stdout
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=5)
