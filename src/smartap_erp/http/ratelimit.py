"""Client-side rate limiting as data: windows, concurrency and remaining-quota headers per ERP key.

A `RateLimitPolicy` lists request windows (N requests per T seconds, sliding or fixed, as the ERP
counts), a concurrency cap and the headers in which the ERP reports what is left (Xero's
`X-MinLimit-Remaining` / `X-DayLimit-Remaining` / `X-AppMinLimit-Remaining`, facts §2.10). A
`RateLimiter` enforces one policy for one key (a QuickBooks realm, a Xero tenant, a NetSuite account,
an SAP company database; facts §6 "Limiter keys"); `LimiterRegistry` hands the same limiter to every
connector of that key. The limiter waits (injected clock and sleep) rather than provoke a 429; a window
marked `when_full="raise"` (a daily quota) raises `ERPQuotaExhaustedError` with its reset time instead
of waiting for hours. `RateLimitTransport` applies limiters around the retry layer and takes a fresh
window slot before every retry. The ERP-specific numbers live with the connectors, not here.
"""

from __future__ import annotations

import asyncio
import math
import weakref
from collections import deque
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Literal

import httpx

from smartap_erp.domain.enums import ERPSystem
from smartap_erp.errors import ERPQuotaExhaustedError
from smartap_erp.http.call import SKIP_RATE_LIMIT, add_resend_hook
from smartap_erp.http.clock import Clock, Sleep, system_clock, system_sleep, to_datetime
from smartap_erp.http.redact import get_logger
from smartap_erp.http.retry import parse_retry_after

log = get_logger(__name__)

_EPSILON = 1e-6  # seconds; float sums of timestamps are not exact


@dataclass(frozen=True, slots=True)
class Window:
    """At most `limit` requests in any `seconds` (sliding) or per aligned period of `seconds` (fixed)."""

    limit: int
    seconds: float
    name: str = ""
    kind: Literal["sliding", "fixed"] = "sliding"
    when_full: Literal["wait", "raise"] = "wait"

    @property
    def label(self) -> str:
        return self.name or f"{self.limit}/{self.seconds:g}s"


@dataclass(frozen=True, slots=True)
class HeaderQuota:
    """A header in which the ERP reports how many calls are left in one of our windows.

    `problem` names the 429 header and value that say this window was the one breached
    (Xero: `X-Rate-Limit-Problem: day`); its `Retry-After` then tells when the window reopens.
    """

    header: str
    window: str
    problem: tuple[str, str] | None = None


@dataclass(frozen=True, slots=True)
class RateLimitPolicy:
    windows: tuple[Window, ...] = ()
    concurrency: int | None = None
    header_quotas: tuple[HeaderQuota, ...] = ()


class _WindowState:
    """Counts requests for one window. Sliding: a log of timestamps. Fixed: a counter per period."""

    def __init__(self, window: Window) -> None:
        self.window = window
        self.stamps: deque[float] = deque()
        self.period_start = -math.inf
        self.count = 0
        self.blocked_until = -math.inf

    def wait_needed(self, now: float) -> float:
        blocked = self.blocked_until - now
        if self.window.kind == "fixed":
            self._roll(now)
            full = self.period_start + self.window.seconds - now if self.count >= self.window.limit else 0.0
        else:
            self._prune(now)
            excess = len(self.stamps) - self.window.limit
            full = self.stamps[excess] + self.window.seconds - now if excess >= 0 else 0.0
        wait = max(blocked, full)
        return wait if wait > _EPSILON else 0.0

    def record(self, now: float) -> None:
        if self.window.kind == "fixed":
            self.count += 1
        else:
            self.stamps.append(now)

    def clamp(self, remaining: int, now: float) -> None:
        """The ERP says only `remaining` calls are left: count the difference as used (by others)."""
        used = self.window.limit - max(0, remaining)
        if self.window.kind == "fixed":
            self._roll(now)
            self.count = max(self.count, used)
            return
        self._prune(now)
        self.stamps.extend([now] * max(0, used - len(self.stamps)))

    def block(self, until: float | None, now: float) -> None:
        """The ERP refused for this window: closed until `until`, or for one whole window if unknown."""
        self.blocked_until = until if until is not None else now + self.window.seconds

    def _prune(self, now: float) -> None:
        while self.stamps and self.stamps[0] + self.window.seconds <= now + _EPSILON:
            self.stamps.popleft()

    def _roll(self, now: float) -> None:
        start = math.floor(now / self.window.seconds) * self.window.seconds
        if start > self.period_start:
            self.period_start, self.count = start, 0


