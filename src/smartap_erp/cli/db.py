"""`smartap-erp db ...`: apply, revert and inspect the database schema (Alembic migrations).

A downgrade drops tables or columns and the data in them (`base` drops every table), so it asks
first; `--yes` skips the question, and without a terminal to ask on it is refused unless `--yes`.
The schema calls are `smartap_erp.app.database`'s.
"""

from __future__ import annotations

import asyncio
import sys
from typing import TYPE_CHECKING, Annotated

import typer

from smartap_erp.cli.lazy import lazy
from smartap_erp.cli.output import JsonOption, console, emit
from smartap_erp.errors import ConfigurationError
from smartap_erp.settings import get_settings

if TYPE_CHECKING:
    from smartap_erp.app import database
else:
    database = lazy("smartap_erp.app.database")


app = typer.Typer(help="Database schema: upgrade, downgrade, current revision.", no_args_is_help=True)


@app.command()
def upgrade(revision: Annotated[str, typer.Argument(help="Target revision.")] = "head") -> None:
    """Create or migrate the database schema to the newest revision."""
    _report(asyncio.run(database.upgrade(get_settings(), revision)))


@app.command()
def downgrade(
    revision: Annotated[str, typer.Argument(help="Target revision, e.g. base.")],
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
) -> None:
    """Revert the schema to an older revision (`base` drops every table and all data)."""
    settings = get_settings()
    if not yes:
        _confirm_downgrade(database.describe_url(settings.database_url), revision)
    _report(asyncio.run(database.downgrade(settings, revision)))


def _confirm_downgrade(where: str, revision: str) -> None:
    what = database.downgrade_consequence(revision)
    if not sys.stdin.isatty():
        raise ConfigurationError(
            f"db downgrade {revision} would {what} in {where}; "
            "no terminal to confirm on: add --yes to go ahead"
        )
    typer.confirm(f"Downgrade {where} to {revision}? This will {what}.", abort=True)


@app.command()
def current(as_json: JsonOption = False) -> None:
    """Show the schema revision of the database and the newest one this version ships."""
    state = asyncio.run(database.current(get_settings()))
    emit(state.model_dump(mode="json"), as_json=as_json, title="Database")


def _report(state: database.SchemaState) -> None:
    revision = state.current or "base (empty)"
    console.print(f"database schema at revision [bold]{revision}[/bold] ({state.database})")
