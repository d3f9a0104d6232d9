"""`connections accounts` and `connections tax-codes` end to end: a QuickBooks simulator served on
loopback, the CLI in a subprocess, a table for people and JSON for scripts; an unknown connection is
exit 2 with one line."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from erpsim.core import Clock, SimConfig
from erpsim.core.testing import LiveServer, live_server
from erpsim.quickbooks import create_app
from tests.cli.helpers import database_url, run_cli
from tests.conftest import MigratedSqlite


@pytest.fixture
def books(tmp_path: Path, migrated_sqlite: MigratedSqlite) -> Iterator[LiveServer]:
    migrated_sqlite(database_url(tmp_path))
    app = create_app(SimConfig(clock=Clock.real(), vendors=1, purchase_orders=0, bills=0))
    with live_server(app) as server:
        (tmp_path / "qbo.json").write_text(json.dumps(server.sim.credentials()))
        added = run_cli(
            tmp_path, "connections", "add", "--system", "quickbooks", "--name", "Books",
            "--credentials-file", "qbo.json", "--api-url", server.base_url,
        )  # fmt: skip
        assert added.returncode == 0, added.stderr
        yield server


def test_accounts_and_tax_codes_as_json_and_tables(tmp_path: Path, books: LiveServer) -> None:
    accounts = run_cli(tmp_path, "connections", "accounts", "Books", "--json")
    taxes = run_cli(tmp_path, "connections", "tax-codes", "Books", "--json")

    assert accounts.returncode == 0 and taxes.returncode == 0, accounts.stderr + taxes.stderr
    listed = json.loads(accounts.stdout)
    assert listed and {"external_id", "code", "name", "account_type", "is_active", "currency"} <= set(
        listed[0]
    )
    codes = json.loads(taxes.stdout)
    assert codes and all(c["rate"] is None or isinstance(c["rate"], str) for c in codes)

    table = run_cli(tmp_path, "connections", "accounts", "Books")
    assert table.returncode == 0 and "Accounts of Books" in table.stdout
    assert listed[0]["name"] in table.stdout
    tax_table = run_cli(tmp_path, "connections", "tax-codes", "Books")
    assert tax_table.returncode == 0 and "Tax codes of Books" in tax_table.stdout
    assert codes[0]["code"] in tax_table.stdout


def test_an_unknown_connection_is_one_line_and_exit_2(tmp_path: Path, books: LiveServer) -> None:
    for command in ("accounts", "tax-codes"):
        result = run_cli(tmp_path, "connections", command, "Nope")
        assert result.returncode == 2
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        assert len(lines) == 1 and "no connection named" in lines[0]
