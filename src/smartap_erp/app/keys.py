"""Encryption keys of the stored secrets in the application layer: make a new key, and re-encrypt
every vault-encrypted column under the newest key (optionally adding a fresh key to the embedded key
file first): connection credentials, event subscription secrets, OAuth flows in progress
(`smartap_erp.db.rotation` holds the list). Keys are never returned except by `new_key`, whose whole
point is to show one once.

Rotation takes `Settings`, not an `AppContext`: it loads the key ring itself, after a new key is added.
When some row opens with no key, the others are still rotated and `IncompleteRotationError` names the
tables and row ids (never the content), carrying the counts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict

from cryptography.fernet import Fernet

from smartap_erp.app.models import AppModel
from smartap_erp.db.rotation import BATCH_SIZE, ColumnRotation, rotate_all
from smartap_erp.db.session import make_engine, make_session_factory
from smartap_erp.db.vault import KEYS_VARIABLE, CredentialVault, load_keyring, prepend_key_file
from smartap_erp.errors import ConfigurationError, CredentialDecryptionError
from smartap_erp.settings import Settings

SHOWN_IDS = 10  # row ids an error names per table
__all__ = ["BATCH_SIZE", "IncompleteRotationError", "KeyRotation", "RotatedKind", "new_key", "rotate"]


class RotatedKind(AppModel):
    kind: str  # "connection credentials", "event subscription secrets", ...
    table: str
    rows: int  # rows looked at
    re_encrypted: int  # rows written under the newest key
    already_current: int  # rows the newest key already opened: left alone
    unreadable: list[str]  # ids of rows no key opens


class KeyRotation(AppModel):
    kinds: list[RotatedKind]
    key_source: str  # where the newest key came from: the variable or the key file's path


class IncompleteRotationError(CredentialDecryptionError):
    """Some rows open with no configured key; every other row was rotated (`rotation` says how many)."""

    def __init__(self, rotation: KeyRotation) -> None:
        self.rotation = rotation
        parts = []
        for done in rotation.kinds:
            if done.unreadable:
                shown = ", ".join(done.unreadable[:SHOWN_IDS])
                hidden = len(done.unreadable) - SHOWN_IDS
                more = f" and {hidden} more" if hidden > 0 else ""
                parts.append(f"{done.table} ({done.kind}) rows {shown}{more}")
        super().__init__(
            f"no key in {rotation.key_source} opens {'; '.join(parts)}: they were left as they are "
            "(keep the key that encrypted them, or re-enter those secrets); every other row is under "
            "the newest key"
        )


def new_key() -> str:
    """A new Fernet key, to put first in SMARTAP_ENCRYPTION_KEYS before a rotation."""
    return Fernet.generate_key().decode()


async def rotate(
    settings: Settings, *, add_key: bool = False, progress: Callable[[ColumnRotation], None] | None = None
) -> KeyRotation:
    """Re-encrypt every encrypted column under the newest key, in batches (`progress` is called after
    each); with `add_key`, a fresh key first goes to the top of the embedded key file (refused when
    keys come from the variable). Raises `IncompleteRotationError` when some row opens with no key."""
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
        results = await rotate_all(make_session_factory(engine), CredentialVault(keyring), progress=progress)
    finally:
        await engine.dispose()
    rotation = KeyRotation(
        kinds=[RotatedKind(**{k: v for k, v in asdict(done).items() if k != "total"}) for done in results],
        key_source=keyring.source,
    )
    if any(done.unreadable for done in rotation.kinds):
        raise IncompleteRotationError(rotation)
    return rotation
