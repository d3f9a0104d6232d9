"""A partial index of failed and partial runs per connection: `erp_sync_logs (connection_id,
started_at, id) WHERE status IN ('failed', 'partial')`. A connection's recent failures (its health in
the API and on the web UI's connections screen) read it backwards instead of filtering every run of
the connection: about 11 ms to well under 1 ms per connection on PostgreSQL with 20,000 runs each
(docs/performance.md "Web UI").

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-04 16:05:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FAILED_OR_PARTIAL = "status IN ('failed', 'partial')"


def upgrade() -> None:
    op.create_index(
        "ix_erp_sync_logs_connection_failures",
        "erp_sync_logs",
        ["connection_id", "started_at", "id"],
        sqlite_where=sa.text(FAILED_OR_PARTIAL),
        postgresql_where=sa.text(FAILED_OR_PARTIAL),
    )


def downgrade() -> None:
    op.drop_index("ix_erp_sync_logs_connection_failures", table_name="erp_sync_logs")
