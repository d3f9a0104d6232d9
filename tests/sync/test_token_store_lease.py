"""`ConnectionTokenStore` on both databases: the refresh lease claimed by compare-and-set on the
credentials row, and a refreshed pair stored only over the pair it was refreshed from."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from cryptography.fernet import Fernet
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from smartap_erp.db.connections import read_credentials, replace_credentials
from smartap_erp.db.models import ERPConnection
from smartap_erp.db.vault import CredentialVault, KeyRing
from smartap_erp.http import Token
from smartap_erp.http.tokens import RefreshLease
from smartap_erp.sync.tokens import ConnectionTokenStore
from tests.sync.test_foundation import _connection as stored_connection

Factory = async_sessionmaker[AsyncSession]
NOW = dt.datetime(2024, 6, 3, 12, 0, tzinfo=dt.UTC)
FIRST = {"client_id": "c", "realm_id": "9", "access_token": "a1xxxx", "refresh_token": "r1xxxx"}


@pytest.fixture
def vault() -> CredentialVault:
    return CredentialVault(KeyRing([Fernet.generate_key()], "test"))


@pytest.fixture
async def store(session_factory: Factory, vault: CredentialVault) -> ConnectionTokenStore:
    connection = await stored_connection(session_factory, vault, FIRST)
    return ConnectionTokenStore(session_factory, vault, connection.id)


def lease(holder: str) -> RefreshLease:
    return RefreshLease(holder, NOW + dt.timedelta(minutes=2))


def pair(n: int) -> Token:
    return Token(f"a{n}xxxx", f"r{n}xxxx", NOW + dt.timedelta(hours=1))


async def stored_credentials(
    store: ConnectionTokenStore, factory: Factory, vault: CredentialVault
) -> dict[str, Any]:
    async with factory() as session:
        connection = await session.get(ERPConnection, store._connection_id)
        assert connection is not None
        return read_credentials(connection, vault=vault).to_dict()


async def test_one_claim_wins_and_the_lease_stays_out_of_the_credentials(
    store: ConnectionTokenStore, session_factory: Factory, vault: CredentialVault
) -> None:
    seen = await store.read()
    assert seen.lease is None
    assert await store.claim_refresh(seen, lease("worker-a"))
    assert not await store.claim_refresh(seen, lease("worker-b"))  # the row moved on: compare-and-set
    now = await store.read()
    assert now.lease == lease("worker-a") and now.version == seen.version + 1
    assert now.token.refresh_token == "r1xxxx"
    assert sorted(await stored_credentials(store, session_factory, vault)) == sorted(FIRST)

    await store.release_refresh("worker-b")  # not its lease: nothing changes
    assert (await store.read()).lease == lease("worker-a")
    await store.release_refresh("worker-a")
    released = await store.read()
    assert released.lease is None and released.token.refresh_token == "r1xxxx"


async def test_the_holders_pair_replaces_the_one_it_spent_and_frees_the_lease(
    store: ConnectionTokenStore, session_factory: Factory, vault: CredentialVault
) -> None:
    assert await store.claim_refresh(await store.read(), lease("worker-a"))
    seen = await store.read()
    async with session_factory() as session, session.begin():  # a person edits the realm meanwhile
        assert await replace_credentials(
            session,
            vault=vault,
            connection_id=store._connection_id,
            expected_version=seen.version,
            credentials={**FIRST, "realm_id": "10"},
        )
    kept = await store.save_refreshed(pair(2), spent="r1xxxx", holder="worker-a")
    assert kept == pair(2)
    after = await store.read()
    assert after.token == pair(2) and after.lease is None
    assert (await stored_credentials(store, session_factory, vault))["realm_id"] == "10"


async def test_a_slow_workers_older_refresh_never_overwrites_the_newer_pair(
    store: ConnectionTokenStore,
) -> None:
    # Worker A refreshed r1 -> r2, then r2 -> r3; slow worker B, whose lease expired long ago, comes
    # back with the pair it got for r1. The stored r3 stays, and B uses it.
    assert await store.save_refreshed(pair(2), spent="r1xxxx", holder="worker-a") == pair(2)
    assert await store.claim_refresh(await store.read(), lease("worker-a"))
    assert await store.save_refreshed(pair(3), spent="r2xxxx", holder="worker-a") == pair(3)
    assert await store.save_refreshed(pair(22), spent="r1xxxx", holder="worker-b") == pair(3)
    assert (await store.read()).token == pair(3)


async def test_a_superseded_holder_drops_its_own_lease(store: ConnectionTokenStore) -> None:
    assert await store.claim_refresh(await store.read(), lease("worker-b"))
    await store.save(pair(5))  # a reconnect stores a brand-new pair during B's refresh
    assert await store.save_refreshed(pair(2), spent="r1xxxx", holder="worker-b") == pair(5)
    after = await store.read()
    assert after.token == pair(5) and after.lease is None
