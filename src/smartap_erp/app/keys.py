"""Encryption keys of stored ERP credentials in the application layer: make a new key, and re-encrypt
every stored credential under the newest key (optionally adding a fresh key to the embedded key file
first). Keys are never returned except by `new_key`, whose whole point is to show one once.

Rotation takes `Settings`, not an `AppContext`: it loads the key ring itself, after a new key is added.
"""

from __future__ import annotations

from cryptography.fernet import Fernet

from smartap_erp.app.models import AppModel
from smartap_erp.db.connections import rotate_all_credentials
from smartap_erp.db.session import make_engine, make_session_factory
from smartap_erp.db.vault import KEYS_VARIABLE, CredentialVault, load_keyring, prepend_key_file
from smartap_erp.errors import ConfigurationError
from smartap_erp.settings import Settings


class KeyRotation(AppModel):
    connections: int  # connections whose credentials were re-encrypted
    key_source: str  # where the newest key came from: the variable or the key file's path


def new_key() -> str:
    """A new Fernet key, to put first in SMARTAP_ENCRYPTION_KEYS before a rotation."""
    return Fernet.generate_key().decode()


async def rotate(settings: Settings, *, add_key: bool = False) -> KeyRotation:
    """Re-encrypt every stored credential under the newest key, in one transaction; with `add_key`, a
    fresh key first goes to the top of the embedded key file (refused when keys come from the variable)."""
    keyring = load_keyring(settings)
    if add_key:
        if keyring.key_file is None:
            raise ConfigurationError(
                f"--new-key works with the embedded key file; with {KEYS_VARIABLE} put the new "
                "key first in the variable yourself (`smartap-erp keys generate` prints one)"
            )
        prepend_key_file(keyring.key_file, Fernet.generate_key())
        keyring = load_keyring(settings)
    engine = make_engine(settings.database_url)
    try:
        async with make_session_factory(engine)() as session, session.begin():
            count = await rotate_all_credentials(session, vault=CredentialVault(keyring))
    finally:
        await engine.dispose()
    return KeyRotation(connections=count, key_source=keyring.source)
