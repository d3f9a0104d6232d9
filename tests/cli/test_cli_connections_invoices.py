"""`connections` and `invoices` commands end to end: a QuickBooks simulator served on loopback, the CLI
in a subprocess, and bad input giving exit code 1 or 2 with a one-line reason."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from erpsim.core import Clock, SimConfig
from erpsim.core.testing import LiveServer, live_server
from erpsim.quickbooks import create_app
from smartap_erp.db.models import Vendor
from smartap_erp.db.session import make_engine, make_session_factory
from tests.cli.helpers import database_url, run_cli
from tests.conftest import MigratedSqlite


@pytest.fixture
def qbo() -> Iterator[LiveServer]:
    app = create_app(SimConfig(clock=Clock.real(), vendors=5, purchase_orders=2, bills=1))
    with live_server(app) as server:
        yield server


@pytest.fixture
def workdir(tmp_path: Path, migrated_sqlite: MigratedSqlite) -> Path:
    migrated_sqlite(database_url(tmp_path))
    return tmp_path


def one_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    return lines[0]


def test_connection_lifecycle(workdir: Path, qbo: LiveServer) -> None:
    creds = qbo.sim.credentials()
    (workdir / "qbo.json").write_text(json.dumps(creds))
    added = run_cli(
        workdir,
        "connections",
        "add",
        "--system",
        "quickbooks",
        "--name",
        "Books",
        "--credentials-file",
        "qbo.json",
        "--api-url",
        qbo.base_url,
        "--json",
    )
    assert added.returncode == 0, added.stderr
    assert json.loads(added.stdout)["status"] == "pending"

    tested = run_cli(workdir, "connections", "test", "Books", "--json")
    assert tested.returncode == 0, tested.stderr
    assert json.loads(tested.stdout)["company_id"] == creds["realm_id"]

    listed = json.loads(run_cli(workdir, "connections", "list", "--json").stdout)
    assert [(c["name"], c["status"]) for c in listed] == [("Books", "active")]
    shown = run_cli(workdir, "connections", "show", "Books", "--json")
    assert set(json.loads(shown.stdout)["credential_keys"]) == set(creds)
    everything = added.stdout + tested.stdout + shown.stdout + shown.stderr
    assert all(value not in everything for key, value in creds.items() if key != "realm_id")

    assert run_cli(workdir, "connections", "remove", "Books", "--yes").returncode == 0
    assert json.loads(run_cli(workdir, "connections", "list", "--json").stdout) == []


def test_refused_credentials_mark_the_connection(workdir: Path, qbo: LiveServer) -> None:
    bad = {**qbo.sim.credentials(), "access_token": "expired-token", "refresh_token": "revoked-token"}
    (workdir / "bad.json").write_text(json.dumps(bad))
    run_cli(
        workdir,
        "connections",
        "add",
        "--system",
        "quickbooks",
        "--name",
        "Old",
        "--credentials-file",
        "bad.json",
        "--api-url",
        qbo.base_url,
    )
    result = run_cli(workdir, "connections", "test", "Old")
    assert result.returncode == 1
    assert "connection test failed" in one_line(result.stderr) and "revoked-token" not in result.stderr
    listed = json.loads(run_cli(workdir, "connections", "list", "--json").stdout)
    assert listed[0]["status"] == "error" and listed[0]["error"].startswith("reconnect QuickBooks")


@pytest.mark.parametrize(
    ("args", "content", "message"),
    [
        (["--credentials-file", "missing.json"], None, "no such file"),
        (["--credentials-file", "c.json"], "{not json", "not JSON"),
        (["--credentials-file", "c.json"], '{"client_id": "x"}', "quickbooks needs client_secret"),
    ],
)
def test_bad_connection_input_is_exit_2_with_one_line(
    workdir: Path, args: list[str], content: str | None, message: str
) -> None:
    if content is not None:
        (workdir / "c.json").write_text(content)
    result = run_cli(workdir, "connections", "add", "--system", "quickbooks", "--name", "X", *args)
    assert result.returncode == 2
    assert message in one_line(result.stderr)


def test_unknown_connection_and_unknown_system(workdir: Path) -> None:
    unknown = run_cli(workdir, "connections", "show", "Nope")
    assert unknown.returncode == 2 and "no connection named" in one_line(unknown.stderr)
    assert (
        run_cli(
            workdir, "connections", "add", "--system", "sage-x", "--name", "X", "--credentials-file", "x.json"
        ).returncode
        == 2
    )


def _add_vendor(tmp_path: Path, name: str, tax_id: str) -> None:
    async def go() -> None:
        engine = make_engine(database_url(tmp_path))
        async with make_session_factory(engine)() as session:
            session.add(Vendor(name=name, normalized_name=name.lower(), tax_id=tax_id))
            await session.commit()
        await engine.dispose()

    asyncio.run(go())


CSV = """invoice_number,vendor,invoice_date,due_date,currency,tax_amount,description,amount,account_code
SUP-1,Acme Paper,2024-05-01,2024-05-31,USD,10.00,Paper,100.00,8
SUP-1,Acme Paper,2024-05-01,2024-05-31,USD,10.00,Toner,50.50,8
SUP-2,Acme Paper,2024-05-02,,USD,,Chairs,abc,8
SUP-3,Nobody Ltd,2024-05-02,,USD,,Desk,10.00,8
SUP-4,12-3456789,2024-05-03,,USD,,Lamp,19.99,
"""


def test_invoice_import_validates_row_by_row_then_approve(workdir: Path) -> None:
    _add_vendor(workdir, "Acme Paper", "12-3456789")
    (workdir / "invoices.csv").write_text(CSV)
    result = run_cli(workdir, "invoices", "import", "invoices.csv", "--json")
    assert result.returncode == 1  # some rows were refused
    report = json.loads(result.stdout)
    assert report["imported"] == 1
    problems = "\n".join(report["problems"])
    assert "row 4: amount: expected a decimal number, got 'abc'" in problems
    assert "Nobody Ltd" in problems and "row 6:" in problems and "account_code or an item_code" in problems

    again = run_cli(workdir, "invoices", "import", "invoices.csv", "--json")
    assert "already has invoice SUP-1" in "\n".join(json.loads(again.stdout)["problems"])

    approved = run_cli(
        workdir, "invoices", "approve", "--all", "--by", "controller@example.com", "--details", "--json"
    )
    assert approved.returncode == 0, approved.stderr
    assert json.loads(approved.stdout)["approved"] == 1
    rows = json.loads(approved.stdout)["invoices"]
    assert [(r["invoice_number"], r["total"], r["status"]) for r in rows] == [("SUP-1", "160.50", "approved")]


def test_invoice_import_json_and_bad_files(workdir: Path) -> None:
    _add_vendor(workdir, "Acme Paper", "12-3456789")
    invoices = [
        {
            "invoice_number": "J-1",
            "vendor": "acme paper",
            "invoice_date": "2024-05-01",
            "currency": "USD",
            "lines": [{"amount": "12.34", "item_code": "1", "quantity": "2", "unit_price": "6.17"}],
        }
    ]
    (workdir / "inv.json").write_text(json.dumps(invoices))
    ok = run_cli(workdir, "invoices", "import", "inv.json", "--json")
    assert ok.returncode == 0
    summary = {"imported": 1, "imported_rows": 1, "refused": 0, "reasons": {}, "problems": []}
    assert json.loads(ok.stdout) == summary
    listed = json.loads(run_cli(workdir, "invoices", "list", "--status", "pending_approval", "--json").stdout)
    assert [i["invoice_number"] for i in listed] == ["J-1"]

    missing = run_cli(workdir, "invoices", "import", "nope.csv")
    assert missing.returncode == 2 and "no such file" in one_line(missing.stderr)
    (workdir / "bad.json").write_text("[{")
    assert "not valid JSON" in one_line(run_cli(workdir, "invoices", "import", "bad.json").stderr)
    (workdir / "bad.csv").write_text("number,amount\n1,2\n")
    assert "CSV header lacks the column(s)" in one_line(
        run_cli(workdir, "invoices", "import", "bad.csv").stderr
    )
    assert run_cli(workdir, "invoices", "approve").returncode == 2
