"""Sync engine: the export outbox, per-entity conflict policies, and the ERP version and agreed hash on
vendor and purchase-order mappings.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 14:50:11.402192
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "erp_export_outbox",
        sa.Column("connection_id", sa.Uuid(), nullable=False),
        sa.Column("smartap_invoice_id", sa.Uuid(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=64), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "pending",
                "sent",
                "confirmed",
                "failed",
                name="export_state",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("erp_invoice_id", sa.String(length=255), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["connection_id"],
            ["erp_connections.id"],
            name=op.f("fk_erp_export_outbox_connection_id_erp_connections"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["smartap_invoice_id"],
            ["invoices.id"],
            name=op.f("fk_erp_export_outbox_smartap_invoice_id_invoices"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_erp_export_outbox")),
        sa.UniqueConstraint(
            "connection_id",
            "idempotency_key",
            name=op.f("uq_erp_export_outbox_connection_id_idempotency_key"),
        ),
        sa.UniqueConstraint(
            "connection_id",
            "smartap_invoice_id",
            name=op.f("uq_erp_export_outbox_connection_id_smartap_invoice_id"),
        ),
    )
    with op.batch_alter_table("erp_export_outbox", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_erp_export_outbox_smartap_invoice_id"), ["smartap_invoice_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_erp_export_outbox_state"), ["state"], unique=False)

    with op.batch_alter_table("erp_connections", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("conflict_policies", sa.JSON(), nullable=False, server_default=sa.text("'{}'"))
        )

    with op.batch_alter_table("erp_po_mappings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("erp_version", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("erp_updated_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("synced_hash", sa.String(length=64), nullable=True))

    with op.batch_alter_table("erp_vendor_mappings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("erp_version", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("erp_updated_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("synced_hash", sa.String(length=64), nullable=True))


def downgrade() -> None:

    with op.batch_alter_table("erp_vendor_mappings", schema=None) as batch_op:
        batch_op.drop_column("synced_hash")
        batch_op.drop_column("erp_updated_at")
        batch_op.drop_column("erp_version")

    with op.batch_alter_table("erp_po_mappings", schema=None) as batch_op:
        batch_op.drop_column("synced_hash")
        batch_op.drop_column("erp_updated_at")
        batch_op.drop_column("erp_version")

    with op.batch_alter_table("erp_connections", schema=None) as batch_op:
        batch_op.drop_column("conflict_policies")

    with op.batch_alter_table("erp_export_outbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_erp_export_outbox_state"))
        batch_op.drop_index(batch_op.f("ix_erp_export_outbox_smartap_invoice_id"))

    op.drop_table("erp_export_outbox")
