"""`build_client`: the one function that makes an `httpx.AsyncClient` for a connector.

The client is composition, never subclassing: base URL + auth flow (OAuth 2.0 refresh, SAP session,
NetSuite TBA, or none) + the transport stack `RateLimitTransport -> RetryTransport -> transport`,
where the innermost transport is `httpx.AsyncHTTPTransport` in production or an injected one in tests
(`httpx.MockTransport`, `httpx.ASGITransport` mounting a simulator). Timeouts, user agent, JSON
`Accept` and TLS verification (self-signed SAP servers, sap.md §Hosts and versions) are set here. Connectors
receive a ready client; they never sleep, retry, refresh or log in themselves. `close_client` logs
out of a session-based ERP before closing the connection pool.
"""

from __future__ import annotations

import ssl
from collections.abc import Mapping, Sequence
from typing import Protocol, runtime_checkable

import httpx

from smartap_erp import __version__
from smartap_erp.http.clock import Clock, Random, Sleep, system_clock, system_random, system_sleep
from smartap_erp.http.ratelimit import RateLimiter, RateLimitTransport
from smartap_erp.http.recorder import RecordingTransport
from smartap_erp.http.redact import install_third_party_redaction
from smartap_erp.http.retry import RetryPolicy, RetryTransport

USER_AGENT = f"smartap-erp/{__version__}"
# QuickBooks times a request out after 120 s (quickbooks.md §Rate limits); reads of 1,000 rows take seconds.
DEFAULT_TIMEOUT = httpx.Timeout(60.0, connect=10.0)


@runtime_checkable
class SessionAuth(Protocol):
    """An auth flow with a server-side session to end (SAP `POST /Logout`)."""

    async def aclose_session(self, client: httpx.AsyncClient) -> None: ...


def build_transport(
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    retry: RetryPolicy | None = None,
    limiters: Sequence[RateLimiter] = (),
    clock: Clock = system_clock,
    sleep: Sleep = system_sleep,
    random: Random = system_random,
    verify: ssl.SSLContext | str | bool = True,
) -> httpx.AsyncBaseTransport:
    """The stack every request travels: rate limit -> retry -> recorder -> `transport` (or real HTTP).
    The recorder keeps each attempt (retries, logins and refreshes included) of a run being recorded
    (`http.recorder`, started by the run's sync log) and only passes requests through otherwise."""
    inner = transport if transport is not None else httpx.AsyncHTTPTransport(verify=verify)
    if not isinstance(inner, RecordingTransport):
        inner = RecordingTransport(inner)
    retrying = RetryTransport(inner, policy=retry, clock=clock, sleep=sleep, random=random)
    return RateLimitTransport(retrying, limiters)


def build_client(
    base_url: str,
    *,
    auth: httpx.Auth | None = None,
    headers: Mapping[str, str] | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    retry: RetryPolicy | None = None,
    limiters: Sequence[RateLimiter] = (),
    timeout: httpx.Timeout | float | None = None,
    clock: Clock = system_clock,
    sleep: Sleep = system_sleep,
    random: Random = system_random,
    verify: ssl.SSLContext | str | bool = True,
    user_agent: str = USER_AGENT,
) -> httpx.AsyncClient:
    """Make the client a connector talks through. `base_url` should end with `/` when it has a path."""
    install_third_party_redaction()
    stack = build_transport(
        transport=transport,
        retry=retry,
        limiters=limiters,
        clock=clock,
        sleep=sleep,
        random=random,
        verify=verify,
    )
    return httpx.AsyncClient(
        base_url=base_url,
        auth=auth,
        headers={"Accept": "application/json", "User-Agent": user_agent, **(headers or {})},
        timeout=timeout if timeout is not None else DEFAULT_TIMEOUT,
        transport=stack,
        follow_redirects=False,  # an ERP redirect would drop auth headers; surface it instead
    )


async def close_client(client: httpx.AsyncClient) -> None:
    """End the ERP session if the auth flow holds one, then close the connection pool."""
    auth = client.auth
    try:
        if isinstance(auth, SessionAuth):
            await auth.aclose_session(client)
    finally:
        await client.aclose()
