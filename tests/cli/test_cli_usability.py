"""CLI usability (issue 12): the four supported systems only, validated API URLs, unique connection
names, `connections update` in place, tables that are never cut and never show Python reprs, and a
`db downgrade` that asks first."""

from __future__ import annotations

import asyncio
import json
import os
import pty
import re
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from smartap_erp.db import migrate
from smartap_erp.db.models import ERPSyncLog
from smartap_erp.db.session import make_engine, make_session_factory
from smartap_erp.domain.enums import ERPEntity, SyncDirection, SyncStatus
from tests.cli.helpers import database_url, run_cli
from tests.conftest import MigratedSqlite

CREDENTIALS = {
    "client_id": "cid",
    "client_secret": "client-secret-value",
    "realm_id": "4620816365",
    "access_token": "access-token-value",
    "refresh_token": "refresh-token-value",
}


@pytest.fixture
def workdir(tmp_path: Path, migrated_sqlite: MigratedSqlite) -> Path:
    migrated_sqlite(database_url(tmp_path))
    (tmp_path / "qbo.json").write_text(json.dumps(CREDENTIALS))
    return tmp_path


def one_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    return lines[0]


def add(workdir: Path, name: str, *extra: str) -> subprocess.CompletedProcess[str]:
    return run_cli(
        workdir, "connections", "add", "--system", "quickbooks", "--name", name,
        "--credentials-file", "qbo.json", *extra,
    )  # fmt: skip


def listed(workdir: Path) -> list[dict[str, object]]:
    result = run_cli(workdir, "connections", "list", "--json")
    assert result.returncode == 0, result.stderr
    return list(json.loads(result.stdout))


def test_only_the_four_supported_systems_are_offered(workdir: Path) -> None:
    shown = run_cli(workdir, "connections", "add", "--help", COLUMNS="300")
    assert "quickbooks|xero|sap|netsuite" in shown.stdout
    assert not re.search(r"\b(sage|oracle|dynamics)\b", shown.stdout)
    refused = run_cli(
        workdir, "connections", "add", "--system", "sage", "--name", "S", "--credentials-file", "qbo.json"
    )
    assert refused.returncode == 2 and "'quickbooks', 'xero', 'sap', 'netsuite'" in refused.stderr
    assert listed(workdir) == []


@pytest.mark.parametrize(
    "url", ["not-a-url", "ftp://files.example.com", "http://", "https://:8080", "http://h:x"]
)
def test_an_api_url_must_be_http_with_a_host(workdir: Path, url: str) -> None:
    result = add(workdir, "Books", "--api-url", url)
    assert result.returncode == 2
    assert f"--api-url {url!r}: expected an http:// or https:// URL with a host" in one_line(result.stderr)
    assert listed(workdir) == []


def test_connection_names_are_unique(workdir: Path) -> None:
    assert add(workdir, "Books").returncode == 0
    again = add(workdir, "Books")
    assert again.returncode == 2
    assert "a connection named 'Books' already exists" in one_line(again.stderr)
    assert [c["name"] for c in listed(workdir)] == ["Books"]


async def _add_log(url: str, connection_id: str) -> None:
    engine = make_engine(url)
    try:
        async with make_session_factory(engine)() as session, session.begin():
            session.add(
                ERPSyncLog(
                    id=uuid.uuid4(),
                    connection_id=uuid.UUID(connection_id),
                    entity_type=ERPEntity.VENDOR,
                    sync_direction=SyncDirection.IMPORT,
                    status=SyncStatus.COMPLETED,
                )
            )
    finally:
        await engine.dispose()


