"""`ConnectionTokenStore`: a connection's OAuth token pair, kept encrypted in its credentials row.

Every write is a compare-and-swap on `credentials_version`, so it never loses another worker's
change. The row also carries the refresh lease (`TOKEN_LEASE_KEY` in the encrypted blob, so no
schema of its own): a worker claims it by CAS after reading the pair, and the holder's new pair is
stored only while the row still holds the refresh token it spent; a newer pair (another worker, a
reconnect) is kept instead. Writes return only once committed, because a rotated refresh token is
the only one that works afterwards (quickbooks.md §OAuth 2.0 tokens, xero.md §Tenancy and OAuth 2.0).
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from smartap_erp.db.connections import TOKEN_LEASE_KEY, read_stored_credentials, replace_credentials
from smartap_erp.db.models import ERPConnection
from smartap_erp.db.vault import CredentialVault
from smartap_erp.errors import ConfigurationError
from smartap_erp.http.tokens import RefreshLease, StoredToken, Token

ACCESS_TOKEN_TTL = dt.timedelta(
    minutes=30
)  # assumed for a stored pair without an expiry: Xero's, the shorter
_MAX_SWAPS = 5


def token_fields(token: Token) -> dict[str, Any]:
    return {
        "access_token": token.access_token,
        "refresh_token": token.refresh_token,
        "access_token_expires_at": token.expires_at.isoformat(),
        "refresh_token_expires_at": token.refresh_expires_at.isoformat()
        if token.refresh_expires_at
        else None,
    }


def token_from(credentials: Any, now: dt.datetime) -> Token:
    expires = credentials.get("access_token_expires_at")
    refresh_expires = credentials.get("refresh_token_expires_at")
    return Token(
        access_token=str(credentials["access_token"]),
        refresh_token=str(credentials["refresh_token"]),
        expires_at=dt.datetime.fromisoformat(expires) if expires else now + ACCESS_TOKEN_TTL,
        refresh_expires_at=dt.datetime.fromisoformat(refresh_expires) if refresh_expires else None,
    )


def lease_from(credentials: Any) -> RefreshLease | None:
    raw = credentials.get(TOKEN_LEASE_KEY)
    try:
        return RefreshLease(str(raw["holder"]), dt.datetime.fromisoformat(raw["until"])) if raw else None
    except (KeyError, TypeError, ValueError):
        return None  # unreadable: as if free, so a refresh can still happen


def _without_lease(credentials: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in credentials.items() if key != TOKEN_LEASE_KEY}


class ConnectionTokenStore:
    """The `TokenStore` of one stored connection, shared by every worker through its row."""

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        vault: CredentialVault,
        connection_id: uuid.UUID,
    ) -> None:
        self._sessions = session_factory
        self._vault = vault
        self._connection_id = connection_id

    async def _read(self) -> tuple[dict[str, Any], int]:
        async with self._sessions() as session:
            connection = await session.get(ERPConnection, self._connection_id)
            if connection is None:
                raise ConfigurationError(f"connection {self._connection_id} no longer exists")
            return read_stored_credentials(connection, vault=self._vault), connection.credentials_version

    async def _swap(self, version: int, credentials: dict[str, Any]) -> bool:
        async with self._sessions() as session, session.begin():
            return await replace_credentials(
                session,
                vault=self._vault,
                connection_id=self._connection_id,
                expected_version=version,
                credentials=credentials,
            )

    async def read(self) -> StoredToken:
        credentials, version = await self._read()
        return StoredToken(token_from(credentials, dt.datetime.now(dt.UTC)), version, lease_from(credentials))

    async def load(self) -> Token:
        return (await self.read()).token

    async def claim_refresh(self, seen: StoredToken, lease: RefreshLease) -> bool:
        credentials, version = await self._read()
        if version != seen.version:
            return False
        fields = {"holder": lease.holder, "until": lease.until.isoformat()}
        return await self._swap(version, {**credentials, TOKEN_LEASE_KEY: fields})

    async def save_refreshed(self, token: Token, *, spent: str, holder: str) -> Token:
        for _ in range(_MAX_SWAPS):
            credentials, version = await self._read()
            if credentials.get("refresh_token") != spent:  # a newer pair is stored: it stays
                await self._drop_lease(credentials, version, holder)
                return token_from(credentials, dt.datetime.now(dt.UTC))
            if await self._swap(version, {**_without_lease(credentials), **token_fields(token)}):
                return token
        raise self._kept_changing()

    async def release_refresh(self, holder: str) -> None:
        for _ in range(_MAX_SWAPS):
            credentials, version = await self._read()
            if await self._drop_lease(credentials, version, holder) is not False:
                return
        raise self._kept_changing()

    async def _drop_lease(self, credentials: dict[str, Any], version: int, holder: str) -> bool | None:
        """False if the row changed under us; None if `holder` holds no lease there."""
        lease = lease_from(credentials)
        if lease is None or lease.holder != holder:
            return None
        return await self._swap(version, _without_lease(credentials))

    async def save(self, token: Token) -> None:
        """Store a pair outright (a reconnect), keeping every other field of the row."""
        for _ in range(_MAX_SWAPS):
            credentials, version = await self._read()
            if await self._swap(version, {**credentials, **token_fields(token)}):
                return
        raise self._kept_changing()

    def _kept_changing(self) -> ConfigurationError:
        return ConfigurationError(
            f"could not store the token of connection {self._connection_id}: the row kept changing"
        )
