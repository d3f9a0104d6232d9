"""Alembic environment: metadata from smartap_erp.db.models, URL from the caller or Settings.

Runs on a connection handed over in `config.attributes["connection"]` (tests, in-loop callers) or
opens its own async engine (CLI). SQLite uses batch mode so later ALTERs work there too.
"""

from __future__ import annotations

import asyncio
from typing import Any, Literal

from alembic import context
from sqlalchemy.engine import Connection

from smartap_erp.db.base import UTCDateTime
from smartap_erp.db.models import Base
from smartap_erp.db.session import make_engine

target_metadata = Base.metadata


def _render_item(type_: str, obj: Any, autogen_context: Any) -> str | Literal[False]:
    """Render our column types as plain SQLAlchemy ones so migrations never import app code."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _configure_and_run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        compare_type=True,
        render_item=_render_item,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_with_own_engine(url: str) -> None:
    engine = make_engine(url)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_configure_and_run)
            await connection.commit()
    finally:
        await engine.dispose()


def _database_url() -> str:
    url = context.config.get_main_option("sqlalchemy.url")
    if url:
        return url
    from smartap_erp.settings import get_settings

    return get_settings().database_url


if context.is_offline_mode():
    context.configure(url=_database_url(), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
elif (handed_over := context.config.attributes.get("connection")) is not None:
    _configure_and_run(handed_over)
else:
    asyncio.run(_run_with_own_engine(_database_url()))
