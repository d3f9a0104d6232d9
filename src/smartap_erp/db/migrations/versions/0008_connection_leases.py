"""Jobs: erp_connection_leases, one run per connection at a time.

A worker's queue keeps two jobs of one connection apart, but `--inline` and the demo run jobs in
their own process: the lease row (at most one per connection) is claimed atomically by whichever run
starts, renewed while it goes on, deleted when it ends, and expires when its holder dies
(`smartap_erp.jobs.lease`).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04 05:40:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "erp_connection_leases",
        sa.Column("connection_id", sa.Uuid(), nullable=False),
        sa.Column("holder", sa.String(length=255), nullable=False),
        sa.Column("process", sa.String(length=255), nullable=False),
        sa.Column("acquired_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["connection_id"],
            ["erp_connections.id"],
            name=op.f("fk_erp_connection_leases_connection_id_erp_connections"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("connection_id", name=op.f("pk_erp_connection_leases")),
    )


def downgrade() -> None:
    op.drop_table("erp_connection_leases")
