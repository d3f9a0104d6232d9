"""Migrations create the whole schema from empty, revert it to nothing, and match the models."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from smartap_erp.db import migrate
from smartap_erp.db.models import Base
from smartap_erp.db.session import make_engine

SEED_TABLES = {
    "erp_connections",
    "erp_sync_logs",
    "erp_field_mappings",
    "erp_vendor_mappings",
    "erp_invoice_mappings",
}
SYNC_TABLES = {
    "vendors",
    "purchase_orders",
    "purchase_order_lines",
    "invoices",
    "invoice_lines",
    "erp_sync_cursors",
    "erp_conflicts",
    "erp_po_mappings",
}


async def _tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        async with engine.connect() as conn:
            return set(await conn.run_sync(lambda sync: inspect(sync).get_table_names()))
    finally:
        await engine.dispose()


async def _diff(url: str) -> list[Any]:
    engine = make_engine(url)
    try:
        async with engine.connect() as conn:
            return await conn.run_sync(
                lambda sync: compare_metadata(
                    MigrationContext.configure(sync, opts={"compare_type": True}), Base.metadata
                )
            )
    finally:
        await engine.dispose()


async def test_upgrade_from_empty_then_downgrade_to_nothing(empty_database_url: str) -> None:
    engine = make_engine(empty_database_url)
    try:
        await migrate.upgrade_engine(engine)
        assert await migrate.current_revision(engine) == migrate.head_revision()
        tables = await _tables(empty_database_url)
        assert tables >= SEED_TABLES | SYNC_TABLES

        await migrate.downgrade_engine(engine)
        assert await migrate.current_revision(engine) is None
    finally:
        await engine.dispose()
    assert await _tables(empty_database_url) <= {"alembic_version"}


async def test_models_match_migrations(empty_database_url: str) -> None:
    engine = make_engine(empty_database_url)
    try:
        await migrate.upgrade_engine(engine)
    finally:
        await engine.dispose()
    assert await _diff(empty_database_url) == []


async def test_seed_columns_all_present(empty_database_url: str) -> None:
    engine = make_engine(empty_database_url)
    try:
        await migrate.upgrade_engine(engine)
        async with engine.connect() as conn:
            columns = await conn.run_sync(
                lambda sync: {t: {c["name"] for c in inspect(sync).get_columns(t)} for t in SEED_TABLES}
            )
    finally:
        await engine.dispose()
    assert {
        "id",
        "name",
        "system_type",
        "status",
        "credentials",
        "tenant_id",
        "company_db",
        "api_url",
        "last_connected_at",
        "last_sync_at",
        "connection_error",
        "auto_sync_enabled",
        "sync_interval_minutes",
        "created_at",
        "updated_at",
        "created_by",
    } <= columns["erp_connections"]
    assert {
        "id",
        "connection_id",
        "entity_type",
        "sync_direction",
        "status",
        "started_at",
        "completed_at",
        "duration_seconds",
        "total_count",
        "success_count",
        "error_count",
        "errors",
        "error_message",
        "sync_params",
        "triggered_by",
    } <= columns["erp_sync_logs"]
    assert {
        "id",
        "connection_id",
        "entity_type",
        "smartap_field",
        "erp_field",
        "transformation_rule",
        "default_value",
        "is_required",
        "validation_regex",
        "description",
        "created_at",
        "updated_at",
    } <= columns["erp_field_mappings"]
    assert {
        "id",
        "connection_id",
        "smartap_vendor_id",
        "erp_vendor_id",
        "erp_vendor_name",
        "first_synced_at",
        "last_synced_at",
        "sync_count",
        "is_active",
        "created_at",
        "updated_at",
    } <= columns["erp_vendor_mappings"]
    assert {
        "id",
        "connection_id",
        "smartap_invoice_id",
        "erp_invoice_id",
        "erp_invoice_number",
        "exported_at",
        "exported_by",
        "payment_status",
        "payment_synced_at",
        "payment_amount",
        "created_at",
        "updated_at",
    } <= columns["erp_invoice_mappings"]


def test_cli_style_sync_upgrade_on_sqlite(tmp_path: Any) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'nested' / 'cli.db'}"
    migrate.upgrade(url)
    migrate.upgrade(url)  # idempotent: a second run is a no-op
    migrate.downgrade(url)
    migrate.upgrade(url)
    assert (tmp_path / "nested" / "cli.db").exists()


def test_0023_gives_bulk_written_sqlite_datetimes_the_orm_format(tmp_path: Any) -> None:
    """Rows the bulk writer stored with sqlite3's adapter (no microseconds) compare as the ORM's after."""
    import sqlite3

    url = f"sqlite+aiosqlite:///{tmp_path / 'old.db'}"
    migrate.upgrade(url, "0022")
    with sqlite3.connect(tmp_path / "old.db") as db:
        db.execute(
            "INSERT INTO vendors (id, name, normalized_name, is_active, created_at, updated_at) VALUES "
            "('a', 'Old', 'old', 1, '2024-06-01 12:00:07', '2024-06-01 12:00:07.250000')"
        )
    migrate.upgrade(url)
    with sqlite3.connect(tmp_path / "old.db") as db:
        stored = db.execute("SELECT created_at, updated_at FROM vendors").fetchone()
        later = db.execute("SELECT count(*) FROM vendors WHERE created_at >= '2024-06-01 12:00:07.000000'")
        assert later.fetchone()[0] == 1
    assert stored == ("2024-06-01 12:00:07.000000", "2024-06-01 12:00:07.250000")
