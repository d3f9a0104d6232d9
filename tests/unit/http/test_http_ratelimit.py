"""Rate limiting: windows and concurrency hold under a burst, fixed windows, remaining-quota headers,
daily quotas that raise instead of waiting, keyed sharing, retries counted, slots released."""

from __future__ import annotations

import asyncio
import bisect
from collections.abc import AsyncIterator

import httpx
import pytest

from smartap_erp.domain.enums import ERPSystem
from smartap_erp.errors import ERPQuotaExhaustedError
from smartap_erp.http import (
    HeaderQuota,
    LimiterRegistry,
    ManualClock,
    RateLimiter,
    RateLimitPolicy,
    RetryPolicy,
    RetrySignal,
    Window,
    build_client,
)
from smartap_erp.http.clock import Clock, Sleep, to_datetime
from tests.unit.http.virtual_time import run_virtual, virtual_clock


class Server:
    """Records when each request arrived (virtual time) and how many were in flight."""

    def __init__(self, clock: Clock, headers: list[dict[str, str]] | None = None) -> None:
        self.clock = clock
        self.stamps: list[float] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self.headers = headers or []
        self.statuses: list[int] = []

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        self.stamps.append(self.clock())
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        for _ in range(3):
            await asyncio.sleep(0)
        self.in_flight -= 1
        index = len(self.stamps) - 1
        headers = self.headers[index] if index < len(self.headers) else {}
        status = self.statuses[index] if index < len(self.statuses) else 200
        return httpx.Response(status, headers=headers, json={})


def limiter(policy: RateLimitPolicy, clock: ManualClock, key: str = "xero:tenant:T") -> RateLimiter:
    return RateLimiter(policy, key=key, erp=ERPSystem.XERO, clock=clock, sleep=clock.sleep)


def client(
    server: Server,
    clock: Clock,
    *limiters: RateLimiter,
    retry: RetryPolicy | None = None,
    sleep: Sleep | None = None,
) -> httpx.AsyncClient:
    return build_client(
        "https://api.erp.test/",
        transport=httpx.MockTransport(server),
        limiters=limiters,
        retry=retry,
        clock=clock,
        sleep=sleep or clock.sleep,  # type: ignore[attr-defined]
        random=lambda: 0.0,
    )


def most_in_any_window(stamps: list[float], seconds: float) -> int:
    ordered = sorted(stamps)
    return max(bisect.bisect_left(ordered, t + seconds - 1e-6) - i for i, t in enumerate(ordered))


def test_a_burst_of_1000_calls_stays_within_windows_and_concurrency() -> None:
    policy = RateLimitPolicy(windows=(Window(60, 60.0, "minute"), Window(10, 1.0, "second")), concurrency=5)

    async def burst() -> tuple[Server, float]:
        server = Server(virtual_clock)
        lim = RateLimiter(
            policy, key="xero:tenant:T", erp=ERPSystem.XERO, clock=virtual_clock, sleep=asyncio.sleep
        )
        start = virtual_clock()
        async with client(server, virtual_clock, lim, sleep=asyncio.sleep) as http:
            responses = await asyncio.gather(*(http.get("Invoices") for _ in range(1000)))
        assert [r.status_code for r in responses] == [200] * 1000
        return server, virtual_clock() - start

    server, elapsed = run_virtual(burst())
    assert len(server.stamps) == 1000
    assert most_in_any_window(server.stamps, 60.0) == 60
    assert most_in_any_window(server.stamps, 1.0) == 10
    assert server.max_in_flight == 5
    # and no slower than the limits force: 16 full minutes, then the last 40 calls at 10 a second
    assert elapsed == pytest.approx(16 * 60 + 3)


async def test_fixed_window_resets_on_the_period_boundary() -> None:
    clock = ManualClock(start=1_000_005.0)
    policy = RateLimitPolicy(windows=(Window(3, 10.0, "ten-seconds", kind="fixed"),))
    server = Server(clock)
    async with client(server, clock, limiter(policy, clock)) as http:
        for _ in range(7):
            await http.get("x")
    assert server.stamps == [1_000_005.0] * 3 + [1_000_010.0] * 3 + [1_000_020.0]
    assert clock.sleeps == [5.0, 10.0]


async def test_remaining_minute_quota_header_slows_the_client_down(clock: ManualClock) -> None:
    # Other workers spent this tenant's minute: the ERP says 0 left although we sent one call.
    policy = RateLimitPolicy(
        windows=(Window(60, 60.0, "minute"),), header_quotas=(HeaderQuota("X-MinLimit-Remaining", "minute"),)
    )
    server = Server(clock, headers=[{"X-MinLimit-Remaining": "0"}, {"X-MinLimit-Remaining": "59"}])
    async with client(server, clock, limiter(policy, clock)) as http:
        await http.get("x")
        await http.get("x")
    assert clock.sleeps == [pytest.approx(60.0)]
    assert server.stamps[1] - server.stamps[0] == pytest.approx(60.0)


async def test_without_the_header_the_same_two_calls_do_not_wait(clock: ManualClock) -> None:
    policy = RateLimitPolicy(
        windows=(Window(60, 60.0, "minute"),), header_quotas=(HeaderQuota("X-MinLimit-Remaining", "minute"),)
    )
    server = Server(clock)
    async with client(server, clock, limiter(policy, clock)) as http:
        await http.get("x")
        await http.get("x")
    assert clock.sleeps == []


