"""OAuth 2.0 bearer auth with refresh (QuickBooks Online, Xero) as an `httpx.Auth` flow.

Refreshes when the access token expires within five minutes, and once after a 401 (revoked early,
clock skew); a 401 on a token fresh from a refresh is retried once, after a short pause and a re-read
of the store, before it is returned (and the connector asks a person to reconnect). Both ERPs rotate
the refresh token on every refresh (quickbooks.md §OAuth 2.0 tokens, xero.md §Tenancy and OAuth 2.0), so one
refresh runs at a time per stored pair, across processes (quickbooks.md §OAuth 2.0 tokens,
xero.md §Tenancy and OAuth 2.0, erp-facts.md §Token store): in a process an `asyncio.Lock`; between processes
a `RefreshLease` claimed by compare-and-set on the stored pair after re-reading it. A caller that finds
another worker's live lease polls the store (injected clock and sleep, bounded) until the new pair is there; a
crashed holder's lease expires. The new pair is saved before the original request is sent again, and only over
the pair it was refreshed from, so an older pair never replaces a newer one. An `invalid_grant` answer
re-reads the store once (another worker may have rotated the token) before it becomes an `ERPAuthError`.
Client authentication is HTTP Basic (client_secret_basic). The token endpoint URL is a parameter, so it can
point at a simulator; token requests travel through the same client and transport (retried, mocked).
"""

from __future__ import annotations

import asyncio
import base64
import uuid
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
from smartap_erp.http.clock import Clock, Sleep, system_clock, system_sleep, to_datetime
from smartap_erp.http.redact import get_logger, redact_url, register_secret
from smartap_erp.http.tokens import RefreshLease, Token, TokenStore

log = get_logger(__name__)

REFRESH_MARGIN = 300.0  # seconds before expiry at which a token is refreshed (erp-facts.md §Token store)
# A refresh claim outlives the slowest token call (60 s read + 10 s connect timeout, DEFAULT_TIMEOUT).
LEASE_TTL = 120.0
POLL_INTERVAL = 0.25  # seconds between looks at the store while another worker refreshes
FRESH_401_PAUSE = 1.0  # before retrying a 401 on a just-issued token (the ERP may not know it yet)


@dataclass(frozen=True, slots=True)
class _Ready:
    """The pair to use; `renewed` if it comes from a refresh that finished during this request."""

    token: Token
    renewed: bool


