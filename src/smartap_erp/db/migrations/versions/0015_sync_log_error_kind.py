"""What kind of error failed a sync run: `erp_sync_logs.error_kind`, a short nullable string (auth,
rate_limit, period_locked, validation, configuration, unavailable, protocol, internal; see
`smartap_erp.sync.error_kinds`), so a connection's health can say which of its recent failures were
authentication, rate limits or locked periods without parsing messages. Null for runs that did not
fail and for runs recorded before this revision.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-08 09:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("erp_sync_logs", sa.Column("error_kind", sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("erp_sync_logs") as batch:
        batch.drop_column("error_kind")
