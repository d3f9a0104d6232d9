"""The command line: version, db upgrade/current/downgrade, keys generate/rotate, about, exit codes."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from smartap_erp import __version__
from smartap_erp.db import migrate
from tests.cli.helpers import run_cli as run


def test_version(tmp_path: Path) -> None:
    result = run(tmp_path, "--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"smartap-erp {__version__}"


def test_db_upgrade_current_and_downgrade(tmp_path: Path) -> None:
    upgraded = run(tmp_path, "db", "upgrade")
    assert upgraded.returncode == 0, upgraded.stderr
    assert f"revision {migrate.head_revision()}" in upgraded.stdout
    current = json.loads(run(tmp_path, "db", "current", "--json").stdout)
    assert current["current"] == current["head"] == migrate.head_revision() and current["up_to_date"] is True
    assert run(tmp_path, "db", "downgrade", "base", "--yes").returncode == 0
    assert json.loads(run(tmp_path, "db", "current", "--json").stdout)["current"] is None


def test_keys_generate_prints_a_usable_key(tmp_path: Path) -> None:
    key = run(tmp_path, "keys", "generate").stdout.strip()
    Fernet(key.encode())  # raises if not a key


def test_keys_rotate_with_embedded_key_file(tmp_path: Path) -> None:
    assert run(tmp_path, "db", "upgrade").returncode == 0
    first = run(tmp_path, "keys", "rotate")
    assert first.returncode == 0, first.stderr
    assert re.search(r"connection credentials\s*│\s*0\s*│", first.stdout), first.stdout
    key_file = tmp_path / "data" / "smartap.key"
    keys_before = key_file.read_text().split()
    assert run(tmp_path, "keys", "rotate", "--new-key").returncode == 0
    keys_after = key_file.read_text().split()
    assert len(keys_after) == 2 and keys_after[1:] == keys_before


def test_bad_configuration_exits_2_with_one_line(tmp_path: Path) -> None:
    result = run(tmp_path, "about", ERP_SYNC_INTERVAL_MINUTES="soon")
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "ERP_SYNC_INTERVAL_MINUTES" in lines[0]


def test_bad_key_exits_2_without_echoing_it(tmp_path: Path) -> None:
    result = run(tmp_path, "keys", "rotate", SMARTAP_ENCRYPTION_KEYS="sekrit-not-a-key")
    assert result.returncode == 2
    assert "key #1 is not a Fernet key" in result.stderr
    assert "sekrit" not in result.stderr + result.stdout


def test_unknown_command_is_usage_error(tmp_path: Path) -> None:
    assert run(tmp_path, "db", "explode").returncode == 2


@pytest.mark.parametrize("as_json", [True, False])
def test_about_lists_capabilities_and_erps(tmp_path: Path, as_json: bool) -> None:
    result = run(tmp_path, "about", *(["--json"] if as_json else []))
    assert result.returncode == 0, result.stderr
    if as_json:
        about = json.loads(result.stdout)
        assert [erp["system"] for erp in about["erps"]] == ["quickbooks", "xero", "sap", "netsuite"]
        assert "export approved invoices as bills" in about["capabilities"]
        connectors = {erp["system"]: erp["connector"] for erp in about["erps"]}
        assert connectors["quickbooks"] == connectors["xero"] == connectors["netsuite"] == "available"
    else:
        assert "QuickBooks Online" in result.stdout and "SAP Business One" in result.stdout
        assert "available" in result.stdout