DAY_POLICY = RateLimitPolicy(
    windows=(Window(5000, 86_400.0, "day", when_full="raise"),),
    header_quotas=(HeaderQuota("X-DayLimit-Remaining", "day", problem=("X-Rate-Limit-Problem", "day")),),
)


async def test_spent_daily_quota_header_raises_a_clear_error_instead_of_waiting(clock: ManualClock) -> None:
    server = Server(clock, headers=[{"X-DayLimit-Remaining": "0"}])
    start = clock()
    async with client(server, clock, limiter(DAY_POLICY, clock)) as http:
        await http.get("x")
        with pytest.raises(ERPQuotaExhaustedError) as caught:
            await http.get("x")
    error = caught.value
    assert len(server.stamps) == 1  # the second call never left
    assert clock.sleeps == []
    assert error.erp is ERPSystem.XERO
    assert error.resets_at == to_datetime(start + 86_400.0)  # the latest it can reset: a day after
    assert error.retry_after == pytest.approx(86_400.0)
    assert "day quota of 5000 calls" in str(error)
    assert "xero:tenant:T" in str(error)


async def test_daily_429_with_retry_after_parks_the_key_until_then(clock: ManualClock) -> None:
    server = Server(clock, headers=[{"X-Rate-Limit-Problem": "day", "Retry-After": "3600"}])
    server.statuses = [429]
    xero_day = RetryPolicy(
        signals=(RetrySignal(429, "Xero day", header=("X-Rate-Limit-Problem", "day"), retry=False),)
    )
    start = clock()
    async with client(server, clock, limiter(DAY_POLICY, clock), retry=xero_day) as http:
        first = await http.get("x")
        with pytest.raises(ERPQuotaExhaustedError) as caught:
            await http.get("x")
        clock.advance(3600)
        later = await http.get("x")
    assert first.status_code == 429
    assert caught.value.resets_at == to_datetime(start + 3600)
    assert later.status_code == 200
    assert len(server.stamps) == 2


async def test_a_local_daily_count_raises_with_its_reset_time(clock: ManualClock) -> None:
    policy = RateLimitPolicy(windows=(Window(3, 86_400.0, "day", when_full="raise"),))
    server = Server(clock)
    start = clock()
    async with client(server, clock, limiter(policy, clock)) as http:
        for _ in range(3):
            await http.get("x")
            clock.advance(10)
        with pytest.raises(ERPQuotaExhaustedError) as caught:
            await http.get("x")
    assert caught.value.resets_at == to_datetime(start + 86_400.0)
    assert len(server.stamps) == 3


async def test_limiters_are_shared_by_key(clock: ManualClock) -> None:
    registry = LimiterRegistry()
    policy = RateLimitPolicy(concurrency=2)
    a = registry.get("quickbooks:realm:1", policy, erp=ERPSystem.QUICKBOOKS, clock=clock, sleep=clock.sleep)
    b = registry.get("quickbooks:realm:1", policy, erp=ERPSystem.QUICKBOOKS, clock=clock, sleep=clock.sleep)
    c = registry.get("quickbooks:realm:2", policy, erp=ERPSystem.QUICKBOOKS, clock=clock, sleep=clock.sleep)
    assert a is b
    assert a is not c

    server = Server(clock)
    async with client(server, clock, a) as one, client(server, clock, b) as two:
        await asyncio.gather(*(http.get("x") for http in (one, two) * 10))
    assert server.max_in_flight == 2  # two connectors of one realm together stay within its cap


async def test_every_retry_takes_another_window_slot(clock: ManualClock) -> None:
    policy = RateLimitPolicy(windows=(Window(2, 60.0, "minute"),))
    server = Server(clock)
    server.statuses = [503, 200, 200]
    async with client(server, clock, limiter(policy, clock), retry=RetryPolicy()) as http:
        await http.get("x")  # 503 then 200: two requests, two slots
        await http.get("x")  # the window is full: waits for the first slot to expire
    assert server.stamps[2] - server.stamps[0] == pytest.approx(60.0)


async def test_concurrency_slot_is_released_after_a_transport_error(clock: ManualClock) -> None:
    policy = RateLimitPolicy(concurrency=1)

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/fail":
            raise httpx.ConnectError("down", request=request)
        return httpx.Response(200)

    lim = limiter(policy, clock)
    http = build_client(
        "https://api.erp.test/",
        transport=httpx.MockTransport(handler),
        limiters=[lim],
        retry=RetryPolicy(max_attempts=1),
    )
    async with http:
        for _ in range(3):
            with pytest.raises(httpx.ConnectError):
                await http.get("fail")
        assert (await http.get("ok")).status_code == 200


class SlowBody(httpx.AsyncByteStream):
    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield b"{}"


async def test_a_streamed_response_holds_its_slot_until_closed(clock: ManualClock) -> None:
    lim = limiter(RateLimitPolicy(concurrency=1), clock)
    http = build_client(
        "https://api.erp.test/",
        transport=httpx.MockTransport(lambda request: httpx.Response(200, stream=SlowBody())),
        limiters=[lim],
    )
    async with http, http.stream("GET", "first") as first:
        second = asyncio.create_task(http.get("second"))
        for _ in range(20):
            await asyncio.sleep(0)
        assert not second.done()  # blocked: the only slot belongs to the open stream
        await first.aread()
        assert (await second).status_code == 200


def test_window_labels_default_to_limit_and_period() -> None:
    assert Window(60, 60.0).label == "60/60s"
    assert Window(5000, 86_400.0, "day").label == "day"
