"""Credentials are encrypted at rest, rotatable, and never shown in plain text anywhere."""

from __future__ import annotations

import logging
import stat
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from smartap_erp.db.connections import (
    create_connection,
    read_credentials,
    replace_credentials,
)
from smartap_erp.db.models import ERPConnection
from smartap_erp.db.rotation import ENCRYPTED_COLUMNS, rotate_column
from smartap_erp.db.vault import CredentialVault, KeyRing, load_keyring, parse_keys, prepend_key_file
from smartap_erp.domain.enums import ERPSystem
from smartap_erp.errors import ConfigurationError, CredentialDecryptionError
from smartap_erp.settings import load_settings

SENTINEL = "sntnl-5ecret-7f3a9c"
CREDENTIALS = {
    "client_id": "abc",
    "client_secret": SENTINEL,
    "refresh_token": SENTINEL + "-rt",
    "realm_id": "1",
}

Factory = async_sessionmaker[AsyncSession]


def vault_with(*keys: bytes) -> CredentialVault:
    return CredentialVault(KeyRing(list(keys), "test keys"))


async def _store(factory: Factory, vault: CredentialVault) -> ERPConnection:
    async with factory() as session:
        connection = await create_connection(
            session, vault=vault, name="Books", system_type=ERPSystem.QUICKBOOKS, credentials=CREDENTIALS
        )
        await session.commit()
        return connection


async def _raw_dump(engine: AsyncEngine, backend: str, tmp_path: Path) -> bytes:
    if backend == "sqlite":
        await engine.dispose()  # flush WAL pages to the file, then read every file of the database
        return b"".join(path.read_bytes() for path in tmp_path.glob("smartap.db*"))
    async with engine.connect() as conn:
        rows = (await conn.execute(text("SELECT t::text FROM erp_connections t"))).scalars().all()
    return "\n".join(rows).encode()


async def test_sentinel_secret_never_stored_in_plain_text(
    engine: AsyncEngine, session_factory: Factory, backend: str, tmp_path: Path
) -> None:
    vault = vault_with(Fernet.generate_key())
    connection = await _store(session_factory, vault)

    dump = await _raw_dump(engine, backend, tmp_path)

    assert len(dump) > 0
    assert SENTINEL.encode() not in dump
    assert b"client_secret" not in dump  # not even the key names leak
    assert SENTINEL not in repr(connection)


async def test_rotation_keeps_credentials_readable_under_the_new_key(session_factory: Factory) -> None:
    old_key, new_key = Fernet.generate_key(), Fernet.generate_key()
    stored = await _store(session_factory, vault_with(old_key))

    rotated = await rotate_column(session_factory, ENCRYPTED_COLUMNS[0], vault_with(new_key, old_key))
    assert (rotated.table, rotated.re_encrypted, rotated.already_current) == ("erp_connections", 1, 0)

    async with session_factory() as session:
        connection = await session.get(ERPConnection, stored.id)
        assert connection is not None
        assert connection.credentials != stored.credentials
        # Readable with the new key alone: the old one can now be dropped.
        assert read_credentials(connection, vault=vault_with(new_key)).to_dict() == CREDENTIALS
        with pytest.raises(CredentialDecryptionError):
            read_credentials(connection, vault=vault_with(old_key))


async def test_wrong_key_gives_a_clear_error(session_factory: Factory) -> None:
    stored = await _store(session_factory, vault_with(Fernet.generate_key()))
    with pytest.raises(CredentialDecryptionError) as caught:
        read_credentials(stored, vault=vault_with(Fernet.generate_key()))
    message = str(caught.value)
    assert "cannot decrypt the credentials of connection 'Books'" in message
    assert str(stored.id) in message
    assert SENTINEL not in message


async def test_replace_credentials_is_compare_and_swap(session_factory: Factory) -> None:
    vault = vault_with(Fernet.generate_key())
    stored = await _store(session_factory, vault)
    rotated = {**CREDENTIALS, "refresh_token": "rt-2"}
    async with session_factory() as session, session.begin():
        assert await replace_credentials(
            session, vault=vault, connection_id=stored.id, expected_version=1, credentials=rotated
        )
    async with session_factory() as session, session.begin():  # a second writer with a stale version loses
        assert not await replace_credentials(
            session, vault=vault, connection_id=stored.id, expected_version=1, credentials=CREDENTIALS
        )
    async with session_factory() as session:
        connection = await session.get(ERPConnection, stored.id)
        assert connection is not None and connection.credentials_version == 2
        assert read_credentials(connection, vault=vault)["refresh_token"] == "rt-2"


def test_credentials_repr_hides_values() -> None:
    creds = vault_with(Fernet.generate_key())
    shown = repr(creds.decrypt(creds.encrypt(CREDENTIALS)))
    assert SENTINEL not in shown and "client_secret" in shown
    assert SENTINEL not in str(creds.decrypt(creds.encrypt(CREDENTIALS)))


def test_embedded_key_file_created_once_with_mode_0600(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = load_settings(database_url=f"sqlite:///{tmp_path / 'db' / 'smartap.db'}")
    caplog.set_level(logging.INFO)
    first = load_keyring(settings)
    second = load_keyring(settings)
    key_file = tmp_path / "db" / "smartap.key"
    assert first.key_file == key_file and first.keys == second.keys
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert sum("created encryption key file" in r.getMessage() for r in caplog.records) == 1


def test_prepended_key_becomes_newest(tmp_path: Path) -> None:
    settings = load_settings(database_url=f"sqlite:///{tmp_path / 'smartap.db'}")
    original = load_keyring(settings)
    new_key = Fernet.generate_key()
    assert original.key_file is not None
    prepend_key_file(original.key_file, new_key)
    assert load_keyring(settings).keys == [new_key, *original.keys]
    assert stat.S_IMODE(original.key_file.stat().st_mode) == 0o600


def test_keys_from_environment_and_their_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    keys = [Fernet.generate_key(), Fernet.generate_key()]
    monkeypatch.setenv("SMARTAP_ENCRYPTION_KEYS", ",".join(k.decode() for k in keys))
    assert load_keyring(load_settings()).keys == keys
    with pytest.raises(ConfigurationError, match=r"SMARTAP_ENCRYPTION_KEYS: key #2 is not a Fernet key"):
        parse_keys(f"{keys[0].decode()},not-a-key")


def test_postgres_requires_explicit_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SMARTAP_ENCRYPTION_KEYS", raising=False)
    settings = load_settings(database_url="postgresql://db.example/smartap")
    with pytest.raises(ConfigurationError, match="SMARTAP_ENCRYPTION_KEYS: required with PostgreSQL"):
        load_keyring(settings)
