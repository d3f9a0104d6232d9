"""What export does with an invoice dated in a period the ERP has closed (issue 16, item 3):
`erp_connections.closed_period_policy`, one of review (the default: the invoice waits for a person),
redate (the bill is dated the first open day) or draft (Xero only: a draft bill). Existing
connections get review, the behaviour they had.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-10 10:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "erp_connections",
        sa.Column("closed_period_policy", sa.String(16), nullable=False, server_default="review"),
    )


def downgrade() -> None:
    with op.batch_alter_table("erp_connections") as batch:
        batch.drop_column("closed_period_policy")
