"""OAuth 2.0 token pairs and where they live: `Token`, the async `TokenStore` protocol, a memory store.

A store keeps one connection's pair plus a version and an optional `RefreshLease`: the claim of the
one caller (in any process) that is refreshing right now. Claims and saves are compare-and-set, and a
refreshed pair is stored only while the pair it was refreshed from is still the stored one, so an
older pair never overwrites a newer one. The real store (one encrypted row per connection) belongs
to the database layer. A `Token`'s repr never shows the token values, and parsing a token endpoint
response registers both values with the redactor.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from smartap_erp.http.clock import to_datetime
from smartap_erp.http.redact import register_secret

# seconds, when the token endpoint does not say (QuickBooks' 1 h, quickbooks.md §OAuth 2.0 tokens)
DEFAULT_EXPIRES_IN = 3600.0


@dataclass(frozen=True, slots=True)
class Token:
    """An access/refresh token pair with aware-UTC expiry times."""

    access_token: str = field(repr=False)
    refresh_token: str = field(repr=False)
    expires_at: dt.datetime
    refresh_expires_at: dt.datetime | None = None

    def __post_init__(self) -> None:
        if self.expires_at.tzinfo is None:
            raise ValueError("Token.expires_at must be timezone-aware")
        register_secret(self.access_token, self.refresh_token)

    def expires_within(self, seconds: float, now: float) -> bool:
        """True if the access token is expired or will be within `seconds` of `now` (Unix seconds)."""
        return self.expires_at.timestamp() - now < seconds

    @classmethod
    def from_token_response(
        cls, body: Mapping[str, Any], *, now: float, previous_refresh: str | None = None
    ) -> Token:
        """Parse an RFC 6749 §5.1 response. A missing refresh_token keeps the previous one; QuickBooks
        adds `x_refresh_token_expires_in` (quickbooks.md §OAuth 2.0 tokens)."""
        refresh = body.get("refresh_token") or previous_refresh
        if not isinstance(body.get("access_token"), str) or not isinstance(refresh, str):
            raise ValueError("token response without access_token/refresh_token")
        refresh_in = body.get("x_refresh_token_expires_in")
        return cls(
            access_token=body["access_token"],
            refresh_token=refresh,
            expires_at=to_datetime(now + float(body.get("expires_in") or DEFAULT_EXPIRES_IN)),
            refresh_expires_at=to_datetime(now + float(refresh_in)) if refresh_in else None,
        )


@dataclass(frozen=True, slots=True)
class RefreshLease:
    """Who is refreshing a stored pair, and until when the claim holds (a crashed holder's expires)."""

    holder: str
    until: dt.datetime

    def live(self, now: dt.datetime) -> bool:
        return now < self.until


@dataclass(frozen=True, slots=True)
class StoredToken:
    """The stored pair as read: its version (for compare-and-set) and the refresh lease, if any."""

    token: Token
    version: int
    lease: RefreshLease | None = None


@runtime_checkable
class TokenStore(Protocol):
    """Where one connection's token pair lives, shared by every worker process.

    `save_refreshed` must be durable when it returns: a rotated refresh token is the only one that
    works afterwards (quickbooks.md §OAuth 2.0 tokens, xero.md §Tenancy and OAuth 2.0)."""

    async def read(self) -> StoredToken: ...

    async def claim_refresh(self, seen: StoredToken, lease: RefreshLease) -> bool:
        """Take the refresh lease if the stored row is still the one `seen` (same version)."""
        ...

    async def save_refreshed(self, token: Token, *, spent: str, holder: str) -> Token:
        """Store `token`, refreshed with refresh token `spent`, and drop the lease; unless the stored
        pair no longer holds `spent` (a newer pair is stored): keep that one. Returns the stored pair."""
        ...

    async def release_refresh(self, holder: str) -> None:
        """Drop `holder`'s lease (a failed refresh), leaving the pair as it is."""
        ...


class MemoryTokenStore:
    """A `TokenStore` in memory, for tests, simulators and one-off scripts. Counts reads and saves.

    Several auth flows sharing one instance behave like several processes sharing one database row.
    """

    def __init__(self, token: Token) -> None:
        self.token = token
        self.version = 1
        self.lease: RefreshLease | None = None
        self.loads = 0
        self.saved: list[Token] = []

    async def read(self) -> StoredToken:
        self.loads += 1
        return StoredToken(self.token, self.version, self.lease)

    async def claim_refresh(self, seen: StoredToken, lease: RefreshLease) -> bool:
        if seen.version != self.version:
            return False
        self.lease, self.version = lease, self.version + 1
        return True

    async def save_refreshed(self, token: Token, *, spent: str, holder: str) -> Token:
        if self.token.refresh_token != spent:  # refreshed from an older pair: keep the newer one
            await self.release_refresh(holder)
            return self.token
        self.saved.append(token)
        self.token, self.lease, self.version = token, None, self.version + 1
        return token

    async def release_refresh(self, holder: str) -> None:
        if self.lease is not None and self.lease.holder == holder:
            self.lease, self.version = None, self.version + 1

    async def save(self, token: Token) -> None:
        """Replace the pair outright, as a reconnect or another worker would."""
        self.saved.append(token)
        self.token, self.version = token, self.version + 1
