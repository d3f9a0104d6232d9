"""Outbound events to SmartAP (issue 16, item 2): `erp_events` (the outbox, written in the transaction
of the change an event reports), `erp_event_subscriptions` (URL, vault-encrypted Standard Webhooks
secret, event types, enabled), `erp_event_deliveries` (one event to one subscription: status, next
attempt, the sender's lease) and `erp_event_delivery_attempts` (the delivery log).

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-10 10:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "erp_events",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("type", sa.String(length=64), nullable=False),
        sa.Column("connection_id", sa.Uuid(), nullable=True),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("dispatched_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["connection_id"],
            ["erp_connections.id"],
            name=op.f("fk_erp_events_connection_id_erp_connections"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_erp_events")),
    )
    op.create_index(op.f("ix_erp_events_type"), "erp_events", ["type"], unique=False)
    op.create_index(op.f("ix_erp_events_connection_id"), "erp_events", ["connection_id"], unique=False)
    op.create_index(op.f("ix_erp_events_occurred_at"), "erp_events", ["occurred_at"], unique=False)
    op.create_index(op.f("ix_erp_events_dispatched_at"), "erp_events", ["dispatched_at"], unique=False)
    op.create_table(
        "erp_event_subscriptions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("url", sa.String(length=2048), nullable=False),
        sa.Column("description", sa.String(length=255), nullable=True),
        sa.Column("secret", sa.LargeBinary(), nullable=False),
        sa.Column("event_types", sa.JSON(), nullable=True),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("disabled_reason", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=255), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_erp_event_subscriptions")),
    )
    op.create_table(
        "erp_event_deliveries",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("subscription_id", sa.Uuid(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "delivered",
                "failed",
                name="event_delivery_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lease_holder", sa.String(length=255), nullable=True),
        sa.Column("lease_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_status_code", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("replay_of", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["erp_events.id"],
            name=op.f("fk_erp_event_deliveries_event_id_erp_events"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["erp_event_subscriptions.id"],
            name=op.f("fk_erp_event_deliveries_subscription_id_erp_event_subscriptions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_erp_event_deliveries")),
    )
    op.create_index(
        op.f("ix_erp_event_deliveries_event_id"), "erp_event_deliveries", ["event_id"], unique=False
    )
    op.create_index(
        op.f("ix_erp_event_deliveries_subscription_id"),
        "erp_event_deliveries",
        ["subscription_id"],
        unique=False,
    )
    op.create_index(
        "ix_erp_event_deliveries_status_next_attempt_at",
        "erp_event_deliveries",
        ["status", "next_attempt_at"],
        unique=False,
    )
    op.create_table(
        "erp_event_delivery_attempts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("delivery_id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["delivery_id"],
            ["erp_event_deliveries.id"],
            name=op.f("fk_erp_event_delivery_attempts_delivery_id_erp_event_deliveries"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_erp_event_delivery_attempts")),
    )
    op.create_index(
        op.f("ix_erp_event_delivery_attempts_delivery_id"),
        "erp_event_delivery_attempts",
        ["delivery_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_erp_event_delivery_attempts_delivery_id"), table_name="erp_event_delivery_attempts"
    )
    op.drop_table("erp_event_delivery_attempts")
    op.drop_index("ix_erp_event_deliveries_status_next_attempt_at", table_name="erp_event_deliveries")
    op.drop_index(op.f("ix_erp_event_deliveries_subscription_id"), table_name="erp_event_deliveries")
    op.drop_index(op.f("ix_erp_event_deliveries_event_id"), table_name="erp_event_deliveries")
    op.drop_table("erp_event_deliveries")
    op.drop_table("erp_event_subscriptions")
    op.drop_index(op.f("ix_erp_events_dispatched_at"), table_name="erp_events")
    op.drop_index(op.f("ix_erp_events_occurred_at"), table_name="erp_events")
    op.drop_index(op.f("ix_erp_events_connection_id"), table_name="erp_events")
    op.drop_index(op.f("ix_erp_events_type"), table_name="erp_events")
    op.drop_table("erp_events")
