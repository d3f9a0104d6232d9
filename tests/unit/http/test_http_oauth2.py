"""OAuth 2.0 refresh flow: expiry margin, 401 replay, rotation persisted first, single flight,
invalid_grant re-read, error classes. The identity server and API are one MockTransport handler."""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
from collections.abc import Callable, Coroutine
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest

from smartap_erp.domain.enums import ERPSystem
from smartap_erp.errors import ERPAuthError, ERPConfigurationError, ERPTransientError
from smartap_erp.http import (
    LimiterRegistry,
    ManualClock,
    MemoryTokenStore,
    OAuth2RefreshAuth,
    RateLimiter,
    RateLimitPolicy,
    Token,
    Window,
    build_client,
)
from smartap_erp.http.clock import Sleep
from smartap_erp.http.oauth2 import FRESH_401_PAUSE, LEASE_TTL, POLL_INTERVAL
from smartap_erp.http.tokens import RefreshLease

TOKEN_URL = "http://127.0.0.1:9999/connect/token"
API = "https://api.erp.test/api.xro/2.0/"


def token(clock: ManualClock, access: str, refresh: str, expires_in: float) -> Token:
    return Token(access, refresh, expires_at=dt.datetime.fromtimestamp(clock() + expires_in, tz=dt.UTC))


class FakeProvider:
    """Identity endpoint that rotates refresh tokens, plus an API that checks the bearer token."""

    def __init__(self, store: MemoryTokenStore, *, valid_access: str = "access-1") -> None:
        self.store = store
        self.valid_access = {valid_access}
        self.valid_refresh = {"refresh-1"}
        self.generation = 1
        self.token_calls: list[dict[str, list[str]]] = []
        self.api_calls: list[str] = []
        self.stored_refresh_at_api_call: list[str] = []
        self.token_status: int | None = None
        self.token_error = "invalid_grant"
        self.refuse_all = False
        self.lagging: list[str] = []  # access tokens refused once per entry (not yet propagated)

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        if str(request.url) == TOKEN_URL:
            return await self.token_endpoint(request)
        bearer = request.headers.get("Authorization", "").removeprefix("Bearer ")
        self.api_calls.append(bearer)
        self.stored_refresh_at_api_call.append(self.store.token.refresh_token)
        if bearer in self.lagging:
            self.lagging.remove(bearer)
            return httpx.Response(401, json={"Title": "Unauthorized", "Status": 401})
        if bearer not in self.valid_access or self.refuse_all:
            return httpx.Response(401, json={"Title": "Unauthorized", "Status": 401})
        return httpx.Response(200, json={"Invoices": []})

    async def token_endpoint(self, request: httpx.Request) -> httpx.Response:
        form = parse_qs(request.content.decode())
        self.token_calls.append(form)
        for _ in range(3):
            await asyncio.sleep(0)  # let concurrent requests pile up behind the refresh
        if self.token_status is not None:
            return httpx.Response(self.token_status, json={"error": self.token_error})
        presented = form["refresh_token"][0]
        if presented not in self.valid_refresh:
            return httpx.Response(400, json={"error": "invalid_grant", "error_description": "grant revoked"})
        self.valid_refresh.discard(presented)  # rotation: the old refresh token is spent
        self.generation += 1
        access, refresh = f"access-{self.generation}", f"refresh-{self.generation}"
        self.valid_access, self.valid_refresh = {access}, self.valid_refresh | {refresh}
        return httpx.Response(
            200,
            json={
                "access_token": access,
                "refresh_token": refresh,
                "expires_in": 1800,
                "token_type": "Bearer",
            },
        )


def make_client(
    provider: FakeProvider,
    store: MemoryTokenStore,
    clock: ManualClock,
    limiters: list[RateLimiter] | None = None,
    handler: Callable[[httpx.Request], Coroutine[Any, Any, httpx.Response]] | None = None,
    sleep: Sleep | None = None,
) -> httpx.AsyncClient:
    auth = OAuth2RefreshAuth(
        store,
        erp=ERPSystem.XERO,
        token_url=TOKEN_URL,
        client_id="client id",
        client_secret="s3cret",
        clock=clock,
        sleep=sleep or clock.sleep,
    )
    return build_client(
        API,
        auth=auth,
        transport=httpx.MockTransport(handler or provider),
        clock=clock,
        sleep=clock.sleep,
        limiters=limiters or [],
    )


