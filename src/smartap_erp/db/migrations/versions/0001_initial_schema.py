"""Initial schema: the seed's five ERP tables, SmartAP's vendors, purchase orders and invoices, and what sync
needs (cursors, conflicts, purchase-order mappings).

Revision ID: 0001
Revises:
Create Date: 2026-11-24 14:21:58.560708
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "erp_connections",
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column(
            "system_type",
            sa.Enum(
                "quickbooks",
                "xero",
                "sap",
                "sage",
                "netsuite",
                "oracle",
                "dynamics",
                name="erp_system",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "active",
                "inactive",
                "error",
                "pending",
                name="connection_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("credentials", sa.LargeBinary(), nullable=False),
        sa.Column("credentials_version", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.String(length=255), nullable=True),
        sa.Column("company_db", sa.String(length=255), nullable=True),
        sa.Column("api_url", sa.String(length=2048), nullable=True),
        sa.Column("last_connected_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_sync_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("connection_error", sa.Text(), nullable=True),
        sa.Column("auto_sync_enabled", sa.Boolean(), nullable=False),
        sa.Column("sync_interval_minutes", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.String(length=255), nullable=True),
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
        sa.PrimaryKeyConstraint("id", name=op.f("pk_erp_connections")),
    )
    op.create_table(
        "vendors",
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("normalized_name", sa.String(length=255), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("phone", sa.String(length=64), nullable=True),
        sa.Column("address", sa.JSON(), nullable=True),
        sa.Column("tax_id", sa.String(length=64), nullable=True),
        sa.Column("payment_terms", sa.String(length=128), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("is_active", sa.Boolean(), nullable=False),
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
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vendors")),
    )
    with op.batch_alter_table("vendors", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_vendors_email"), ["email"], unique=False)
        batch_op.create_index(batch_op.f("ix_vendors_normalized_name"), ["normalized_name"], unique=False)
        batch_op.create_index(batch_op.f("ix_vendors_tax_id"), ["tax_id"], unique=False)

    op.create_table(
        "erp_conflicts",
        sa.Column("connection_id", sa.Uuid(), nullable=False),
        sa.Column(
            "entity_type",
            sa.Enum(
                "vendor",
                "purchase_order",
                "invoice",
                "payment",
                "account",
                "tax_code",
                name="conflict_entity",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("smartap_record_id", sa.Uuid(), nullable=True),
        sa.Column("erp_record_id", sa.String(length=255), nullable=False),
        sa.Column("smartap_version", sa.JSON(), nullable=False),
        sa.Column("erp_version", sa.JSON(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "open",
                "resolved",
                name="conflict_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("resolution", sa.String(length=32), nullable=True),
        sa.Column("resolved_by", sa.String(length=255), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
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
            name=op.f("fk_erp_conflicts_connection_id_erp_connections"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_erp_conflicts")),
    )
    with op.batch_alter_table("erp_conflicts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_erp_conflicts_connection_id"), ["connection_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_erp_conflicts_status"), ["status"], unique=False)

    op.create_table(
        "erp_field_mappings",
        sa.Column("connection_id", sa.Uuid(), nullable=False),
        sa.Column(
            "entity_type",
            sa.Enum(
                "vendor",
                "purchase_order",
                "invoice",
                "payment",
                "account",
                "tax_code",
                name="field_mapping_entity",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("smartap_field", sa.String(length=255), nullable=False),
        sa.Column("erp_field", sa.String(length=255), nullable=False),
        sa.Column("transformation_rule", sa.Text(), nullable=True),
        sa.Column("default_value", sa.String(length=1024), nullable=True),
        sa.Column("is_required", sa.Boolean(), nullable=False),
        sa.Column("validation_regex", sa.String(length=1024), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
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
            name=op.f("fk_erp_field_mappings_connection_id_erp_connections"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_erp_field_mappings")),
    )
    with op.batch_alter_table("erp_field_mappings", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_erp_field_mappings_connection_id"), ["connection_id"], unique=False
        )

    op.create_table(
        "erp_sync_cursors",
        sa.Column("connection_id", sa.Uuid(), nullable=False),
        sa.Column(
            "entity_type",
            sa.Enum(
                "vendor",
                "purchase_order",
                "invoice",
                "payment",
                "account",
                "tax_code",
                name="cursor_entity",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("cursor_time", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cursor_value", sa.String(length=1024), nullable=True),
        sa.Column("last_full_sync_at", sa.DateTime(timezone=True), nullable=True),
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
            name=op.f("fk_erp_sync_cursors_connection_id_erp_connections"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_erp_sync_cursors")),
        sa.UniqueConstraint(
            "connection_id", "entity_type", name=op.f("uq_erp_sync_cursors_connection_id_entity_type")
        ),
    )
    op.create_table(
        "erp_sync_logs",
        sa.Column("connection_id", sa.Uuid(), nullable=False),
        sa.Column(
            "entity_type",
            sa.Enum(
                "vendor",
                "purchase_order",
                "invoice",
                "payment",
                "account",
                "tax_code",
                name="sync_log_entity",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "sync_direction",
            sa.Enum(
                "import",
                "export",
                name="sync_direction",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "in_progress",
                "completed",
                "failed",
                "partial",
                name="sync_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("duration_seconds", sa.Integer(), nullable=True),
        sa.Column("total_count", sa.Integer(), nullable=False),
        sa.Column("success_count", sa.Integer(), nullable=False),
        sa.Column("error_count", sa.Integer(), nullable=False),
        sa.Column("errors", sa.JSON(), nullable=False),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("sync_params", sa.JSON(), nullable=False),
        sa.Column("triggered_by", sa.String(length=255), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["connection_id"],
            ["erp_connections.id"],
            name=op.f("fk_erp_sync_logs_connection_id_erp_connections"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_erp_sync_logs")),
    )
    with op.batch_alter_table("erp_sync_logs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_erp_sync_logs_connection_id"), ["connection_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_erp_sync_logs_started_at"), ["started_at"], unique=False)

    op.create_table(
        "erp_vendor_mappings",
        sa.Column("connection_id", sa.Uuid(), nullable=False),
        sa.Column("smartap_vendor_id", sa.Uuid(), nullable=False),
        sa.Column("erp_vendor_id", sa.String(length=255), nullable=False),
        sa.Column("erp_vendor_name", sa.String(length=255), nullable=True),
        sa.Column("first_synced_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_synced_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sync_count", sa.Integer(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
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
            name=op.f("fk_erp_vendor_mappings_connection_id_erp_connections"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["smartap_vendor_id"],
            ["vendors.id"],
            name=op.f("fk_erp_vendor_mappings_smartap_vendor_id_vendors"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_erp_vendor_mappings")),
        sa.UniqueConstraint(
            "connection_id", "erp_vendor_id", name=op.f("uq_erp_vendor_mappings_connection_id_erp_vendor_id")
        ),
        sa.UniqueConstraint(
            "connection_id",
            "smartap_vendor_id",
            name=op.f("uq_erp_vendor_mappings_connection_id_smartap_vendor_id"),
        ),
    )
    with op.batch_alter_table("erp_vendor_mappings", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_erp_vendor_mappings_smartap_vendor_id"), ["smartap_vendor_id"], unique=False
        )

    op.create_table(
        "purchase_orders",
        sa.Column("vendor_id", sa.Uuid(), nullable=False),
        sa.Column("po_number", sa.String(length=64), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "draft",
                "open",
                "closed",
                "cancelled",
                name="po_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("order_date", sa.Date(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("total_minor", sa.BigInteger(), nullable=False),
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
            ["vendor_id"],
            ["vendors.id"],
            name=op.f("fk_purchase_orders_vendor_id_vendors"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_purchase_orders")),
        sa.UniqueConstraint("vendor_id", "po_number", name=op.f("uq_purchase_orders_vendor_id_po_number")),
    )
    with op.batch_alter_table("purchase_orders", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_purchase_orders_vendor_id"), ["vendor_id"], unique=False)

    op.create_table(
        "erp_po_mappings",
        sa.Column("connection_id", sa.Uuid(), nullable=False),
        sa.Column("smartap_po_id", sa.Uuid(), nullable=False),
        sa.Column("erp_po_id", sa.String(length=255), nullable=False),
        sa.Column("erp_po_number", sa.String(length=255), nullable=True),
        sa.Column("first_synced_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_synced_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sync_count", sa.Integer(), nullable=False),
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
            name=op.f("fk_erp_po_mappings_connection_id_erp_connections"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["smartap_po_id"],
            ["purchase_orders.id"],
            name=op.f("fk_erp_po_mappings_smartap_po_id_purchase_orders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_erp_po_mappings")),
        sa.UniqueConstraint(
            "connection_id", "erp_po_id", name=op.f("uq_erp_po_mappings_connection_id_erp_po_id")
        ),
        sa.UniqueConstraint(
            "connection_id", "smartap_po_id", name=op.f("uq_erp_po_mappings_connection_id_smartap_po_id")
        ),
    )
    with op.batch_alter_table("erp_po_mappings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_erp_po_mappings_smartap_po_id"), ["smartap_po_id"], unique=False)

    op.create_table(
        "invoices",
        sa.Column("vendor_id", sa.Uuid(), nullable=False),
        sa.Column("purchase_order_id", sa.Uuid(), nullable=True),
        sa.Column("invoice_number", sa.String(length=64), nullable=False),
        sa.Column("invoice_date", sa.Date(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("subtotal_minor", sa.BigInteger(), nullable=False),
        sa.Column("tax_minor", sa.BigInteger(), nullable=False),
        sa.Column("total_minor", sa.BigInteger(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "draft",
                "pending_approval",
                "approved",
                "exported",
                "partially_paid",
                "paid",
                "rejected",
                name="invoice_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("memo", sa.Text(), nullable=True),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("approved_by", sa.String(length=255), nullable=True),
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
            ["purchase_order_id"],
            ["purchase_orders.id"],
            name=op.f("fk_invoices_purchase_order_id_purchase_orders"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["vendor_id"], ["vendors.id"], name=op.f("fk_invoices_vendor_id_vendors"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invoices")),
        sa.UniqueConstraint("vendor_id", "invoice_number", name=op.f("uq_invoices_vendor_id_invoice_number")),
    )
    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_invoices_purchase_order_id"), ["purchase_order_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_invoices_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_invoices_vendor_id"), ["vendor_id"], unique=False)

    op.create_table(
        "purchase_order_lines",
        sa.Column("purchase_order_id", sa.Uuid(), nullable=False),
        sa.Column("line_number", sa.Integer(), nullable=False),
        sa.Column("erp_line_id", sa.String(length=64), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("quantity", sa.Numeric(precision=20, scale=6), nullable=False),
        sa.Column("unit_price", sa.Numeric(precision=20, scale=6), nullable=True),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("account_code", sa.String(length=64), nullable=True),
        sa.Column("item_code", sa.String(length=64), nullable=True),
        sa.Column("tax_code", sa.String(length=64), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["purchase_order_id"],
            ["purchase_orders.id"],
            name=op.f("fk_purchase_order_lines_purchase_order_id_purchase_orders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_purchase_order_lines")),
        sa.UniqueConstraint(
            "purchase_order_id",
            "line_number",
            name=op.f("uq_purchase_order_lines_purchase_order_id_line_number"),
        ),
    )
    with op.batch_alter_table("purchase_order_lines", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_purchase_order_lines_purchase_order_id"), ["purchase_order_id"], unique=False
        )

    op.create_table(
        "erp_invoice_mappings",
        sa.Column("connection_id", sa.Uuid(), nullable=False),
        sa.Column("smartap_invoice_id", sa.Uuid(), nullable=False),
        sa.Column("erp_invoice_id", sa.String(length=255), nullable=False),
        sa.Column("erp_invoice_number", sa.String(length=255), nullable=True),
        sa.Column("exported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("exported_by", sa.String(length=255), nullable=True),
        sa.Column(
            "payment_status",
            sa.Enum(
                "unpaid",
                "partial",
                "paid",
                "voided",
                name="payment_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("payment_synced_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("payment_amount", sa.BigInteger(), nullable=False),
        sa.Column("payment_currency", sa.String(length=3), nullable=True),
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
            name=op.f("fk_erp_invoice_mappings_connection_id_erp_connections"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["smartap_invoice_id"],
            ["invoices.id"],
            name=op.f("fk_erp_invoice_mappings_smartap_invoice_id_invoices"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_erp_invoice_mappings")),
        sa.UniqueConstraint(
            "connection_id",
            "erp_invoice_id",
            name=op.f("uq_erp_invoice_mappings_connection_id_erp_invoice_id"),
        ),
        sa.UniqueConstraint(
            "connection_id",
            "smartap_invoice_id",
            name=op.f("uq_erp_invoice_mappings_connection_id_smartap_invoice_id"),
        ),
    )
    with op.batch_alter_table("erp_invoice_mappings", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_erp_invoice_mappings_smartap_invoice_id"), ["smartap_invoice_id"], unique=False
        )

    op.create_table(
        "invoice_lines",
        sa.Column("invoice_id", sa.Uuid(), nullable=False),
        sa.Column("line_number", sa.Integer(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("quantity", sa.Numeric(precision=20, scale=6), nullable=False),
        sa.Column("unit_price", sa.Numeric(precision=20, scale=6), nullable=True),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("account_code", sa.String(length=64), nullable=True),
        sa.Column("item_code", sa.String(length=64), nullable=True),
        sa.Column("tax_code", sa.String(length=64), nullable=True),
        sa.Column("purchase_order_line_id", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["invoice_id"],
            ["invoices.id"],
            name=op.f("fk_invoice_lines_invoice_id_invoices"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["purchase_order_line_id"],
            ["purchase_order_lines.id"],
            name=op.f("fk_invoice_lines_purchase_order_line_id_purchase_order_lines"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invoice_lines")),
        sa.UniqueConstraint(
            "invoice_id", "line_number", name=op.f("uq_invoice_lines_invoice_id_line_number")
        ),
    )
    with op.batch_alter_table("invoice_lines", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_invoice_lines_invoice_id"), ["invoice_id"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("invoice_lines", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_invoice_lines_invoice_id"))

    op.drop_table("invoice_lines")
    with op.batch_alter_table("erp_invoice_mappings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_erp_invoice_mappings_smartap_invoice_id"))

    op.drop_table("erp_invoice_mappings")
    with op.batch_alter_table("purchase_order_lines", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_purchase_order_lines_purchase_order_id"))

    op.drop_table("purchase_order_lines")
    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_invoices_vendor_id"))
        batch_op.drop_index(batch_op.f("ix_invoices_status"))
        batch_op.drop_index(batch_op.f("ix_invoices_purchase_order_id"))

    op.drop_table("invoices")
    with op.batch_alter_table("erp_po_mappings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_erp_po_mappings_smartap_po_id"))

    op.drop_table("erp_po_mappings")
    with op.batch_alter_table("purchase_orders", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_purchase_orders_vendor_id"))

    op.drop_table("purchase_orders")
    with op.batch_alter_table("erp_vendor_mappings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_erp_vendor_mappings_smartap_vendor_id"))

    op.drop_table("erp_vendor_mappings")
    with op.batch_alter_table("erp_sync_logs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_erp_sync_logs_started_at"))
        batch_op.drop_index(batch_op.f("ix_erp_sync_logs_connection_id"))

    op.drop_table("erp_sync_logs")
    op.drop_table("erp_sync_cursors")
    with op.batch_alter_table("erp_field_mappings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_erp_field_mappings_connection_id"))

    op.drop_table("erp_field_mappings")
    with op.batch_alter_table("erp_conflicts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_erp_conflicts_status"))
        batch_op.drop_index(batch_op.f("ix_erp_conflicts_connection_id"))

    op.drop_table("erp_conflicts")
    with op.batch_alter_table("vendors", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_vendors_tax_id"))
        batch_op.drop_index(batch_op.f("ix_vendors_normalized_name"))
        batch_op.drop_index(batch_op.f("ix_vendors_email"))

    op.drop_table("vendors")
    op.drop_table("erp_connections")
