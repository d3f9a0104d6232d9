"""The credential vault: ERP credentials, event subscription secrets and OAuth flows' secrets are
encrypted at rest with MultiFernet and rotatable (`smartap_erp.db.rotation` lists every such column).

Keys come from `SMARTAP_ENCRYPTION_KEYS` (comma-separated Fernet keys, newest first). With none set
and a SQLite database, the embedded default keeps them in a key file (`smartap.key`, mode 0600)
beside the database, created on first use and announced once in the log. PostgreSQL deployments run
several workers on several machines, so they must set the variable: a per-machine file would split
them. Decrypted credentials are a `ConnectorCredentials` mapping whose repr never shows a value.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from smartap_erp.credentials import ConnectorCredentials
from smartap_erp.errors import ConfigurationError, CredentialDecryptionError
from smartap_erp.settings import Settings

log = logging.getLogger(__name__)

KEY_FILE_NAME = "smartap.key"
KEYS_VARIABLE = "SMARTAP_ENCRYPTION_KEYS"


class KeyRing:
    """Fernet keys, newest first, plus where they came from (for messages and rotation)."""

    def __init__(self, keys: list[bytes], source: str, key_file: Path | None = None) -> None:
        if not keys:
            raise ConfigurationError(f"{KEYS_VARIABLE}: expected at least one Fernet key")
        self.keys = keys
        self.source = source
        self.key_file = key_file

    def fernet(self) -> MultiFernet:
        return MultiFernet([Fernet(key) for key in self.keys])


def parse_keys(raw: str, source: str = KEYS_VARIABLE) -> list[bytes]:
    """Split and check comma- or newline-separated keys; the message names the bad one's position."""
    parts = [part.strip() for part in raw.replace("\n", ",").split(",") if part.strip()]
    for position, part in enumerate(parts, start=1):
        try:
            Fernet(part.encode())
        except (ValueError, TypeError):
            raise ConfigurationError(
                f"{source}: key #{position} is not a Fernet key (expected 32 url-safe base64-encoded "
                "bytes, as printed by `smartap-erp keys generate`)"
            ) from None
    return [part.encode() for part in parts]


def load_keyring(settings: Settings) -> KeyRing:
    """Keys from the environment, else the embedded key file beside the SQLite database."""
    if settings.smartap_encryption_keys is not None:
        return KeyRing(parse_keys(settings.smartap_encryption_keys.get_secret_value()), KEYS_VARIABLE)
    if not settings.is_sqlite:
        raise ConfigurationError(
            f"{KEYS_VARIABLE}: required with PostgreSQL (every worker must share the same keys); "
            "create one with `smartap-erp keys generate`"
        )
    key_file = settings.data_dir / KEY_FILE_NAME
    if not key_file.exists():
        _create_key_file(key_file)
    return KeyRing(parse_keys(key_file.read_text(), str(key_file)), str(key_file), key_file)


def _create_key_file(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return  # another process created it first; use theirs
    with os.fdopen(fd, "w") as handle:
        handle.write(Fernet.generate_key().decode() + "\n")
    log.warning(
        "created encryption key file %s (mode 0600) for stored ERP credentials; back it up, "
        "or set %s to manage keys yourself",
        path,
        KEYS_VARIABLE,
    )


def prepend_key_file(path: Path, new_key: bytes) -> None:
    """Put a new key first in the key file, keeping the old ones for decryption, atomically."""
    old = path.read_text() if path.exists() else ""
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(new_key.decode() + "\n" + old)
    os.replace(tmp, path)


class CredentialVault:
    """Encrypts and decrypts credential mappings; encryption always uses the newest key."""

    def __init__(self, keyring: KeyRing) -> None:
        self._keyring = keyring
        self._fernet = keyring.fernet()

    def encrypt(self, credentials: Mapping[str, Any]) -> bytes:
        return self._fernet.encrypt(json.dumps(dict(credentials), sort_keys=True).encode())

    def decrypt(self, ciphertext: bytes, *, owner: str = "credentials") -> ConnectorCredentials:
        try:
            plain = self._fernet.decrypt(ciphertext)
        except InvalidToken:
            raise CredentialDecryptionError(
                f"cannot decrypt {owner}: no key in {self._keyring.source} matches; was the key that "
                "encrypted them removed, or the database copied from another installation?"
            ) from None
        return ConnectorCredentials(json.loads(plain))

    def is_current(self, ciphertext: bytes) -> bool:
        """Whether the newest key alone opens `ciphertext` (a rotation leaves such a row alone)."""
        try:
            Fernet(self._keyring.keys[0]).decrypt(ciphertext)
        except InvalidToken:
            return False
        return True

    def rotate(self, ciphertext: bytes, *, owner: str = "credentials") -> bytes:
        """Re-encrypt under the newest key (readable afterwards with the newest key alone)."""
        try:
            return self._fernet.rotate(ciphertext)
        except InvalidToken:
            raise CredentialDecryptionError(
                f"cannot rotate {owner}: no key in {self._keyring.source} matches"
            ) from None
