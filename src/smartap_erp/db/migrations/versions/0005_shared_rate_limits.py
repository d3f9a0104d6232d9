"""Shared rate limits: per-ERP-key request slots in the database.

`erp_rate_limit_keys` holds one row per limiter key (`quickbooks:realm:<id>`, `xero:tenant:<id>` ...);
a claim updates it first, so claims on one key are serialised across processes. `erp_rate_limit_slots`
holds the slots each key has taken: a request from send until one window after its response
(`done_at`), or what the ERP reported for one window. The API server, workers and CLI count the same
slots, so together they never exceed an ERP's limits (see `smartap_erp.db.ratelimits`).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04 05:40:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "erp_rate_limit_keys",
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("claims", sa.BigInteger(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_erp_rate_limit_keys")),
    )
    op.create_table(
        "erp_rate_limit_slots",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("sent_at", sa.Double(), nullable=False),
        sa.Column("done_at", sa.Double(), nullable=True),
        sa.Column("window_name", sa.String(length=64), nullable=True),
        sa.Column("weight", sa.Integer(), server_default="1", nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_erp_rate_limit_slots")),
    )
    op.create_index("ix_erp_rate_limit_slots_key_done_at", "erp_rate_limit_slots", ["key", "done_at"])


def downgrade() -> None:
    op.drop_index("ix_erp_rate_limit_slots_key_done_at", table_name="erp_rate_limit_slots")
    op.drop_table("erp_rate_limit_slots")
    op.drop_table("erp_rate_limit_keys")
