"""`ConnectionTokenStore`: a connection's OAuth token pair, kept encrypted in its credentials row.

`save` writes with compare-and-swap on `credentials_version`: if another worker changed the row since
we read it, we re-read and overlay only the token fields, so a rotated refresh token is never lost and
nothing else in the credentials is overwritten. It returns only once the row is committed, because a
rotated refresh token is the only one that works afterwards (facts §1.2, §2.1).
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from smartap_erp.db.connections import read_credentials, replace_credentials
from smartap_erp.db.models import ERPConnection
from smartap_erp.db.vault import CredentialVault
from smartap_erp.errors import ConfigurationError
from smartap_erp.http.tokens import Token

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


class ConnectionTokenStore:
    """The `TokenStore` of one stored connection."""

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
            return read_credentials(connection, vault=self._vault).to_dict(), connection.credentials_version

    async def load(self) -> Token:
        credentials, _ = await self._read()
        return token_from(credentials, dt.datetime.now(dt.UTC))

    async def save(self, token: Token) -> None:
        for _ in range(_MAX_SWAPS):
            credentials, version = await self._read()
            async with self._sessions() as session, session.begin():
                if await replace_credentials(
                    session,
                    vault=self._vault,
                    connection_id=self._connection_id,
                    expected_version=version,
                    credentials={**credentials, **token_fields(token)},
                ):
                    return
        raise ConfigurationError(
            f"could not store the refreshed token of connection {self._connection_id}: the row kept changing"
        )
