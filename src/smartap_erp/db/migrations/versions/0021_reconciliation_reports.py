"""Reconciliation reports (issue 16, item 6): `erp_reconciliation_reports`, one row per run of a
connection's reconciliation (status, who started it, the job, when, per-object counts and totals on
both sides, the differences, requests sent against the budget, the error of a failed run), indexed
by connection and start time; rows go with their connection.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-10 12:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "erp_reconciliation_reports",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("connection_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("triggered_by", sa.String(length=255), nullable=False),
        sa.Column("job_id", sa.String(length=255), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("objects", sa.JSON(), nullable=False),
        sa.Column("differences", sa.JSON(), nullable=False),
        sa.Column("difference_count", sa.Integer(), nullable=False),
        sa.Column("request_count", sa.Integer(), nullable=False),
        sa.Column("request_budget", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["connection_id"],
            ["erp_connections.id"],
            name=op.f("fk_erp_reconciliation_reports_connection_id_erp_connections"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_erp_reconciliation_reports")),
    )
    op.create_index(
        "ix_erp_reconciliation_reports_connection_id_started_at",
        "erp_reconciliation_reports",
        ["connection_id", "started_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(
        "ix_erp_reconciliation_reports_connection_id_started_at", table_name="erp_reconciliation_reports"
    )
    op.drop_table("erp_reconciliation_reports")
