"""OAuth 2.0 bearer auth with refresh (QuickBooks Online, Xero) as an `httpx.Auth` flow.

Refreshes when the access token expires within five minutes, and once more after a 401 (revoked
early, clock skew). Both ERPs rotate the refresh token on every refresh (facts §1.2, §2.1), so the new
pair is saved to the `TokenStore` the moment it arrives, before the original request is sent again.
Concurrent requests share one refresh: an `asyncio.Lock` plus a re-read of the store after taking it
(single flight, facts §1.15.1 / §2.13.1). An `invalid_grant` answer re-reads the store once, since
another worker may have rotated the token already, before it becomes an `ERPAuthError`. Client
authentication is HTTP Basic (client_secret_basic). The token endpoint URL is a parameter, so it can
point at a simulator. Token requests travel through the same client and transport (retried, mocked).
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncGenerator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote_plus

import httpx

from smartap_erp.domain.enums import ERPSystem
from smartap_erp.errors import (
    ERPAuthError,
    ERPConfigurationError,
    ERPError,
    ERPProtocolError,
    ERPTransientError,
)
from smartap_erp.http.call import SKIP_RATE_LIMIT
from smartap_erp.http.clock import Clock, system_clock
from smartap_erp.http.redact import get_logger, redact_url, register_secret
from smartap_erp.http.tokens import Token, TokenStore

log = get_logger(__name__)

REFRESH_MARGIN = 300.0  # seconds before expiry at which a token is refreshed (facts §6 "Token store")


@dataclass(frozen=True, slots=True)
class _Refresh:
    """A refresh to send: the request and the refresh token it spends."""

    request: httpx.Request
    refresh_token: str
    after_reread: bool


class OAuth2RefreshAuth(httpx.Auth):
    """`Authorization: Bearer …` with refresh-before-expiry, refresh-after-401 and token rotation."""

    def __init__(
        self,
        store: TokenStore,
        *,
        erp: ERPSystem,
        token_url: str,
        client_id: str,
        client_secret: str,
        clock: Clock = system_clock,
        refresh_margin: float = REFRESH_MARGIN,
    ) -> None:
        register_secret(client_secret)
        self._store = store
        self._erp = erp
        self._token_url = token_url
        pair = f"{quote_plus(client_id)}:{quote_plus(client_secret)}"  # RFC 6749 §2.3.1
        self._basic = "Basic " + base64.b64encode(pair.encode()).decode()
        self._clock = clock
        self._margin = refresh_margin
        self._lock = asyncio.Lock()
        self._token: Token | None = None  # cached; the store is re-read whenever a refresh is due

    async def async_auth_flow(self, request: httpx.Request) -> AsyncGenerator[httpx.Request, httpx.Response]:
        token = self._token or await self._load()
        after_401 = False
        while True:
            if after_401 or self._expiring(token):
                async with self._lock:  # single flight: the first caller refreshes, the rest re-read
                    step = await self._begin(token, after_401)
                    while isinstance(step, _Refresh):
                        response = yield step.request
                        step = await self._finish(step, response)
                    token = step
            request.headers["Authorization"] = f"Bearer {token.access_token}"
            response = yield request
            if response.status_code != 401 or after_401:
                return
            log.info("%s answered 401 to %s; refreshing the token once", self._erp, redact_url(request.url))
            after_401 = True

    async def _load(self) -> Token:
        self._token = await self._store.load()
        return self._token

    def _expiring(self, token: Token) -> bool:
        return token.expires_within(self._margin, self._clock())

    async def _begin(self, used: Token, after_401: bool) -> Token | _Refresh:
        """Re-read the store under the lock: another caller (or worker) may have refreshed already."""
        stored = await self._load()
        refreshed_elsewhere = stored.access_token != used.access_token
        if not self._expiring(stored) and (refreshed_elsewhere or not after_401):
            return stored
        return self._refresh(stored.refresh_token, after_reread=False)

    async def _finish(self, step: _Refresh, response: httpx.Response) -> Token | _Refresh:
        await response.aread()
        if response.status_code == 200:
            return await self._accept(response, step)
        code, description = _oauth_error(response)
        if code == "invalid_grant" and not step.after_reread:
            # Another worker may have rotated the pair since we read it; try theirs once (facts §6).
            stored = await self._load()
            if stored.refresh_token != step.refresh_token:
                log.info("%s refused a superseded refresh token; using the newer stored one", self._erp)
                if not self._expiring(stored):
                    return stored
                return self._refresh(stored.refresh_token, after_reread=True)
        raise self._refusal(response, code, description)

    async def _accept(self, response: httpx.Response, step: _Refresh) -> Token:
        try:
            body = response.json()
            token = Token.from_token_response(body, now=self._clock(), previous_refresh=step.refresh_token)
        except (ValueError, TypeError, AttributeError) as exc:
            raise ERPProtocolError(
                f"token endpoint sent an unreadable response ({type(exc).__name__})",
                erp=self._erp,
                url=self._token_url,
                method="POST",
                status=response.status_code,
            ) from None
        await self._store.save(token)  # before anything else: the old refresh token is now spent
        self._token = token
        log.info("%s access token refreshed; valid until %s", self._erp, token.expires_at.isoformat())
        return token

    def _refresh(self, refresh_token: str, *, after_reread: bool) -> _Refresh:
        request = httpx.Request(
            "POST",
            self._token_url,
            headers={"Authorization": self._basic, "Accept": "application/json"},
            data={"grant_type": "refresh_token", "refresh_token": refresh_token},
            extensions={SKIP_RATE_LIMIT: True},  # the identity host is not metered by the API limits
        )
        return _Refresh(request, refresh_token, after_reread)

    def _refusal(self, response: httpx.Response, code: str | None, description: str | None) -> ERPError:
        details: dict[str, Any] = {
            "erp": self._erp,
            "url": self._token_url,
            "method": "POST",
            "status": response.status_code,
            "code": code,
            "message": description,
        }
        if response.status_code >= 500 or response.status_code in (408, 429):
            return ERPTransientError("token endpoint unavailable; try again later", **details)
        if code in ("invalid_client", "unauthorized_client"):
            return ERPConfigurationError("token endpoint refused the app's client id/secret", **details)
        return ERPAuthError("token refresh refused; a person must reconnect this connection", **details)


def _oauth_error(response: httpx.Response) -> tuple[str | None, str | None]:
    """RFC 6749 §5.2 error body: {"error": "invalid_grant", "error_description": "..."}."""
    try:
        body = response.json()
    except ValueError:
        return None, None
    if not isinstance(body, dict):
        return None, None
    code, description = body.get("error"), body.get("error_description")
    return (str(code) if code else None), (str(description) if description else None)
