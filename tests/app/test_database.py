"""The database application functions on SQLite and PostgreSQL: upgrade, current revision and
downgrade of the schema, a URL shown without its password, and database failures described in one line
without SQL while anything else is left to raise (issue 13 item 2)."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from smartap_erp.app import database
from smartap_erp.db import migrate
from smartap_erp.db.session import make_engine
from smartap_erp.settings import Settings


async def test_upgrade_current_and_downgrade(empty_database_url: str) -> None:
    settings = Settings(database_url=empty_database_url)

    empty = await database.current(settings)
    assert (empty.current, empty.up_to_date) == (None, False) and empty.head == migrate.head_revision()

    upgraded = await database.upgrade(settings)
    assert upgraded.current == migrate.head_revision() and upgraded.up_to_date

    emptied = await database.downgrade(settings, "base")
    assert emptied.current is None and not emptied.up_to_date
    engine = make_engine(empty_database_url)
    try:
        async with engine.connect() as conn:
            with pytest.raises(Exception, match="erp_connections"):
                await conn.execute(text("SELECT count(*) FROM erp_connections"))
    finally:
        await engine.dispose()


def test_a_url_is_shown_without_its_password() -> None:
    shown = database.describe_url("postgresql+asyncpg://ap:s3cr3t@db.example:5432/smartap")
    assert "s3cr3t" not in shown and shown.startswith("postgresql+asyncpg://ap:***@db.example")
    assert database.downgrade_consequence("base") == "drop every table and all data"
    assert database.downgrade_consequence("0003") == "drop the tables and columns added since"


def test_database_failures_are_one_line_without_sql_and_other_errors_are_not_theirs() -> None:
    missing = OperationalError(
        "SELECT secret_column FROM erp_connections WHERE name = ?", ("acme",), Exception("no such table: x")
    )
    described = database.database_failure(missing)
    assert described is not None and described.missing_schema
    assert "db upgrade" in described.message and "secret_column" not in described.message
    broken = OperationalError(
        "INSERT INTO erp_conflicts (a) VALUES (?)", ("pii",), Exception("disk I/O error")
    )
    other = database.database_failure(broken)
    assert other is not None and not other.missing_schema
    assert (
        other.message.startswith("database error while inserting into erp_conflicts")
        and "pii" not in other.message
    )
    assert database.database_failure(KeyError("bug")) is None
