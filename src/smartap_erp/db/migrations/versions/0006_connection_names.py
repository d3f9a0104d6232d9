"""Connections: unique names.

A connection is addressed by its name on the command line (`smartap-erp sync vendors "QuickBooks"`),
so two connections may not share one: `uq_erp_connections_name`. Names that are already duplicated
are made unique first, without losing a connection: every one after the oldest gets a suffix
(`QuickBooks (2)`, `QuickBooks (3)`...), cut to fit the 255-character column. Downgrade drops the
constraint (the renamed connections keep their new names).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04 05:40:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NAME_LENGTH = 255


def _rename_duplicates() -> None:
    connection = op.get_bind()
    rows = connection.execute(
        sa.text("SELECT id, name FROM erp_connections ORDER BY name, created_at, id")
    ).all()
    taken = {name for _, name in rows}
    seen: set[str] = set()
    for row_id, name in rows:
        if name not in seen:
            seen.add(name)
            continue
        number = 2
        while True:
            suffix = f" ({number})"
            candidate = name[: NAME_LENGTH - len(suffix)] + suffix
            if candidate not in taken:
                break
            number += 1
        taken.add(candidate)
        connection.execute(
            sa.text("UPDATE erp_connections SET name = :name WHERE id = :id"),
            {"name": candidate, "id": row_id},
        )


def upgrade() -> None:
    _rename_duplicates()
    with op.batch_alter_table("erp_connections") as batch:
        batch.create_unique_constraint(batch.f("uq_erp_connections_name"), ["name"])


def downgrade() -> None:
    with op.batch_alter_table("erp_connections") as batch:
        batch.drop_constraint(batch.f("uq_erp_connections_name"), type_="unique")
