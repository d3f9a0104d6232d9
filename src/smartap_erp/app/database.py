"""The database schema in the application layer (upgrade, downgrade, current revision) and how any
interface turns a database failure into one line a person can act on.

Schema calls take `Settings`, not an `AppContext`: they run before the schema exists (an
`AppContext` refuses a database file that is not there). `database_failure` is the one place an
interface asks whether an exception is the database's and what to say about it (never the SQL or its
parameters), so that no interface imports SQLAlchemy.
"""

from __future__ import annotations

import asyncio

from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from smartap_erp.app.models import AppModel
from smartap_erp.db import migrate
from smartap_erp.db.errors import describe_db_error, is_missing_schema
from smartap_erp.db.session import make_engine
from smartap_erp.errors import SmartAPError
from smartap_erp.settings import Settings


class DatabaseFailedError(SmartAPError):
    """A write failed in the database and was rolled back: nothing was changed (exit 1)."""


class SchemaState(AppModel):
    database: str  # the URL without its password
    current: str | None  # None: no schema yet (base)
    head: str | None  # the newest revision this version ships
    up_to_date: bool


class DatabaseFailure(AppModel):
    """What to tell a person about a database exception: one line, and whether the schema is missing
    (`db upgrade` was never run: a usage problem, not a failure)."""

    message: str
    missing_schema: bool


def describe_url(url: str) -> str:
    """The URL without its password."""
    return make_url(url).render_as_string(hide_password=True)


def downgrade_consequence(revision: str) -> str:
    """What a downgrade to `revision` destroys, in words to ask a person with."""
    if revision == "base":
        return "drop every table and all data"
    return "drop the tables and columns added since"


async def current(settings: Settings) -> SchemaState:
    engine = make_engine(settings.database_url)
    try:
        revision = await migrate.current_revision(engine)
    finally:
        await engine.dispose()
    head = migrate.head_revision()
    return SchemaState(
        database=describe_url(settings.database_url), current=revision, head=head, up_to_date=revision == head
    )


async def upgrade(settings: Settings, revision: str = "head") -> SchemaState:
    """Create or migrate the schema to `revision` (Alembic runs in a thread: it drives its own loop)."""
    await asyncio.to_thread(migrate.upgrade, settings.database_url, revision)
    return await current(settings)


async def downgrade(settings: Settings, revision: str) -> SchemaState:
    """Revert the schema to `revision`; `base` drops every table and all data (ask first)."""
    await asyncio.to_thread(migrate.downgrade, settings.database_url, revision)
    return await current(settings)


def database_failure(exc: BaseException) -> DatabaseFailure | None:
    """One line about `exc` if the database raised it; None for anything else (a bug, to re-raise)."""
    if not isinstance(exc, SQLAlchemyError):
        return None
    return DatabaseFailure(message=describe_db_error(exc), missing_schema=is_missing_schema(exc))
