"""`smartap-erp db ...`: apply, revert and inspect the database schema (Alembic migrations).

A downgrade drops tables or columns and the data in them (`base` drops every table), so it asks
first; `--yes` skips the question, and without a terminal to ask on it is refused unless `--yes`.
"""

from __future__ import annotations

import asyncio
import sys
from typing import Annotated

import typer

from smartap_erp.cli.output import JsonOption, console, emit
from smartap_erp.db import migrate
from smartap_erp.db.session import make_engine
from smartap_erp.errors import ConfigurationError
from smartap_erp.settings import get_settings

app = typer.Typer(help="Database schema: upgrade, downgrade, current revision.", no_args_is_help=True)


@app.command()
def upgrade(revision: Annotated[str, typer.Argument(help="Target revision.")] = "head") -> None:
    """Create or migrate the database schema to the newest revision."""
    settings = get_settings()
    migrate.upgrade(settings.database_url, revision)
    _report(settings.database_url)


@app.command()
def downgrade(
    revision: Annotated[str, typer.Argument(help="Target revision, e.g. base.")],
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
) -> None:
    """Revert the schema to an older revision (`base` drops every table and all data)."""
    settings = get_settings()
    if not yes:
        _confirm_downgrade(settings.database_url, revision)
    migrate.downgrade(settings.database_url, revision)
    _report(settings.database_url)


def _confirm_downgrade(url: str, revision: str) -> None:
    what = (
        "drop every table and all data" if revision == "base" else "drop the tables and columns added since"
    )
    if not sys.stdin.isatty():
        raise ConfigurationError(
            f"db downgrade {revision} would {what} in {_describe(url)}; "
            "no terminal to confirm on: add --yes to go ahead"
        )
    typer.confirm(f"Downgrade {_describe(url)} to {revision}? This will {what}.", abort=True)


@app.command()
def current(as_json: JsonOption = False) -> None:
    """Show the schema revision of the database and the newest one this version ships."""
    settings = get_settings()
    revision = asyncio.run(_current(settings.database_url))
    head = migrate.head_revision()
    emit(
        {
            "database": _describe(settings.database_url),
            "current": revision,
            "head": head,
            "up_to_date": revision == head,
        },
        as_json=as_json,
        title="Database",
    )


def _report(url: str) -> None:
    revision = asyncio.run(_current(url))
    console.print(f"database schema at revision [bold]{revision or 'base (empty)'}[/bold] ({_describe(url)})")


async def _current(url: str) -> str | None:
    engine = make_engine(url)
    try:
        return await migrate.current_revision(engine)
    finally:
        await engine.dispose()


def _describe(url: str) -> str:
    """The URL without its password."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
