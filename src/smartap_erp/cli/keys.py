"""`smartap-erp keys ...`: create encryption keys and re-encrypt stored credentials under the newest
(`smartap_erp.app.keys` does the work)."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Annotated

import typer

from smartap_erp.cli.lazy import lazy
from smartap_erp.cli.output import console
from smartap_erp.settings import get_settings

if TYPE_CHECKING:
    from smartap_erp.app import keys
else:
    keys = lazy("smartap_erp.app.keys")


app = typer.Typer(help="Encryption keys for stored ERP credentials.", no_args_is_help=True)


@app.command()
def generate() -> None:
    """Print a new Fernet key (put it first in SMARTAP_ENCRYPTION_KEYS, then run `keys rotate`)."""
    typer.echo(keys.new_key())


@app.command()
def rotate(
    new_key: Annotated[
        bool, typer.Option("--new-key", help="Key-file installs: add a fresh key first, then rotate.")
    ] = False,
) -> None:
    """Re-encrypt every stored credential under the newest key; older keys can then be removed."""
    done = asyncio.run(keys.rotate(get_settings(), add_key=new_key))
    console.print(
        f"re-encrypted the credentials of {done.connections} connection(s) under the newest key of "
        f"{done.key_source}"
    )
