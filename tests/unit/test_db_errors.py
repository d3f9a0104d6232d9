"""Database errors described for people (job errors, sync logs, the CLI): no SQL, no parameters."""

from __future__ import annotations

import sqlite3

from sqlalchemy.exc import IntegrityError, StatementError

from smartap_erp.db.errors import describe_exception, is_missing_schema, strip_sql


def test_a_statement_error_names_the_operation_and_the_cause_only() -> None:
    exc = StatementError(
        "(builtins.TypeError) Object of type Decimal is not JSON serializable",
        "INSERT INTO erp_conflicts (id, smartap_version) VALUES (?, ?)",
        ("4f1c", '{"unit_price": "secret vendor data"}'),
        TypeError("Object of type Decimal is not JSON serializable"),
    )
    text = describe_exception(exc)
    assert text == (
        "database error while inserting into erp_conflicts: TypeError: Object of type Decimal is not JSON "
        "serializable"
    )
    assert "\n" not in text and "secret vendor data" not in text and "VALUES" not in text


def test_a_driver_error_keeps_its_first_line_and_missing_tables_get_the_hint() -> None:
    duplicate = IntegrityError(
        'UPDATE "erp_connections" SET name=$1',
        ("Acme",),
        Exception('duplicate key value violates unique constraint "uq_x"\nDETAIL: Key (name)=(Acme) exists.'),
    )
    assert describe_exception(duplicate) == (
        "database error while updating erp_connections: Exception: duplicate key value violates unique "
        'constraint "uq_x"'
    )
    missing = IntegrityError(
        "SELECT a FROM erp_connections", (), sqlite3.OperationalError("no such table: x")
    )
    assert is_missing_schema(missing) and "run `smartap-erp db upgrade`" in describe_exception(missing)
    assert not is_missing_schema(duplicate)
    assert describe_exception(ValueError("bad\nsecond line")) == "ValueError: bad"


def test_a_message_quoting_a_database_error_loses_the_sql_but_keeps_the_rest() -> None:
    quoted = (
        "sync failed (ERROR): OperationalError: no such column: x\n[SQL: SELECT a[1] FROM t WHERE x = ?]\n"
        "[parameters: ('Acme Ltd',)]\n(Background on this error at: https://sqlalche.me/e/21/e3q8); "
        "retry with `smartap-erp sync retry 42`"
    )
    assert strip_sql(quoted) == (
        "sync failed (ERROR): OperationalError: no such column: x; retry with `smartap-erp sync retry 42`"
    )
    assert strip_sql("no database involved") == "no database involved"
