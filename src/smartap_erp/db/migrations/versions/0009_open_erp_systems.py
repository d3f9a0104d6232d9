"""Open ERP systems: `erp_connections.system_type` takes any registered provider's key.

Migration 0001 stored the system as a VARCHAR(32) with a CHECK constraint listing the seed's seven
ERPs (`ck_erp_connections_erp_system`, see `db.base.str_enum`); an installation that adds an ERP
through a provider (`ERP_PROVIDERS`) could not store a connection to it. The constraint is dropped;
the provider registry validates the key when a row is written (`db.base.ERPSystemKey`). SQLite
cannot drop a CHECK constraint, so the table is rebuilt in batch mode there. Downgrade restores the
constraint, which fails if a connection to an added ERP is still stored (remove it first).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 13:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_SEED_SYSTEMS = ("quickbooks", "xero", "sap", "sage", "netsuite", "oracle", "dynamics")
_NAME = "ck_erp_connections_erp_system"  # the naming convention's name for str_enum(..., "erp_system")


def upgrade() -> None:
    with op.batch_alter_table("erp_connections", schema=None) as batch_op:
        batch_op.drop_constraint(op.f(_NAME), type_="check")


def downgrade() -> None:
    listed = ", ".join(f"'{system}'" for system in _SEED_SYSTEMS)
    with op.batch_alter_table("erp_connections", schema=None) as batch_op:
        batch_op.create_check_constraint(op.f(_NAME), f"system_type IN ({listed})")
