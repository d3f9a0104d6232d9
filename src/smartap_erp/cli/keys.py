"""`smartap-erp keys ...`: create encryption keys and re-encrypt every stored secret under the newest
(`smartap_erp.app.keys` does the work). `keys rotate` prints one row per kind of secret (connection
credentials, event subscription secrets, OAuth flows in progress) with the rows re-encrypted, the rows
already under the newest key and the rows no key opens; a table larger than one batch also shows its
progress on stderr. Rows no key opens are named by table and id and the command exits 1."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Annotated

import typer

from smartap_erp.cli.lazy import lazy
from smartap_erp.cli.output import JsonOption, emit, error_console, fail
from smartap_erp.settings import get_settings

if TYPE_CHECKING:
    from smartap_erp.app import keys
    from smartap_erp.db.rotation import ColumnRotation
else:
    keys = lazy("smartap_erp.app.keys")


app = typer.Typer(help="Encryption keys for stored ERP credentials and other secrets.", no_args_is_help=True)


@app.command()
def generate() -> None:
    """Print a new Fernet key (put it first in SMARTAP_ENCRYPTION_KEYS, then run `keys rotate`)."""
    typer.echo(keys.new_key())


def _progress(done: ColumnRotation) -> None:
    if done.total > keys.BATCH_SIZE:
        error_console.print(f"{done.kind}: {done.rows}/{done.total}", highlight=False)


@app.command()
def rotate(
    new_key: Annotated[
        bool, typer.Option("--new-key", help="Key-file installs: add a fresh key first, then rotate.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Re-encrypt every stored secret under the newest key; older keys can then be removed."""
    try:
        done = asyncio.run(keys.rotate(get_settings(), add_key=new_key, progress=_progress))
    except keys.IncompleteRotationError as exc:
        _show(exc.rotation, as_json=as_json)
        raise fail(str(exc)) from None
    _show(done, as_json=as_json)


def _show(done: keys.KeyRotation, *, as_json: bool) -> None:
    if as_json:
        emit(done.model_dump(mode="json"), as_json=True)
        return
    rows = [
        {
            "kind": kind.kind,
            "rows re-encrypted": kind.re_encrypted,
            "already current": kind.already_current,
            "unreadable": len(kind.unreadable),
        }
        for kind in done.kinds
    ]
    emit(rows, as_json=False, title=f"Re-encrypted under the newest key of {done.key_source}")
