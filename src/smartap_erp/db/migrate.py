"""Run the Alembic migrations shipped inside the package (`smartap_erp/db/migrations`).

`upgrade`/`downgrade` work from plain (sync) code such as the CLI; `upgrade_engine` /
`downgrade_engine` run inside an event loop on an existing async engine (tests, the demo). Alembic is
imported on first use: most commands never migrate, and it is a tenth of the CLI's start-up time.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def alembic_config(database_url: str | None = None, connection: Connection | None = None) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if database_url is not None:
        config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    from alembic import command

    command.upgrade(alembic_config(database_url), revision)


def downgrade(database_url: str, revision: str = "base") -> None:
    from alembic import command

    command.downgrade(alembic_config(database_url), revision)


async def upgrade_engine(engine: AsyncEngine, revision: str = "head") -> None:
    from alembic import command

    async with engine.begin() as conn:
        await conn.run_sync(lambda sync: command.upgrade(alembic_config(connection=sync), revision))


async def downgrade_engine(engine: AsyncEngine, revision: str = "base") -> None:
    from alembic import command

    async with engine.begin() as conn:
        await conn.run_sync(lambda sync: command.downgrade(alembic_config(connection=sync), revision))


def head_revision() -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


async def current_revision(engine: AsyncEngine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    async with engine.connect() as conn:
        return await conn.run_sync(lambda sync: MigrationContext.configure(sync).get_current_revision())
