"""The web UI's users and sign-ins: `erp_ui_users` (username, argon2 hash, role, disabled),
`erp_ui_sessions` (SHA-256 of each session token, expiry, revocation) and `erp_ui_login_failures`
(failed sign-ins, for rate limiting).

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-04 15:20:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "erp_ui_users",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("username", sa.String(length=150), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("disabled_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_erp_ui_users")),
        sa.UniqueConstraint("username", name=op.f("uq_erp_ui_users_username")),
    )
    op.create_table(
        "erp_ui_sessions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["erp_ui_users.id"],
            name=op.f("fk_erp_ui_sessions_user_id_erp_ui_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_erp_ui_sessions")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_erp_ui_sessions_token_hash")),
    )
    op.create_table(
        "erp_ui_login_failures",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("username", sa.String(length=150), nullable=False),
        sa.Column("client", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_erp_ui_login_failures")),
    )
    op.create_index(
        "ix_erp_ui_login_failures_username_at", "erp_ui_login_failures", ["username", "at"], unique=False
    )
    op.create_index(
        "ix_erp_ui_login_failures_client_at", "erp_ui_login_failures", ["client", "at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_erp_ui_login_failures_client_at", table_name="erp_ui_login_failures")
    op.drop_index("ix_erp_ui_login_failures_username_at", table_name="erp_ui_login_failures")
    op.drop_table("erp_ui_login_failures")
    op.drop_table("erp_ui_sessions")
    op.drop_table("erp_ui_users")
