"""OAuth 2.0 token pairs and where they live: `Token`, the async `TokenStore` protocol, a memory store.

The real store (one encrypted row per connection, compare-and-swap on a version) belongs to the
database layer; anything with async `load()` and `save(token)` fits. A `Token`'s repr never shows the
token values, and parsing a token endpoint response registers both values with the redactor.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from smartap_erp.http.clock import to_datetime
from smartap_erp.http.redact import register_secret

DEFAULT_EXPIRES_IN = 3600.0  # seconds, when the token endpoint does not say (QuickBooks' 1 h, facts §1.2)


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
        adds `x_refresh_token_expires_in` (facts §1.2)."""
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


@runtime_checkable
class TokenStore(Protocol):
    """Where one connection's token pair lives. `save` must be durable when it returns: a rotated
    refresh token is the only one that works afterwards (facts §1.2, §2.1)."""

    async def load(self) -> Token: ...

    async def save(self, token: Token) -> None: ...


class MemoryTokenStore:
    """A `TokenStore` in memory, for tests, simulators and one-off scripts. Counts loads and saves."""

    def __init__(self, token: Token) -> None:
        self.token = token
        self.loads = 0
        self.saved: list[Token] = []

    async def load(self) -> Token:
        self.loads += 1
        return self.token

    async def save(self, token: Token) -> None:
        self.saved.append(token)
        self.token = token
