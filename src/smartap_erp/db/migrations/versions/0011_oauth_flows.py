"""OAuth connect flows: `erp_oauth_flows` (state hash, ERP, the connection to reconnect or the name
of one to create, API root, redirect URI, encrypted PKCE verifier and pending tokens, stage,
created, expires, used). The state itself is never stored.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05 10:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "erp_oauth_flows",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("state_hash", sa.String(length=64), nullable=False),
        sa.Column("system_type", sa.String(length=32), nullable=False),
        sa.Column("connection_id", sa.Uuid(), nullable=True),
        sa.Column("connection_name", sa.String(length=255), nullable=True),
        sa.Column("api_url", sa.String(length=2048), nullable=True),
        sa.Column("redirect_uri", sa.String(length=2048), nullable=False),
        sa.Column("secrets", sa.LargeBinary(), nullable=False),
        sa.Column("stage", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["connection_id"],
            ["erp_connections.id"],
            name=op.f("fk_erp_oauth_flows_connection_id_erp_connections"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_erp_oauth_flows")),
        sa.UniqueConstraint("state_hash", name=op.f("uq_erp_oauth_flows_state_hash")),
    )
    op.create_index(
        op.f("ix_erp_oauth_flows_connection_id"), "erp_oauth_flows", ["connection_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_erp_oauth_flows_connection_id"), table_name="erp_oauth_flows")
    op.drop_table("erp_oauth_flows")
