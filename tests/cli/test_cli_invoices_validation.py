"""`invoices import|approve|list` in a subprocess: bad rows are refused one line each while the good
rows are kept (exit 1), unreadable files are one line (exit 2), shared invoice numbers are never
approved blindly, and big results are summaries unless details are asked for."""

from __future__ import annotations

import asyncio
import io
import json
import re
from pathlib import Path

import pytest

from smartap_erp.db.models import Vendor
from smartap_erp.db.session import make_engine, make_session_factory
from tests.cli.helpers import database_url, run_cli
from tests.conftest import MigratedSqlite

HEADER = "invoice_number,vendor,invoice_date,currency,tax_amount,description,amount,account_code\n"


@pytest.fixture
def workdir(tmp_path: Path, migrated_sqlite: MigratedSqlite) -> Path:
    migrated_sqlite(database_url(tmp_path))

    async def add_vendors() -> None:
        engine = make_engine(database_url(tmp_path))
        async with make_session_factory(engine)() as session:
            for name, tax_id in (("Acme Paper", "12-3456789"), ("Beta Office", "98-7654321")):
                session.add(Vendor(name=name, normalized_name=name.lower(), tax_id=tax_id))
            await session.commit()
        await engine.dispose()

    asyncio.run(add_vendors())
    return tmp_path


def lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


def test_import_refuses_each_bad_row_and_keeps_the_good_ones(workdir: Path) -> None:
    huge = "x" * (130 * 1024)
    (workdir / "mixed.csv").write_text(
        HEADER
        + "GOOD-1,Acme Paper,2024-05-01,USD,1.00,Paper,10.00,6000\n"
        + "NC-1,Acme Paper,2024-05-01,USD,,Paper,10.00,6000\n"
        + "NC-1,Acme Paper,2024-06-01,EUR,,Toner,20.00,6000\n"
        + "NEG-1,Acme Paper,2024-05-01,USD,-25.00,Refund,-25.00,6000\n"
        + "CUR-1,Acme Paper,2024-05-01,XYZ,,Paper,10.00,6000\n"
        + "BIG-1,Acme Paper,2024-05-01,USD,,Paper,1e20,6000\n"
        + "BIG-2,Acme Paper,2024-05-01,USD,,Paper,1e309,6000\n"
        + "NUL-1,Acme Paper,2024-05-01,USD,,Pa\x00per,10.00,6000\n"
        + f"HUGE-1,Acme Paper,2024-05-01,USD,,{huge},10.00,6000\n"
        + "GOOD-2,98-7654321,2024-05-02,EUR,,Chairs,99.90,6000\n"
    )
    result = run_cli(workdir, "invoices", "import", "mixed.csv")
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    refused = lines(result.stderr)
    assert [line.split(":")[0] for line in refused] == [f"refused row {n}" for n in range(3, 11)]
    assert "currency 'EUR' differs from 'USD' on row 3" in refused[1]
    assert "must not be negative" in refused[2] and "no credit notes" in refused[2]
    assert "'XYZ' is not an active ISO 4217 currency code" in refused[3]
    assert "contains a NUL character" in refused[6] and "at most 4000 characters" in refused[7]
    assert re.search(r"invoices imported\s+│ 2 ", result.stdout) and re.search(
        r"rows refused\s+│ 8 ", result.stdout
    )
    assert "amount (2)" in result.stdout  # why refused, counted

    listed = json.loads(run_cli(workdir, "invoices", "list", "--json").stdout)
    assert sorted((i["invoice_number"], i["currency"], i["total"]) for i in listed) == [
        ("GOOD-1", "USD", "11.00"),
        ("GOOD-2", "EUR", "99.90"),
    ]


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("utf16.csv", HEADER.encode("utf-16"), "the file is UTF-16; save it as UTF-8"),
        ("latin1.csv", (HEADER + "C-1,Caf\u00e9,2024-05-01,USD,,x,1,6000\n").encode("latin-1"), "not UTF-8"),
        ("deep.json", b"[" * 100_000 + b"]" * 100_000, "nested far deeper than invoices are"),
    ],
)
def test_an_unreadable_file_is_one_line_and_exit_2(
    workdir: Path, name: str, data: bytes, message: str
) -> None:
    (workdir / name).write_bytes(data)
    result = run_cli(workdir, "invoices", "import", name, "--json")
    assert result.returncode == 2 and result.stdout == ""
    [line] = lines(result.stderr)
    assert message in line and line.startswith("error:")


