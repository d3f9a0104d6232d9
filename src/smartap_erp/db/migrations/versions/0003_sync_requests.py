"""Durable jobs: erp_sync_requests, the queued-but-not-started sync requests a new identical request
joins (DBOS cannot deduplicate on a partitioned queue).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 15:07:15.470175
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "erp_sync_requests",
        sa.Column("connection_id", sa.Uuid(), nullable=False),
        sa.Column("request_key", sa.String(length=255), nullable=False),
        sa.Column("workflow_id", sa.String(length=255), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["connection_id"],
            ["erp_connections.id"],
            name=op.f("fk_erp_sync_requests_connection_id_erp_connections"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_erp_sync_requests")),
        sa.UniqueConstraint(
            "connection_id", "request_key", name=op.f("uq_erp_sync_requests_connection_id_request_key")
        ),
    )


def downgrade() -> None:
    op.drop_table("erp_sync_requests")