async def test_fresh_token_is_used_without_refresh(clock: ManualClock) -> None:
    store = MemoryTokenStore(token(clock, "access-1", "refresh-1", expires_in=301))
    provider = FakeProvider(store)
    async with make_client(provider, store, clock) as client:
        response = await client.get("Invoices")
    assert response.status_code == 200
    assert provider.api_calls == ["access-1"]
    assert provider.token_calls == []


async def test_token_expiring_within_five_minutes_is_refreshed_first(clock: ManualClock) -> None:
    store = MemoryTokenStore(token(clock, "access-1", "refresh-1", expires_in=299))
    provider = FakeProvider(store)
    async with make_client(provider, store, clock) as client:
        response = await client.get("Invoices")
    assert response.status_code == 200
    assert provider.api_calls == ["access-2"]
    assert provider.token_calls == [{"grant_type": ["refresh_token"], "refresh_token": ["refresh-1"]}]


async def test_refresh_request_uses_basic_client_auth_at_the_configured_url(clock: ManualClock) -> None:
    store = MemoryTokenStore(token(clock, "access-1", "refresh-1", expires_in=0))
    seen: list[httpx.Request] = []
    provider = FakeProvider(store)

    async def spy(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return await provider(request)

    auth = OAuth2RefreshAuth(
        store,
        erp=ERPSystem.QUICKBOOKS,
        token_url=TOKEN_URL,
        client_id="client id",
        client_secret="s3cret",
        clock=clock,
    )
    async with build_client(API, auth=auth, transport=httpx.MockTransport(spy)) as client:
        await client.get("Invoices")
    refresh = seen[0]
    assert (refresh.method, str(refresh.url)) == ("POST", TOKEN_URL)
    assert refresh.headers["Authorization"] == "Basic " + base64.b64encode(b"client+id:s3cret").decode()
    assert refresh.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert refresh.headers["Accept"] == "application/json"


async def test_rotated_refresh_token_reaches_the_store_before_the_request_is_sent(clock: ManualClock) -> None:
    store = MemoryTokenStore(token(clock, "access-1", "refresh-1", expires_in=10))
    provider = FakeProvider(store)
    async with make_client(provider, store, clock) as client:
        await client.get("Invoices")
    assert [t.refresh_token for t in store.saved] == ["refresh-2"]
    assert provider.stored_refresh_at_api_call == ["refresh-2"]  # saved before the API saw the request
    assert store.token.expires_at == dt.datetime.fromtimestamp(clock() + 1800, tz=dt.UTC)


async def test_401_refreshes_once_and_replays_the_request(clock: ManualClock) -> None:
    # Valid by the clock, but already revoked by the server.
    store = MemoryTokenStore(token(clock, "revoked-access-Zq81", "refresh-1", expires_in=3600))
    provider = FakeProvider(store)
    async with make_client(provider, store, clock) as client:
        response = await client.get("Invoices")
    assert response.status_code == 200
    assert provider.api_calls == ["revoked-access-Zq81", "access-2"]
    assert len(provider.token_calls) == 1
    assert provider.stored_refresh_at_api_call[1] == "refresh-2"


async def test_a_401_that_persists_after_the_refresh_is_retried_once_then_returned(
    clock: ManualClock,
) -> None:
    store = MemoryTokenStore(token(clock, "revoked-access-Zq81", "refresh-1", expires_in=3600))
    provider = FakeProvider(store)
    provider.refuse_all = True
    async with make_client(provider, store, clock) as client:
        response = await client.get("Invoices")
    assert response.status_code == 401  # the connector turns it into "reconnect"
    assert provider.api_calls == ["revoked-access-Zq81", "access-2", "access-2"]
    assert len(provider.token_calls) == 1
    assert clock.sleeps == [FRESH_401_PAUSE]


async def test_a_401_right_after_the_refresh_it_triggered_is_retried_once(clock: ManualClock) -> None:
    store = MemoryTokenStore(token(clock, "revoked-access-Zq81", "refresh-1", expires_in=3600))
    provider = FakeProvider(store)
    provider.lagging.append("access-2")  # the API does not know the new token yet on its first use
    async with make_client(provider, store, clock) as client:
        response = await client.get("Invoices")
    assert response.status_code == 200
    assert provider.api_calls == ["revoked-access-Zq81", "access-2", "access-2"]
    assert len(provider.token_calls) == 1


async def test_a_401_right_after_an_expiry_refresh_is_retried_without_refreshing_again(
    clock: ManualClock,
) -> None:
    store = MemoryTokenStore(token(clock, "access-1", "refresh-1", expires_in=-5))
    provider = FakeProvider(store)
    provider.lagging.append("access-2")
    async with make_client(provider, store, clock) as client:
        response = await client.get("Invoices")
    assert response.status_code == 200
    assert provider.api_calls == ["access-2", "access-2"]
    assert len(provider.token_calls) == 1  # a second refresh would only rotate the pair again
    assert store.token.refresh_token == "refresh-2"


async def test_the_401_retry_takes_a_newer_pair_another_worker_stored(clock: ManualClock) -> None:
    store = MemoryTokenStore(token(clock, "access-1", "refresh-1", expires_in=-5))
    provider = FakeProvider(store)
    provider.lagging.append("access-2")

    async def api(request: httpx.Request) -> httpx.Response:
        response = await provider(request)
        if response.status_code == 401:  # meanwhile another worker stores a newer pair
            provider.valid_access.add("access-7")
            await store.save(token(clock, "access-7", "refresh-7", expires_in=1800))
        return response

    async with make_client(provider, store, clock, handler=api) as client:
        response = await client.get("Invoices")
    assert response.status_code == 200
    assert provider.api_calls == ["access-2", "access-7"]
    assert len(provider.token_calls) == 1


async def test_twenty_concurrent_requests_share_one_refresh(clock: ManualClock) -> None:
    store = MemoryTokenStore(token(clock, "access-1", "refresh-1", expires_in=-5))
    provider = FakeProvider(store)
    async with make_client(provider, store, clock) as client:
        responses = await asyncio.gather(*(client.get("Invoices") for _ in range(20)))
    assert [r.status_code for r in responses] == [200] * 20
    assert len(provider.token_calls) == 1
    assert set(provider.api_calls) == {"access-2"}


async def test_twenty_concurrent_401s_share_one_refresh(clock: ManualClock) -> None:
    store = MemoryTokenStore(token(clock, "revoked-access-Zq81", "refresh-1", expires_in=3600))
    provider = FakeProvider(store)
    async with make_client(provider, store, clock) as client:
        responses = await asyncio.gather(*(client.get("Invoices") for _ in range(20)))
    assert [r.status_code for r in responses] == [200] * 20
    assert len(provider.token_calls) == 1


async def test_invalid_grant_rereads_the_store_once_then_raises_auth_error(clock: ManualClock) -> None:
    store = MemoryTokenStore(token(clock, "access-1", "refresh-dead", expires_in=-1))
    provider = FakeProvider(store)
    async with make_client(provider, store, clock) as client:
        loads_before = store.loads
        with pytest.raises(ERPAuthError) as caught:
            await client.get("Invoices")
    error = caught.value
    assert len(provider.token_calls) == 1
    assert (
        store.loads - loads_before == 3
    )  # first use, re-check under the lock, one re-read after invalid_grant
    assert (error.erp, error.status, error.code, error.message) == (
        ERPSystem.XERO,
        400,
        "invalid_grant",
        "grant revoked",
    )
    assert "reconnect" in str(error)
    assert provider.api_calls == []
    assert "refresh-dead" not in str(error)


async def test_invalid_grant_uses_the_pair_another_worker_just_rotated(clock: ManualClock) -> None:
    store = MemoryTokenStore(token(clock, "access-1", "refresh-1", expires_in=-1))
    provider = FakeProvider(store)
    original = provider.token_endpoint

    async def rotated_elsewhere(request: httpx.Request) -> httpx.Response:
        # Another worker refreshes first: refresh-1 is spent and the store holds its new pair.
        provider.valid_refresh, provider.valid_access = {"refresh-9"}, {"access-9"}
        store.token = token(clock, "access-9", "refresh-9", expires_in=1800)
        return await original(request)

    provider.token_endpoint = rotated_elsewhere  # type: ignore[method-assign]
    async with make_client(provider, store, clock) as client:
        response = await client.get("Invoices")
    assert response.status_code == 200
    assert provider.api_calls == ["access-9"]
    assert len(provider.token_calls) == 1


async def test_invalid_grant_refreshes_again_with_a_newer_but_expiring_pair(clock: ManualClock) -> None:
    store = MemoryTokenStore(token(clock, "access-1", "refresh-1", expires_in=-1))
    provider = FakeProvider(store)
    original = provider.token_endpoint

    async def rotated_elsewhere(request: httpx.Request) -> httpx.Response:
        if len(provider.token_calls) == 0:
            provider.valid_refresh = {"refresh-5"}
            store.token = token(clock, "access-5", "refresh-5", expires_in=10)  # also about to expire
        return await original(request)

    provider.token_endpoint = rotated_elsewhere  # type: ignore[method-assign]
    async with make_client(provider, store, clock) as client:
        response = await client.get("Invoices")
    assert response.status_code == 200
    assert [call["refresh_token"] for call in provider.token_calls] == [["refresh-1"], ["refresh-5"]]
    assert store.token.refresh_token == "refresh-2"


@pytest.mark.parametrize(
    ("status", "error", "expected"),
    [
        (401, "invalid_client", ERPConfigurationError),
        (400, "unauthorized_client", ERPConfigurationError),
        (503, "temporarily_unavailable", ERPTransientError),
        (400, "invalid_request", ERPAuthError),
    ],
)
async def test_token_endpoint_refusals_map_to_what_the_caller_must_do(
    clock: ManualClock, status: int, error: str, expected: type[Exception]
) -> None:
    store = MemoryTokenStore(token(clock, "access-1", "refresh-1", expires_in=-1))
    provider = FakeProvider(store)
    provider.token_status, provider.token_error = status, error
    async with make_client(provider, store, clock) as client:
        with pytest.raises(expected) as caught:
            await client.get("Invoices")
    assert type(caught.value) is expected
    assert str(caught.value).startswith("xero: ")


async def test_token_calls_are_not_counted_by_the_api_rate_limiter(clock: ManualClock) -> None:
    store = MemoryTokenStore(token(clock, "access-1", "refresh-1", expires_in=-1))
    provider = FakeProvider(store)
    limiter = LimiterRegistry().get(
        "xero:tenant:t",
        RateLimitPolicy(windows=(Window(1, 60.0),), concurrency=1),
        erp=ERPSystem.XERO,
        clock=clock,
        sleep=clock.sleep,
    )
    async with make_client(provider, store, clock, limiters=[limiter]) as client:
        response = await client.get("Invoices")
    assert response.status_code == 200
    assert len(provider.token_calls) == 1
    assert clock.sleeps == []  # one API call in a 1-per-minute window: no wait, so the token call was free


# Several processes share one stored pair: two clients (each its own auth flow and in-process lock) on
# one MemoryTokenStore behave like two workers on one database row.


def gate_token_endpoint(provider: FakeProvider) -> tuple[asyncio.Event, asyncio.Event]:
    """The token endpoint reports its first call on `arrived` and answers once `release` is set."""
    arrived, release = asyncio.Event(), asyncio.Event()
    original = provider.token_endpoint

    async def gated(request: httpx.Request) -> httpx.Response:
        arrived.set()
        await release.wait()
        return await original(request)

    provider.token_endpoint = gated  # type: ignore[method-assign]
    return arrived, release


async def holder_and_waiter(
    provider: FakeProvider, store: MemoryTokenStore, clock: ManualClock
) -> list[httpx.Response]:
    """Worker one refreshes; worker two arrives while that token call is open and polls the store."""
    arrived, release = gate_token_endpoint(provider)
    polling = asyncio.Event()

    async def poll_sleep(seconds: float) -> None:
        polling.set()
        await clock.sleep(seconds)

    async with (
        make_client(provider, store, clock) as first,
        make_client(provider, store, clock, sleep=poll_sleep) as second,
    ):
        holder = asyncio.create_task(first.get("Invoices"))
        await arrived.wait()  # the first worker holds the lease and is at the token endpoint
        waiter = asyncio.create_task(second.get("Invoices"))
        await polling.wait()  # the second one found the live lease and waits for the pair
        release.set()
        return list(await asyncio.gather(holder, waiter))


async def test_another_process_waits_for_the_refresh_in_flight_and_uses_its_pair(clock: ManualClock) -> None:
    store = MemoryTokenStore(token(clock, "access-1", "refresh-1", expires_in=-5))
    provider = FakeProvider(store)
    responses = await holder_and_waiter(provider, store, clock)
    assert [r.status_code for r in responses] == [200, 200]
    assert len(provider.token_calls) == 1
    assert provider.api_calls == ["access-2", "access-2"]
    assert set(clock.sleeps) == {POLL_INTERVAL}
    assert store.lease is None and [t.refresh_token for t in store.saved] == ["refresh-2"]


async def test_a_crashed_holders_lease_expires_then_the_next_caller_refreshes(clock: ManualClock) -> None:
    store = MemoryTokenStore(token(clock, "access-1", "refresh-1", expires_in=-5))
    store.lease = RefreshLease("crashed-worker", clock.datetime() + dt.timedelta(seconds=LEASE_TTL))
    provider = FakeProvider(store)
    async with make_client(provider, store, clock) as client:
        response = await client.get("Invoices")
    assert response.status_code == 200
    assert [call["refresh_token"] for call in provider.token_calls] == [["refresh-1"]]
    assert LEASE_TTL <= sum(clock.sleeps) < LEASE_TTL + 2 * POLL_INTERVAL
    assert store.lease is None


async def test_waiting_for_another_workers_refresh_is_bounded(clock: ManualClock) -> None:
    store = MemoryTokenStore(token(clock, "access-1", "refresh-1", expires_in=-5))
    store.lease = RefreshLease("stuck-worker", clock.datetime() + dt.timedelta(days=1))
    provider = FakeProvider(store)
    async with make_client(provider, store, clock) as client:
        with pytest.raises(ERPTransientError, match="did not finish within 240 s"):
            await client.get("Invoices")
    assert provider.token_calls == [] and provider.api_calls == []
    assert 2 * LEASE_TTL <= sum(clock.sleeps) < 2 * LEASE_TTL + 2 * POLL_INTERVAL


async def test_the_lease_is_released_when_the_token_call_fails(clock: ManualClock) -> None:
    store = MemoryTokenStore(token(clock, "access-1", "refresh-1", expires_in=-5))
    provider = FakeProvider(store)
    provider.token_status, provider.token_error = 503, "temporarily_unavailable"
    async with make_client(provider, store, clock) as client:
        with pytest.raises(ERPTransientError):
            await client.get("Invoices")
        assert store.lease is None  # the next caller (any worker) may try at once
        provider.token_status = None
        response = await client.get("Invoices")
    assert response.status_code == 200
    assert len(provider.token_calls) == 2


async def test_the_lease_is_released_when_the_token_request_never_gets_an_answer(clock: ManualClock) -> None:
    store = MemoryTokenStore(token(clock, "access-1", "refresh-1", expires_in=-5))
    provider = FakeProvider(store)

    async def unreachable(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("no answer", request=request)

    provider.token_endpoint = unreachable  # type: ignore[method-assign]
    async with make_client(provider, store, clock) as client:
        with pytest.raises(httpx.ReadTimeout):  # the connector maps it to ERPTransientError
            await client.get("Invoices")
    assert store.lease is None


async def test_a_refresh_never_overwrites_a_newer_pair_stored_meanwhile(clock: ManualClock) -> None:
    store = MemoryTokenStore(token(clock, "access-1", "refresh-1", expires_in=-5))
    provider = FakeProvider(store)
    original = provider.token_endpoint

    async def reconnected_meanwhile(request: httpx.Request) -> httpx.Response:
        response = await original(request)  # our refresh succeeds, but a newer pair lands first
        provider.valid_access.add("access-9")
        await store.save(token(clock, "access-9", "refresh-9", expires_in=1800))
        return response

    provider.token_endpoint = reconnected_meanwhile  # type: ignore[method-assign]
    async with make_client(provider, store, clock) as client:
        response = await client.get("Invoices")
    assert response.status_code == 200
    assert store.token.refresh_token == "refresh-9"  # kept: ours was refreshed from an older pair
    assert provider.api_calls == ["access-9"]
    assert store.lease is None


async def test_a_401_on_the_pair_another_process_just_refreshed_is_retried_not_refreshed(
    clock: ManualClock,
) -> None:
    store = MemoryTokenStore(token(clock, "access-1", "refresh-1", expires_in=-5))
    provider = FakeProvider(store)
    provider.lagging += ["access-2", "access-2"]  # each worker's first use of the new token is refused
    responses = await holder_and_waiter(provider, store, clock)
    assert [r.status_code for r in responses] == [200, 200]
    assert len(provider.token_calls) == 1
    assert provider.api_calls == ["access-2"] * 4


async def test_a_401_on_a_pair_another_worker_stored_earlier_still_gets_a_refresh(clock: ManualClock) -> None:
    store = MemoryTokenStore(token(clock, "access-1", "refresh-1", expires_in=400))
    provider = FakeProvider(store)
    async with make_client(provider, store, clock) as client:
        await client.get("Invoices")  # this worker now caches access-1
        clock.advance(200)  # access-1 is due for a refresh, but another worker stored a pair earlier,
        await store.save(token(clock, "access-x", "refresh-x", expires_in=1800))  # since revoked
        provider.valid_refresh.add("refresh-x")
        response = await client.get("Invoices")
    assert response.status_code == 200
    assert provider.api_calls == ["access-1", "access-x", "access-2"]
    assert [call["refresh_token"] for call in provider.token_calls] == [["refresh-x"]]
