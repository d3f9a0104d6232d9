"""An index of conflicts by record: `erp_conflicts (connection_id, entity_type, status, erp_record_id)`.
Each imported page looks up the open conflicts of its records (`sync.imports.planning.open_conflicts`);
without it both databases read every open conflict, or every conflict of the connection, for every
page (`ix_erp_conflicts_status`, `ix_erp_conflicts_connection_id`), a cost that grows with each sync's
conflicts. `status` is in it so that SQLite, which keeps no statistics here, prefers it to the status
index (tests/sync/imports/test_conflict_lookup.py reads both databases' plans).

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-04 23:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_erp_conflicts_record",
        "erp_conflicts",
        ["connection_id", "entity_type", "status", "erp_record_id"],
    )


def downgrade() -> None:
    op.drop_index("ix_erp_conflicts_record", table_name="erp_conflicts")
