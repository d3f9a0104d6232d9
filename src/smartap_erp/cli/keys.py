"""`smartap-erp keys ...`: create encryption keys and re-encrypt stored credentials under the newest."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer
from cryptography.fernet import Fernet

from smartap_erp.cli.output import console, fail
from smartap_erp.db.connections import rotate_all_credentials
from smartap_erp.db.session import make_engine, make_session_factory
from smartap_erp.db.vault import KEYS_VARIABLE, CredentialVault, KeyRing, load_keyring, prepend_key_file
from smartap_erp.settings import get_settings

app = typer.Typer(help="Encryption keys for stored ERP credentials.", no_args_is_help=True)


@app.command()
def generate() -> None:
    """Print a new Fernet key (put it first in SMARTAP_ENCRYPTION_KEYS, then run `keys rotate`)."""
    typer.echo(Fernet.generate_key().decode())


@app.command()
def rotate(
    new_key: Annotated[
        bool, typer.Option("--new-key", help="Key-file installs: add a fresh key first, then rotate.")
    ] = False,
) -> None:
    """Re-encrypt every stored credential under the newest key; older keys can then be removed."""
    settings = get_settings()
    keyring = load_keyring(settings)
    if new_key:
        if keyring.key_file is None:
            raise fail(
                f"--new-key works with the embedded key file; with {KEYS_VARIABLE} put the new "
                "key first in the variable yourself (`smartap-erp keys generate` prints one)",
                2,
            )
        prepend_key_file(keyring.key_file, Fernet.generate_key())
        keyring = load_keyring(settings)
    count = asyncio.run(_rotate(settings.database_url, keyring))
    console.print(
        f"re-encrypted the credentials of {count} connection(s) under the newest key of {keyring.source}"
    )


async def _rotate(url: str, keyring: KeyRing) -> int:
    engine = make_engine(url)
    try:
        async with make_session_factory(engine)() as session, session.begin():
            return await rotate_all_credentials(session, vault=CredentialVault(keyring))
    finally:
        await engine.dispose()
