"""Jobs: worker heartbeats, demo connections, and who runs a sync log.

`erp_worker_heartbeats` (one row per live worker, its last-seen time) lets the CLI tell whether any
worker will run a queued job; `erp_connections.is_demo` / `demo_worker_id` mark the demo's connections
so schedules skip them once the demo's worker is gone; `erp_sync_logs.workflow_id` / `runner` name the
job or process running a log, so a log whose run died is closed instead of staying `in_progress`.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04 05:40:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "erp_worker_heartbeats",
        sa.Column("worker_id", sa.String(length=255), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("worker_id", name=op.f("pk_erp_worker_heartbeats")),
    )
    with op.batch_alter_table("erp_connections") as batch:
        batch.add_column(sa.Column("is_demo", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch.add_column(sa.Column("demo_worker_id", sa.String(length=255), nullable=True))
    with op.batch_alter_table("erp_sync_logs") as batch:
        batch.add_column(sa.Column("workflow_id", sa.String(length=255), nullable=True))
        batch.add_column(sa.Column("runner", sa.String(length=255), nullable=True))
        batch.create_index(batch.f("ix_erp_sync_logs_workflow_id"), ["workflow_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("erp_sync_logs") as batch:
        batch.drop_index(batch.f("ix_erp_sync_logs_workflow_id"))
        batch.drop_column("runner")
        batch.drop_column("workflow_id")
    with op.batch_alter_table("erp_connections") as batch:
        batch.drop_column("demo_worker_id")
        batch.drop_column("is_demo")
    op.drop_table("erp_worker_heartbeats")
