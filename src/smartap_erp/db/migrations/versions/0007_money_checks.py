"""Export money checks: invoices may be `needs_review` (the ERP bill's total differs from the invoice's).

The invoice status is a VARCHAR with a named CHECK constraint (`ck_invoices_invoice_status`, see
`db.base.str_enum`); it is replaced by one that also allows `needs_review`. SQLite cannot alter a
CHECK constraint, so the table is rebuilt in batch mode there. Downgrade puts invoices in review back
to `approved` (their bill is still known through the export outbox) before restoring the old check.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04 05:40:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OLD = ("draft", "pending_approval", "approved", "exported", "partially_paid", "paid", "rejected")
_NEW = (*_OLD[:4], "needs_review", *_OLD[4:])
_NAME = "invoice_status"  # the naming convention makes it ck_invoices_invoice_status


def _check(values: Sequence[str]) -> str:
    return "status IN (" + ", ".join(f"'{value}'" for value in values) + ")"


def _replace_check(values: Sequence[str]) -> None:
    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.drop_constraint(op.f(f"ck_invoices_{_NAME}"), type_="check")
        batch_op.create_check_constraint(op.f(f"ck_invoices_{_NAME}"), _check(values))


def upgrade() -> None:
    _replace_check(_NEW)


def downgrade() -> None:
    op.execute(sa.text("UPDATE invoices SET status = 'approved' WHERE status = 'needs_review'"))
    _replace_check(_OLD)
