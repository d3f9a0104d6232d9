"""`mappings` and `logs` commands end to end (subprocess CLI on a migrated SQLite database)."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet

from smartap_erp.db.connections import create_connection
from smartap_erp.db.session import make_engine, make_session_factory
from smartap_erp.db.vault import CredentialVault, KeyRing
from smartap_erp.domain import ERPEntity, ERPSystem, RecordError, SyncDirection
from smartap_erp.sync.logs import finish_log, start_log
from tests.cli.helpers import database_url, run_cli
from tests.conftest import MigratedSqlite

NOW = dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def workdir(tmp_path: Path, migrated_sqlite: MigratedSqlite) -> Path:
    migrated_sqlite(database_url(tmp_path))

    async def seed() -> None:
        engine = make_engine(database_url(tmp_path))
        async with make_session_factory(engine)() as session:
            vault = CredentialVault(KeyRing([Fernet.generate_key()], "test"))
            conn = await create_connection(
                session, vault=vault, name="Books", system_type=ERPSystem.XERO, credentials={"x": "y"}
            )
            ok = await start_log(
                session, conn, entity=ERPEntity.VENDOR, direction=SyncDirection.IMPORT, now=NOW
            )
            finish_log(ok, conn, total=5, succeeded=5, errors=[], now=NOW + dt.timedelta(seconds=3))
            bad = await start_log(
                session,
                conn,
                entity=ERPEntity.INVOICE,
                direction=SyncDirection.EXPORT,
                now=NOW + dt.timedelta(minutes=1),
                triggered_by="ap@example.com",
            )
            finish_log(
                bad,
                conn,
                total=2,
                succeeded=1,
                now=NOW + dt.timedelta(minutes=2),
                errors=[RecordError(record_id="INV-9", field="vendor", message="vendor not mapped")],
            )
            await session.commit()
        await engine.dispose()

    asyncio.run(seed())
    return tmp_path


def test_logs_table_json_and_filters(workdir: Path) -> None:
    table = run_cli(workdir, "logs")
    assert table.returncode == 0 and "partial" in table.stdout and "completed" in table.stdout
    logs = json.loads(run_cli(workdir, "logs", "--json").stdout)
    assert [(entry["entity"], entry["status"]) for entry in logs] == [
        ("invoice", "partial"),
        ("vendor", "completed"),
    ]
    assert logs[0]["record_errors"][0]["message"] == "vendor not mapped"
    partial = json.loads(
        run_cli(workdir, "logs", "--status", "partial", "--connection", "Books", "--json").stdout
    )
    assert [entry["triggered_by"] for entry in partial] == ["ap@example.com"]
    assert run_cli(workdir, "logs", "--connection", "Nope").returncode == 2
    assert run_cli(workdir, "logs", "--status", "weird").returncode == 2


def test_mappings_add_list_test_remove(workdir: Path) -> None:
    added = run_cli(
        workdir,
        "mappings",
        "add",
        "Books",
        "--entity",
        "invoice",
        "--smartap-field",
        "invoice_number",
        "--erp-field",
        "invoice_number",
        "--rule",
        "value.upper()",
        "--json",
    )
    assert added.returncode == 0, added.stderr
    refused = run_cli(
        workdir,
        "mappings",
        "add",
        "Books",
        "--entity",
        "invoice",
        "--smartap-field",
        "a",
        "--erp-field",
        "b",
        "--rule",
        "open('/etc/passwd')",
    )
    assert refused.returncode == 2 and "not allowed" in refused.stderr
    listed = json.loads(run_cli(workdir, "mappings", "list", "Books", "--json").stdout)
    assert [(m["erp_field"], m["rule"]) for m in listed] == [("invoice_number", "value.upper()")]

    tried = run_cli(
        workdir,
        "mappings",
        "test",
        "--sample",
        '{"invoice_number": "sup-7"}',
        "--smartap-field",
        "invoice_number",
        "--erp-field",
        "InvoiceNumber",
        "--rule",
        "value.upper()",
        "--json",
    )
    assert json.loads(tried.stdout) == {"result": {"InvoiceNumber": "SUP-7"}, "errors": []}
    failing = run_cli(
        workdir,
        "mappings",
        "test",
        "--sample",
        '{"n": "x"}',
        "--smartap-field",
        "n",
        "--erp-field",
        "N",
        "--regex",
        "^[0-9]+$",
        "--json",
    )
    assert failing.returncode == 1 and "does not match" in failing.stdout
    assert (
        run_cli(
            workdir, "mappings", "test", "--sample", "{bad", "--smartap-field", "a", "--erp-field", "b"
        ).returncode
        == 2
    )

    assert run_cli(workdir, "mappings", "remove", listed[0]["id"]).returncode == 0
    assert json.loads(run_cli(workdir, "mappings", "list", "Books", "--json").stdout) == []
    assert run_cli(workdir, "mappings", "remove", "not-an-id").returncode == 2


def _add(workdir: Path, smartap_field: str, erp_field: str, entity: str = "invoice") -> Any:
    return run_cli(
        workdir,
        "mappings",
        "add",
        "Books",
        "--entity",
        entity,
        "--smartap-field",
        smartap_field,
        "--erp-field",
        erp_field,
    )


def test_mappings_add_checks_both_fields_against_the_erps_catalogue(workdir: Path) -> None:
    huge = _add(workdir, "memo", "Line[100000000].Amount")
    assert huge.returncode == 2 and "out of range (0 to 999)" in huge.stderr
    bogus = _add(workdir, "bogus_field", "invoice_number")
    assert bogus.returncode == 2 and "smartap_field: 'bogus_field' is not a invoice field" in bogus.stderr
    assert "vendor.tax_id" in bogus.stderr  # what is allowed
    no_memo = _add(workdir, "memo", "memo")  # the connection is Xero: its bills have no memo
    assert no_memo.returncode == 2 and "erp_field: 'memo'" in no_memo.stderr
    vendor = _add(workdir, "address.city", "address.city", entity="vendor")
    assert vendor.returncode == 0, vendor.stderr
    assert "every connection shares" in " ".join(vendor.stdout.split())
    listed = json.loads(run_cli(workdir, "mappings", "list", "Books", "--json").stdout)
    assert [m["erp_field"] for m in listed] == ["address.city"]


@pytest.mark.parametrize(
    ("rule", "sample", "reason"),
    [
        ("string(100 / (value - 1))", '{"memo": 1}', "division by zero"),
        ("string(9223372036854775807 + value)", '{"memo": 1}', "overflow"),
    ],
)
def test_mappings_test_prints_a_failing_rule_in_one_line(
    workdir: Path, rule: str, sample: str, reason: str
) -> None:
    fields = ("--smartap-field", "memo", "--erp-field", "memo")
    tried = run_cli(workdir, "mappings", "test", "--sample", sample, *fields, "--rule", rule)
    output = tried.stdout + tried.stderr
    assert tried.returncode == 1 and "Traceback" not in output
    assert next(line for line in output.splitlines() if reason in line).startswith("memo: evaluation failed")


def test_mappings_test_checks_the_catalogue_when_given_the_erp(workdir: Path) -> None:
    fields = ("--smartap-field", "bogus_field", "--erp-field", "memo")
    catalogue = ("--erp", "quickbooks", "--entity", "invoice")
    tried = run_cli(workdir, "mappings", "test", "--sample", "{}", *fields, *catalogue)
    assert tried.returncode == 2 and "smartap_field: 'bogus_field'" in tried.stderr