def test_a_number_two_vendors_share_is_not_approved_blindly(workdir: Path) -> None:
    (workdir / "shared.csv").write_text(
        HEADER
        + "NC-2004,Acme Paper,2024-05-01,USD,,Paper,10.00,6000\n"
        + "NC-2004,Beta Office,2024-05-03,USD,,Desk,250.00,6000\n"
        + "B-7,Beta Office,2024-05-02,USD,,Chair,50.00,6000\n"
    )
    assert run_cli(workdir, "invoices", "import", "shared.csv").returncode == 0

    ambiguous = run_cli(workdir, "invoices", "approve", "NC-2004")
    assert ambiguous.returncode == 2
    [line] = lines(ambiguous.stderr)
    assert "NC-2004 is ambiguous, 2 invoices have this number: Acme Paper (id " in line
    assert "Beta Office (id " in line and "--vendor" in line and "nothing was approved" in line
    pending = json.loads(
        run_cli(workdir, "invoices", "list", "--status", "pending_approval", "--json").stdout
    )
    assert len(pending) == 3

    picked = run_cli(workdir, "invoices", "approve", "NC-2004", "--vendor", "beta office", "--json")
    assert picked.returncode == 0, picked.stderr
    assert json.loads(picked.stdout) == {"approved": 1, "not_pending": []}
    acme_id = next(i["id"] for i in pending if i["vendor"] == "Acme Paper")
    by_id = run_cli(workdir, "invoices", "approve", acme_id, "--details", "--json")
    assert [(i["vendor"], i["status"]) for i in json.loads(by_id.stdout)["invoices"]] == [
        ("Acme Paper", "approved")
    ]

    rest = run_cli(workdir, "invoices", "approve", "--all")
    assert rest.returncode == 0 and re.search(r"approved\s+│ 1 ", rest.stdout) and "B-7" not in rest.stdout
    unknown = run_cli(workdir, "invoices", "approve", "NOPE-1", "NC-2004")
    assert unknown.returncode == 2
    assert [line.split(" ", 2)[1] for line in lines(unknown.stderr)] == ["NOPE-1:", "NC-2004"]


def test_list_has_a_limit_and_says_how_many_there_are(workdir: Path) -> None:
    (workdir / "three.csv").write_text(
        HEADER + "".join(f"L-{d},Acme Paper,2024-05-0{d},USD,,Paper,1.00,6000\n" for d in (1, 2, 3))
    )
    assert run_cli(workdir, "invoices", "import", "three.csv").returncode == 0
    table = run_cli(workdir, "invoices", "list", "--limit", "2")
    assert "the newest 2 of 3" in table.stdout and "L-3" in table.stdout and "L-1" not in table.stdout
    limited = run_cli(workdir, "invoices", "list", "--limit", "1", "--json")
    assert [i["invoice_number"] for i in json.loads(limited.stdout)] == ["L-3"]
    assert "1 of 3 invoices listed" in limited.stderr
    by_vendor = run_cli(workdir, "invoices", "list", "--vendor", "Beta Office", "--json")
    assert json.loads(by_vendor.stdout) == []


@pytest.mark.parametrize("terminal", [True, False])
def test_progress_is_drawn_on_stderr_only_on_a_terminal(
    monkeypatch: pytest.MonkeyPatch, terminal: bool
) -> None:
    from rich.console import Console

    from smartap_erp.cli import invoices

    screen = io.StringIO()
    monkeypatch.setattr(invoices, "error_console", Console(file=screen, force_terminal=terminal, width=100))
    with invoices._progress("Importing big.csv", 3) as advance:
        advance(2)
        advance(1)
    assert ("Importing big.csv" in screen.getvalue()) is terminal
    assert terminal or screen.getvalue() == ""