@dataclass(frozen=True, slots=True)
class _Refresh:
    """A refresh to send: the request, the refresh token it spends and the lease it holds."""

    request: httpx.Request
    refresh_token: str
    holder: str
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
        sleep: Sleep = system_sleep,
        refresh_margin: float = REFRESH_MARGIN,
        lease_ttl: float = LEASE_TTL,
        poll_interval: float = POLL_INTERVAL,
    ) -> None:
        register_secret(client_secret)
        self._store = store
        self._erp = erp
        self._token_url = token_url
        pair = f"{quote_plus(client_id)}:{quote_plus(client_secret)}"  # RFC 6749 §2.3.1
        self._basic = "Basic " + base64.b64encode(pair.encode()).decode()
        self._clock = clock
        self._sleep = sleep
        self._margin = refresh_margin
        self._lease_ttl = lease_ttl
        self._poll = poll_interval
        self._lock = asyncio.Lock()
        self._token: Token | None = None  # cached; the store is re-read whenever a refresh is due

    async def async_auth_flow(self, request: httpx.Request) -> AsyncGenerator[httpx.Request, httpx.Response]:
        token = self._token or await self._load()
        after_401 = fresh = retried = False  # fresh: renewed during this request, no refresh is left
        while True:
            if not fresh and (after_401 or self._expiring(token)):
                async with self._lock:  # single flight: the first caller refreshes, the rest re-read
                    step = await self._begin(token, after_401)
                    try:
                        while isinstance(step, _Refresh):
                            response = yield step.request
                            step = await self._finish(step, response)
                    except BaseException:  # the token call failed or was abandoned: free the lease
                        if isinstance(step, _Refresh):
                            await self._release(step.holder)
                        raise
                    token, fresh = step.token, step.renewed or after_401
            request.headers["Authorization"] = f"Bearer {token.access_token}"
            response = yield request
            if response.status_code != 401 or retried:
                return
            url = redact_url(request.url)
            if fresh:
                log.info("%s answered 401 to %s with a fresh token; retrying once", self._erp, url)
                retried = True
                token = await self._recheck(token)
            else:
                log.info("%s answered 401 to %s; refreshing the token once", self._erp, url)
                after_401 = True

    async def _load(self) -> Token:
        self._token = (await self._store.read()).token
        return self._token

    def _expiring(self, token: Token) -> bool:
        return token.expires_within(self._margin, self._clock())

    def _usable(self, stored: Token, used: Token, after_401: bool) -> bool:
        """A stored pair that needs no refresh: not expiring, and newer than one the ERP refused."""
        return not self._expiring(stored) and (stored.access_token != used.access_token or not after_401)

    async def _begin(self, used: Token, after_401: bool, *, after_reread: bool = False) -> _Ready | _Refresh:
        """Re-read the store: another caller (or worker) may have refreshed already, or be refreshing
        now (then wait for its pair); else claim the refresh lease by compare-and-set."""
        holder = uuid.uuid4().hex
        deadline = self._clock() + 2 * self._lease_ttl
        waited = False
        for _ in range(int(2 * self._lease_ttl / self._poll) + 10):  # bounded even if the clock stands
            seen = await self._store.read()
            self._token = seen.token
            if self._usable(seen.token, used, after_401):
                return _Ready(seen.token, renewed=waited)
            now = self._clock()
            if seen.lease is None or not seen.lease.live(to_datetime(now)):
                lease = RefreshLease(holder, to_datetime(now + self._lease_ttl))
                if await self._store.claim_refresh(seen, lease):
                    return self._refresh(seen.token.refresh_token, holder, after_reread=after_reread)
                continue  # the row changed since we read it: look again
            if now >= deadline:
                break
            await self._sleep(self._poll)  # another worker is refreshing: wait for its pair
            waited = True
        raise ERPTransientError(
            f"another worker's token refresh did not finish within {2 * self._lease_ttl:.0f} s; try again",
            erp=self._erp,
            url=self._token_url,
            method="POST",
        )

    async def _finish(self, step: _Refresh, response: httpx.Response) -> _Ready | _Refresh:
        await response.aread()
        if response.status_code == 200:
            return await self._accept(response, step)
        code, description = _oauth_error(response)
        if code == "invalid_grant" and not step.after_reread:
            # Another worker may have rotated the pair since we read it; try theirs once
            # (erp-facts.md §Token store).
            stored = await self._load()
            if stored.refresh_token != step.refresh_token:
                log.info("%s refused a superseded refresh token; using the newer stored one", self._erp)
                await self._release(step.holder)
                return await self._begin(stored, after_401=False, after_reread=True)
        raise self._refusal(response, code, description)  # the caller releases the lease

    async def _accept(self, response: httpx.Response, step: _Refresh) -> _Ready:
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
        # Saved before anything else: the old refresh token is now spent.
        stored = await self._store.save_refreshed(token, spent=step.refresh_token, holder=step.holder)
        self._token = stored
        if stored.refresh_token != token.refresh_token:
            log.info("%s: a newer token pair was stored meanwhile; keeping it", self._erp)
            return _Ready(token if self._expiring(stored) else stored, renewed=True)
        log.info("%s access token refreshed; valid until %s", self._erp, token.expires_at.isoformat())
        return _Ready(token, renewed=True)

    async def _release(self, holder: str) -> None:
        try:
            await self._store.release_refresh(holder)
        except Exception as exc:  # the lease expires on its own; the original failure matters more
            log.warning("%s: could not release the token refresh lease (%s)", self._erp, type(exc).__name__)

    async def _recheck(self, token: Token) -> Token:
        """Before retrying a 401 on a fresh token: pause, then take a newer stored pair if there is one."""
        await self._sleep(FRESH_401_PAUSE)
        stored = await self._load()
        return stored if stored.access_token != token.access_token and not self._expiring(stored) else token

    def _refresh(self, refresh_token: str, holder: str, *, after_reread: bool) -> _Refresh:
        request = httpx.Request(
            "POST",
            self._token_url,
            headers={"Authorization": self._basic, "Accept": "application/json"},
            data={"grant_type": "refresh_token", "refresh_token": refresh_token},
            extensions={SKIP_RATE_LIMIT: True},  # the identity host is not metered by the API limits
        )
        return _Refresh(request, refresh_token, holder, after_reread)

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
