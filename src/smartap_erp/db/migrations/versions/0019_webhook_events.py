"""The change notifications QuickBooks and Xero push to the webhook receivers: `erp_webhook_events` (ERP,
deduplication key, realm or tenant id, entity, entity id, operation, the ERP's time, when received,
what became of it), unique per ERP and deduplication key.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-10 10:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "erp_webhook_events",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("erp_system", sa.String(length=32), nullable=False),
        sa.Column("dedupe_key", sa.String(length=255), nullable=False),
        sa.Column("account_id", sa.String(length=255), nullable=False),
        sa.Column("entity", sa.String(length=64), nullable=False),
        sa.Column("entity_id", sa.String(length=255), nullable=False),
        sa.Column("operation", sa.String(length=32), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("detail", sa.String(length=1000), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_erp_webhook_events")),
        sa.UniqueConstraint(
            "erp_system", "dedupe_key", name=op.f("uq_erp_webhook_events_erp_system_dedupe_key")
        ),
    )
    op.create_index(
        op.f("ix_erp_webhook_events_account_id"), "erp_webhook_events", ["account_id"], unique=False
    )
    op.create_index(
        op.f("ix_erp_webhook_events_received_at"), "erp_webhook_events", ["received_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_erp_webhook_events_received_at"), table_name="erp_webhook_events")
    op.drop_index(op.f("ix_erp_webhook_events_account_id"), table_name="erp_webhook_events")
    op.drop_table("erp_webhook_events")
