"""A worker's vault re-reads its keys (issue 12, item 13): after a key is added to the key file and the
credentials re-encrypted under it, the vault the worker built before still decrypts them, and encrypts
new ones under the new key once reloaded (before each job)."""

from __future__ import annotations

from pathlib import Path

from cryptography.fernet import Fernet

from smartap_erp.db.vault import CredentialVault, load_keyring, prepend_key_file
from smartap_erp.jobs.operations import ReloadingVault, fresh_keyring
from smartap_erp.settings import Settings


def test_a_vault_built_before_a_rotation_reads_what_was_rotated(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'app.db'}")
    worker_vault = ReloadingVault(lambda: fresh_keyring(settings))  # built at worker start
    old = worker_vault.encrypt({"token": "t"})

    new_key = Fernet.generate_key()
    prepend_key_file(tmp_path / "smartap.key", new_key)  # `keys rotate --new-key`, another process
    rotated = CredentialVault(load_keyring(settings)).rotate(old)

    assert worker_vault.decrypt(rotated)["token"] == "t"  # unknown key: reloaded, then decrypted
    worker_vault.reload()
    assert Fernet(new_key).decrypt(worker_vault.encrypt({"token": "u"}))  # new writes: newest key
