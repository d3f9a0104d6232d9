"""Why an invoice is waiting for a person: `invoices.review_reason`, nullable text set together with the
status `needs_review` (a bill voided or deleted in the ERP, a bill whose total differs, a closed
period) and cleared when the invoice leaves review. Null for invoices never sent to review and for
those sent before this revision (their reason is in the sync log's record errors).

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-10 09:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("invoices", sa.Column("review_reason", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("invoices") as batch:
        batch.drop_column("review_reason")
