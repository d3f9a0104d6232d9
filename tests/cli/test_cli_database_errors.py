"""Database trouble reaches a CLI user as one line naming what failed: never SQL or parameters
(issue 12 item 9), and a missing or empty database is refused with a hint, never created empty."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from tests.cli.helpers import database_url
from tests.cli.helpers import run_cli as run


def _error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.strip()]


def test_a_failing_statement_is_one_line_without_sql_or_parameters(tmp_path: Path) -> None:
    assert run(tmp_path, "db", "upgrade").returncode == 0
    with sqlite3.connect(tmp_path / "data" / "smartap.db") as db:  # a schema the code no longer matches
        db.execute("ALTER TABLE erp_connections RENAME COLUMN api_url TO api_url_old")

    result = run(tmp_path, "connections", "list")

    assert result.returncode == 1
    lines = _error_lines(result.stderr)
    assert len(lines) == 1, result.stderr
    assert "database error while reading erp_connections" in lines[0]
    assert "api_url" in lines[0]  # the driver's reason is kept
    for leaked in ("SELECT", "[SQL", "parameters", "Traceback", "sqlalche.me"):
        assert leaked not in result.stderr + result.stdout


def test_a_missing_database_file_is_refused_and_not_created(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    url = f"sqlite+aiosqlite:///{elsewhere / 'none.db'}"

    result = run(tmp_path, "connections", "list", DATABASE_URL=url)

    assert result.returncode == 2
    lines = _error_lines(result.stderr)
    assert len(lines) == 1 and "smartap-erp db upgrade" in lines[0] and "none.db" in lines[0]
    assert not (elsewhere / "none.db").exists()
    assert not (tmp_path / "data").exists()  # nothing appears in the working directory either


def test_a_database_without_schema_gets_the_upgrade_hint(tmp_path: Path) -> None:
    path = Path(database_url(tmp_path).partition(":///")[2])
    path.parent.mkdir(parents=True)
    sqlite3.connect(path).close()  # an empty file, as older versions left behind

    result = run(tmp_path, "connections", "list")

    assert result.returncode == 2
    lines = _error_lines(result.stderr)
    assert len(lines) == 1 and "has no schema" in lines[0] and "db upgrade" in lines[0]
    assert "SELECT" not in result.stderr