def test_update_changes_a_connection_in_place_and_keeps_its_history(workdir: Path) -> None:
    first = add(workdir, "Books", "--json")
    assert first.returncode == 0, first.stderr
    original = json.loads(first.stdout)
    asyncio.run(_add_log(database_url(workdir), original["id"]))
    assert add(workdir, "Other").returncode == 0
    (workdir / "new.json").write_text(json.dumps({**CREDENTIALS, "environment": "sandbox"}))

    updated = run_cli(
        workdir, "connections", "update", "Books", "--name", "Books US", "--credentials-file", "new.json",
        "--api-url", "http://127.0.0.1:9", "--interval-minutes", "15", "--no-auto-sync",
        "--conflict-policy", "vendor=erp_wins", "--json",
    )  # fmt: skip

    assert updated.returncode == 0, updated.stderr
    after = json.loads(updated.stdout)
    assert after["id"] == original["id"] and after["name"] == "Books US"
    assert (after["api_url"], after["interval_minutes"], after["auto_sync"]) == (
        "http://127.0.0.1:9",
        15,
        False,
    )
    assert after["conflict_policies"] == {"vendor": "erp_wins"} and after["status"] == "pending"
    shown = json.loads(run_cli(workdir, "connections", "show", "Books US", "--json").stdout)
    assert "environment" in shown["credential_keys"]
    assert not any(v in updated.stdout + updated.stderr for k, v in CREDENTIALS.items() if "secret" in k)
    logs = run_cli(workdir, "logs", "--connection", "Books US", "--json")
    assert logs.returncode == 0, logs.stderr
    assert len(json.loads(logs.stdout)) == 1  # the sync history survived

    taken = run_cli(workdir, "connections", "update", "Books US", "--name", "Other")
    assert taken.returncode == 2 and "'Other' already exists" in one_line(taken.stderr)
    bad = run_cli(workdir, "connections", "update", "Books US", "--conflict-policy", "vendor=loudest_wins")
    assert bad.returncode == 2 and "the policy must be one of" in one_line(bad.stderr)
    nothing = run_cli(workdir, "connections", "update", "Books US")
    assert nothing.returncode == 2 and "nothing to change" in one_line(nothing.stderr)


def test_piped_tables_are_not_cut_and_show_no_python_reprs(workdir: Path) -> None:
    long_name = "Books " + "x" * 150
    assert add(workdir, long_name, "--conflict-policy", "vendor=erp_wins").returncode == 0

    table = run_cli(workdir, "connections", "list", COLUMNS="")  # a pipe, no COLUMNS: Rich would use 80
    shown = run_cli(workdir, "connections", "show", long_name, COLUMNS="")

    assert table.returncode == 0 and shown.returncode == 0, table.stderr + shown.stderr
    assert any(long_name in line for line in table.stdout.splitlines())  # whole, on one line
    assert "…" not in table.stdout + shown.stdout
    assert "vendor: erp_wins" in shown.stdout
    assert "{'" not in shown.stdout and "True" not in shown.stdout


def test_narrow_output_folds_instead_of_cutting(workdir: Path) -> None:
    long_name = "Books-" + "y" * 120
    assert add(workdir, long_name).returncode == 0
    table = run_cli(workdir, "connections", "list", COLUMNS="60")
    assert table.returncode == 0 and "…" not in table.stdout
    assert table.stdout.count("y") >= 120  # every character of the name, folded over several lines


def _downgrade_on_a_terminal(workdir: Path, answer: bytes) -> int:
    """`db downgrade base` with stdin on a pseudo-terminal, answering the question with `answer`."""
    leader, follower = pty.openpty()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ERP_", "SMARTAP_", "DATABASE_"))}
    env["DATABASE_URL"] = database_url(workdir)
    process = subprocess.Popen(
        [sys.executable, "-m", "smartap_erp", "db", "downgrade", "base"],
        stdin=follower, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=workdir, env=env,
    )  # fmt: skip
    os.close(follower)
    os.write(leader, answer)
    try:
        process.communicate(timeout=60)
    finally:
        os.close(leader)
    return process.returncode


def _revision(workdir: Path) -> object:
    return json.loads(run_cli(workdir, "db", "current", "--json").stdout)["current"]


def test_db_downgrade_asks_before_dropping_everything(workdir: Path) -> None:
    head = migrate.head_revision()
    piped = run_cli(workdir, "db", "downgrade", "base")
    assert piped.returncode == 2
    assert "would drop every table and all data" in one_line(piped.stderr) and "--yes" in piped.stderr
    assert _revision(workdir) == head

    assert _downgrade_on_a_terminal(workdir, b"n\n") == 1  # declined: nothing happens
    assert _revision(workdir) == head
    assert _downgrade_on_a_terminal(workdir, b"y\n") == 0
    assert _revision(workdir) is None

    assert run_cli(workdir, "db", "upgrade").returncode == 0
    assert run_cli(workdir, "db", "downgrade", "base", "--yes").returncode == 0
    assert _revision(workdir) is None