class RateLimiter:
    """Enforces one policy for one key. `acquire()` takes a concurrency slot and a window slot."""

    def __init__(
        self,
        policy: RateLimitPolicy,
        *,
        key: str,
        erp: ERPSystem,
        clock: Clock = system_clock,
        sleep: Sleep = system_sleep,
    ) -> None:
        self.policy = policy
        self.key = key
        self.erp = erp
        self._clock = clock
        self._sleep = sleep
        self._states = {w.label: _WindowState(w) for w in policy.windows}
        self._lock = asyncio.Lock()
        self._slots = asyncio.Semaphore(policy.concurrency) if policy.concurrency else None

    async def acquire(self) -> None:
        if self._slots is not None:
            await self._slots.acquire()
        try:
            await self.take_window_slot()
        except BaseException:
            self.release()
            raise

    def release(self) -> None:
        if self._slots is not None:
            self._slots.release()

    async def take_window_slot(self) -> None:
        """Wait until every window has room, then count one request in each (FIFO under a lock)."""
        async with self._lock:
            while True:
                now = self._clock()
                wait, state = self._longest_wait(now)
                if wait <= 0:
                    for each in self._states.values():
                        each.record(now)
                    return
                if state is not None and state.window.when_full == "raise":
                    raise self._exhausted(state, wait, now)
                log.debug("rate limit %s: waiting %.2f s for window %s", self.key, wait, _label(state))
                await self._sleep(wait)

    def observe(self, response: httpx.Response) -> None:
        """Keep the windows in step with what the ERP reports (remaining-quota headers, 429 markers)."""
        now = self._clock()
        for quota in self.policy.header_quotas:
            state = self._states.get(quota.window)
            if state is None:
                continue
            if quota.problem is not None and _marks_problem(response, quota.problem):
                retry_after = parse_retry_after(response.headers.get("Retry-After"), now)
                state.block(None if retry_after is None else now + retry_after, now)
                continue
            remaining = _int_header(response, quota.header)
            if remaining is not None:
                state.clamp(remaining, now)

    def _longest_wait(self, now: float) -> tuple[float, _WindowState | None]:
        waits = [(state.wait_needed(now), state) for state in self._states.values()]
        raising = [(w, s) for w, s in waits if w > 0 and s.window.when_full == "raise"]
        if raising:
            return raising[0]
        return max(waits, key=lambda pair: pair[0], default=(0.0, None))

    def _exhausted(self, state: _WindowState, wait: float, now: float) -> ERPQuotaExhaustedError:
        window = state.window
        return ERPQuotaExhaustedError(
            f"the {window.label} quota of {window.limit} calls per {window.seconds:g} s is spent "
            f"for {self.key}; not waiting {wait:.0f} s inside a request",
            erp=self.erp,
            retry_after=wait,
            resets_at=to_datetime(now + wait),
        )


def _label(state: _WindowState | None) -> str:
    return state.window.label if state is not None else "-"


def _marks_problem(response: httpx.Response, problem: tuple[str, str]) -> bool:
    name, value = problem
    return response.status_code == 429 and response.headers.get(name, "").strip().lower() == value.lower()


def _int_header(response: httpx.Response, name: str) -> int | None:
    value = response.headers.get(name)
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


class LimiterRegistry:
    """One limiter per key (and per event loop: asyncio primitives belong to one loop)."""

    def __init__(self) -> None:
        self._by_loop: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, RateLimiter]] = (
            weakref.WeakKeyDictionary()
        )
        self._outside_loop: dict[str, RateLimiter] = {}

    def get(
        self,
        key: str,
        policy: RateLimitPolicy,
        *,
        erp: ERPSystem,
        clock: Clock = system_clock,
        sleep: Sleep = system_sleep,
    ) -> RateLimiter:
        """The limiter for `key`, created on first use; later callers share it (and its policy)."""
        limiters = self._for_current_loop()
        if key not in limiters:
            limiters[key] = RateLimiter(policy, key=key, erp=erp, clock=clock, sleep=sleep)
        return limiters[key]

    def _for_current_loop(self) -> dict[str, RateLimiter]:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return self._outside_loop
        return self._by_loop.setdefault(loop, {})


default_limiters = LimiterRegistry()


class _ReleasingStream(httpx.AsyncByteStream):
    """The response body, releasing the limiters' concurrency slots once it is closed."""

    def __init__(self, inner: httpx.AsyncByteStream, limiters: Sequence[RateLimiter]) -> None:
        self._inner = inner
        self._limiters = list(limiters)

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._inner:
            yield chunk

    async def aclose(self) -> None:
        try:
            await self._inner.aclose()
        finally:
            _release_all(self._limiters)
            self._limiters = []


def _release_all(limiters: Sequence[RateLimiter]) -> None:
    for limiter in reversed(limiters):
        limiter.release()


class RateLimitTransport(httpx.AsyncBaseTransport):
    """Holds every limiter's slot from send until the response body is closed."""

    def __init__(self, inner: httpx.AsyncBaseTransport, limiters: Sequence[RateLimiter]) -> None:
        self._inner = inner
        self.limiters = tuple(limiters)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if not self.limiters or request.extensions.get(SKIP_RATE_LIMIT):
            return await self._inner.handle_async_request(request)
        acquired: list[RateLimiter] = []
        try:
            for limiter in self.limiters:
                await limiter.acquire()
                acquired.append(limiter)
            add_resend_hook(request, self._before_resend)
            response = await self._inner.handle_async_request(request)
        except BaseException:
            _release_all(acquired)
            raise
        for limiter in self.limiters:
            limiter.observe(response)
        if response.is_closed or not isinstance(response.stream, httpx.AsyncByteStream):
            _release_all(acquired)  # already read (in-memory transports): nothing is in flight any more
        else:
            response.stream = _ReleasingStream(response.stream, acquired)
        return response

    async def _before_resend(self, request: httpx.Request) -> None:
        for limiter in self.limiters:
            await limiter.take_window_slot()

    async def aclose(self) -> None:
        await self._inner.aclose()
