"""Declarative base, column types and mixins shared by every table.

`UTCDateTime` stores aware UTC datetimes on both SQLite (which has no time zones) and PostgreSQL
(`timestamptz`), refusing naive values on the way in. `ERPSystemKey` stores which ERP a row belongs
to as a plain string that the provider registry validates (an installation may add ERPs, so no
CHECK constraint lists them). A constraint naming convention keeps Alembic diffs stable.
"""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from typing import Any

from sqlalchemy import DateTime, Enum, MetaData, String, TypeDecorator, Uuid, func
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from smartap_erp.db.ids import uuid7
from smartap_erp.domain.enums import ERPSystem

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[dt.datetime]):
    """A timezone-aware UTC datetime column; naive datetimes are refused, not guessed."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is not dt.UTC:  # already UTC (most values): no conversion to pay for
            if value.tzinfo is None or value.utcoffset() is None:
                raise ValueError(f"naive datetime {value!r} refused: store timezone-aware UTC datetimes")
            value = value.astimezone(dt.UTC)
        # SQLite keeps no offset: store plain UTC and re-attach UTC when reading.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


class ERPSystemKey(TypeDecorator[ERPSystem]):
    """An ERP system key in a VARCHAR(32): refused on the way in unless a provider is registered for
    it; read back as `ERPSystem` (which accepts any provider's key, registered now or not)."""

    impl = String(32)
    cache_ok = True

    def process_bind_param(self, value: ERPSystem | str | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        from smartap_erp.connectors.registry import registry  # lazily: connectors import the models

        return registry.provider(str(value)).system  # unknown: a ConfigurationError naming the key

    def process_result_value(self, value: str | None, dialect: Dialect) -> ERPSystem | None:
        return None if value is None else ERPSystem(value)


def str_enum(enum_class: type[enum.Enum], name: str) -> Enum:
    """Enum stored as its string value in a VARCHAR with a CHECK constraint (portable, readable)."""
    return Enum(
        enum_class,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=32,
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: dict[Any, Any] = {dt.datetime: UTCDateTime(), uuid.UUID: Uuid()}


class UUIDPrimaryKey:
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)


class TimeOrderedPrimaryKey:
    """A version 7 (time-ordered) id: for the tables imports fill in bulk, where new rows then append
    to the primary-key index instead of landing on random pages (`db.ids`). Not for rows whose id is
    shown or used as if it were random (connections: the demo derives names from their ids)."""

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid7)


class Timestamps:
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, server_default=func.current_timestamp())
    updated_at: Mapped[dt.datetime] = mapped_column(
        default=utcnow, onupdate=utcnow, server_default=func.current_timestamp()
    )
