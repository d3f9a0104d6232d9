"""The HTTP exchanges of a sync run: `erp_sync_log_exchanges` (sync log, sequence number, method,
redacted URL, status, duration, the ERP's error code, transport error, time sent), deleted with
their sync log.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 10:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "erp_sync_log_exchanges",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("sync_log_id", sa.Uuid(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("url", sa.String(length=2048), nullable=False),
        sa.Column("status", sa.Integer(), nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.Column("erp_code", sa.String(length=128), nullable=True),
        sa.Column("error", sa.String(length=255), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["sync_log_id"],
            ["erp_sync_logs.id"],
            name=op.f("fk_erp_sync_log_exchanges_sync_log_id_erp_sync_logs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_erp_sync_log_exchanges")),
    )
    op.create_index(
        "ix_erp_sync_log_exchanges_log_seq", "erp_sync_log_exchanges", ["sync_log_id", "seq"], unique=True
    )
    op.create_index(op.f("ix_erp_sync_log_exchanges_at"), "erp_sync_log_exchanges", ["at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_erp_sync_log_exchanges_at"), table_name="erp_sync_log_exchanges")
    op.drop_index("ix_erp_sync_log_exchanges_log_seq", table_name="erp_sync_log_exchanges")
    op.drop_table("erp_sync_log_exchanges")
