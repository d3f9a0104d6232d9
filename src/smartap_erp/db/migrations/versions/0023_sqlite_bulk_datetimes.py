"""SQLite only: datetimes the bulk page writer stored before 2026-12-04 without the ORM's microsecond
part. `sync.imports.bulk` handed UTC datetimes to sqlite3's own adapter, which writes
`2024-06-01 12:00:07` where SQLAlchemy writes `2024-06-01 12:00:07.000000` (a value without
microseconds, such as an ERP's LastUpdatedTime); both read back as the same instant, but SQL compares
them as text, so such a row sorted before an equal bound. This appends `.000000` to those 19-character
values of the tables bulk-written by imports. PostgreSQL stores timestamps natively: nothing to do.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-04 21:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_SYNCED = ("first_synced_at", "last_synced_at", "erp_updated_at", "created_at", "updated_at")
BULK_WRITTEN: dict[str, tuple[str, ...]] = {
    "vendors": ("created_at", "updated_at"),
    "erp_vendor_mappings": _SYNCED,
    "purchase_orders": ("created_at", "updated_at"),
    "erp_po_mappings": _SYNCED,
    "erp_conflicts": ("resolved_at", "created_at", "updated_at"),
}


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for table, columns in BULK_WRITTEN.items():
        for column in columns:
            op.execute(
                f"UPDATE {table} SET {column} = {column} || '.000000' "  # noqa: S608 - fixed names above
                f"WHERE typeof({column}) = 'text' AND length({column}) = 19"
            )


def downgrade() -> None:
    """Nothing to undo: both forms read back as the same instant."""
