"""`Idempotency-Key`s of export requests kept in the database: `erp_api_idempotency_keys` (API key,
key, request hash, job id, the answer, created and expiry times), unique per API key and key, deleted
with their API key.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 11:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "erp_api_idempotency_keys",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("api_key_id", sa.Uuid(), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("job_id", sa.String(length=255), nullable=True),
        sa.Column("answer", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["api_key_id"],
            ["erp_api_keys.id"],
            name=op.f("fk_erp_api_idempotency_keys_api_key_id_erp_api_keys"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_erp_api_idempotency_keys")),
        sa.UniqueConstraint("api_key_id", "key", name="uq_erp_api_idempotency_keys_api_key_key"),
    )
    op.create_index(
        op.f("ix_erp_api_idempotency_keys_expires_at"),
        "erp_api_idempotency_keys",
        ["expires_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_erp_api_idempotency_keys_expires_at"), table_name="erp_api_idempotency_keys")
    op.drop_table("erp_api_idempotency_keys")
