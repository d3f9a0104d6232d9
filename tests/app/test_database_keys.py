"""Key rotation through the application layer on SQLite and PostgreSQL: every stored credential is
re-encrypted under the newest key (readable without the old one afterwards), and adding a key is
refused when the keys come from the environment variable (issue 13 item 2)."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from smartap_erp.app import keys
from smartap_erp.db.models import ERPConnection
from smartap_erp.errors import ConfigurationError
from smartap_erp.settings import Settings
from tests.jobs.dbhelpers import add_connection


async def test_rotation_re_encrypts_every_credential_under_the_newest_key(
    engine: AsyncEngine, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    old, new = Fernet.generate_key(), Fernet.generate_key()
    cid = await add_connection(session_factory, "qb", key=old)
    settings = Settings(
        database_url=engine.url.render_as_string(hide_password=False),
        smartap_encryption_keys=f"{new.decode()},{old.decode()}",
    )

    done = await keys.rotate(settings)

    assert done.key_source == "SMARTAP_ENCRYPTION_KEYS"
    assert (done.kinds[0].table, done.kinds[0].re_encrypted) == ("erp_connections", 1)
    async with session_factory() as session:
        stored = await session.get(ERPConnection, cid)
        assert stored is not None
        Fernet(new).decrypt(stored.credentials)  # the newest key alone reads it now
        with pytest.raises(InvalidToken):
            Fernet(old).decrypt(stored.credentials)
    with pytest.raises(ConfigurationError, match="--new-key works with the embedded key file"):
        await keys.rotate(settings, add_key=True)
    Fernet(keys.new_key().encode())  # a usable key
