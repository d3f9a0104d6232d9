"""Client-side rate limiting as data: windows, concurrency and remaining-quota headers per ERP key.

A `RateLimitPolicy` lists request windows (N requests per T seconds, sliding or fixed, as the ERP
counts), a concurrency cap, the headers in which the ERP reports what is left (Xero's
`X-MinLimit-Remaining` / `X-DayLimit-Remaining` / `X-AppMinLimit-Remaining`, xero.md §Rate limits) and, for a
limit on some endpoints only (QuickBooks' batch limit), the paths it applies to. A `RateLimiter`
enforces one policy for one key (a QuickBooks realm, a Xero tenant, a NetSuite account, an SAP
company database; erp-facts.md §Limiter keys). Every request holds a slot from send until one window
after its response (`smartap_erp.http.slots` proves why the ERP then never sees more than the limit
in a window, whatever the network delay). The slots live in a `SlotStore`: this process's memory by
default, the database when a `LimiterRegistry` is given one, so the API server, workers and CLI of
one ERP key share the limits. The limiter waits (injected clock and sleep) rather than provoke a
429; a window marked `when_full="raise"` (a daily quota) raises `ERPQuotaExhaustedError` with its
reset time instead of waiting for hours. `RateLimitTransport` applies limiters around the retry
layer and swaps in a fresh slot before every retry. The ERP-specific numbers live with the
connectors, not here.
"""

from __future__ import annotations

import asyncio
import re
import weakref
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

import httpx

from smartap_erp.domain.enums import ERPSystem
from smartap_erp.errors import ERPQuotaExhaustedError
from smartap_erp.http.call import SKIP_RATE_LIMIT, add_resend_hook
from smartap_erp.http.clock import Clock, Sleep, system_clock, system_sleep, to_datetime
from smartap_erp.http.redact import get_logger
from smartap_erp.http.retry import parse_retry_after
from smartap_erp.http.slots import Held, MemorySlotStore, SlotStore, Verdict, block_entry, clamp_entry

log = get_logger(__name__)

# How often a waiter re-reads a shared store while a slot it needs belongs to a request in flight
# elsewhere (another process). Waits whose end is known are slept through in one go.
DEFAULT_POLL = 0.05


@dataclass(frozen=True, slots=True)
class Window:
    """At most `limit` requests in any `seconds` (sliding) or per aligned period of `seconds` (fixed)."""

    limit: int
    seconds: float
    name: str = ""
    kind: Literal["sliding", "fixed"] = "sliding"
    when_full: Literal["wait", "raise"] = "wait"

    def __post_init__(self) -> None:
        if self.limit < 1 or self.seconds <= 0:
            raise ValueError(f"window {self.label}: limit must be >= 1 and seconds > 0")

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
    """Windows, concurrency and quota headers of one key; `paths` (a regex searched in the URL path)
    limits the policy to some endpoints, e.g. `r"/batch$"`; None: every request."""

    windows: tuple[Window, ...] = ()
    concurrency: int | None = None
    header_quotas: tuple[HeaderQuota, ...] = ()
    paths: str | None = None
    _pattern: re.Pattern[str] | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.concurrency is not None and self.concurrency < 1:
            raise ValueError(f"concurrency must be >= 1 or None, not {self.concurrency}")
        object.__setattr__(self, "_pattern", re.compile(self.paths) if self.paths is not None else None)

    def applies_to(self, request: httpx.Request) -> bool:
        return self._pattern is None or self._pattern.search(request.url.path) is not None

    def window(self, label: str) -> Window | None:
        return next((w for w in self.windows if w.label == label), None)


class RateLimiter:
    """Enforces one policy for one key. `acquire()` returns a slot id; `release(slot)` gives it back."""

    def __init__(
        self,
        policy: RateLimitPolicy,
        *,
        key: str,
        erp: ERPSystem,
        clock: Clock = system_clock,
        sleep: Sleep = system_sleep,
        store: SlotStore | None = None,
        poll: float = DEFAULT_POLL,
    ) -> None:
        self.policy = policy
        self.key = key
        self.erp = erp
        self.store: SlotStore = store if store is not None else MemorySlotStore()
        self.poll = poll
        self._clock = clock
        self._sleep = sleep
        self._lock = asyncio.Lock()
        self._finished = asyncio.Event()
        self._local = asyncio.Semaphore(policy.concurrency) if policy.concurrency else None

    def applies_to(self, request: httpx.Request) -> bool:
        return self.policy.applies_to(request)

    async def acquire(self) -> int:
        """Take a concurrency place in this process, then a slot in the store (waiting as needed)."""
        if self._local is not None:
            await self._local.acquire()
        try:
            return await self.claim()
        except BaseException:
            if self._local is not None:
                self._local.release()
            raise

    async def release(self, slot: int | None) -> None:
        """The request is over: its slot starts its last window, its concurrency place is free."""
        try:
            if slot is not None:
                await self.finish(slot)
        finally:
            if self._local is not None:
                self._local.release()

    async def claim(self) -> int:
        """Wait until every window and the concurrency cap have room, then hold a slot (FIFO per process)."""
        async with self._lock:
            while True:
                self._finished.clear()
                now = self._clock()
                verdict, slot = await self.store.try_claim(self.key, self.policy, now)
                if slot is not None:
                    return slot
                if verdict.window is not None and verdict.window.when_full == "raise":
                    raise self._exhausted(verdict, now)
                await self._pause(verdict)

    async def finish(self, slot: int) -> None:
        """Mark `slot` complete now (a retry swaps it for a new one; `release` also frees concurrency)."""
        try:
            await self.store.finish(self.key, slot, self._clock())
        except Exception as exc:  # the request is over either way; the slot goes stale in the store
            log.warning("rate limit %s: could not mark slot %s done: %s", self.key, slot, exc)
        self._finished.set()

    async def observe(self, response: httpx.Response) -> None:
        """Keep the windows in step with what the ERP reports (remaining-quota headers, 429 markers)."""
        for quota in self.policy.header_quotas:
            window = self.policy.window(quota.window)
            if window is None:
                continue
            now = self._clock()
            if quota.problem is not None and _marks_problem(response, quota.problem):
                retry_after = parse_retry_after(response.headers.get("Retry-After"), now)
                until = now + (window.seconds if retry_after is None else retry_after)
                await self.store.record(
                    self.key, self.policy, _constant(block_entry(window, until, now)), now
                )
                continue
            remaining = _int_header(response, quota.header)
            if remaining is not None:
                await self.store.record(self.key, self.policy, _clamp(window, remaining, now), now)

    async def _pause(self, verdict: Verdict) -> None:
        if verdict.wait is not None:  # a lower bound: no slot of that window frees up sooner
            label = verdict.window.label if verdict.window is not None else "concurrency"
            log.debug("rate limit %s: waiting %.2f s for window %s", self.key, verdict.wait, label)
            await self._sleep(verdict.wait)
            return
        if not self.store.shared:  # only this process's requests hold slots: wait for one to finish
            await self._finished.wait()
            return
        waiter = asyncio.ensure_future(self._finished.wait())
        sleeper = asyncio.ensure_future(self._sleep(self.poll))
        try:
            await asyncio.wait({waiter, sleeper}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            waiter.cancel()
            sleeper.cancel()

    def _exhausted(self, verdict: Verdict, now: float) -> ERPQuotaExhaustedError:
        window = verdict.window
        assert window is not None
        wait = verdict.wait if verdict.wait is not None else window.seconds
        return ERPQuotaExhaustedError(
            f"the {window.label} quota of {window.limit} calls per {window.seconds:g} s is spent "
            f"for {self.key}; not waiting {wait:.0f} s inside a request",
            erp=self.erp,
            retry_after=wait,
            resets_at=to_datetime(now + wait),
        )


def _constant(entry: Held) -> Callable[[Sequence[Held]], Held | None]:
    return lambda held: entry


def _clamp(window: Window, remaining: int, now: float) -> Callable[[Sequence[Held]], Held | None]:
    return lambda held: clamp_entry(window, remaining, held, now)


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
    """One limiter per key (and per event loop: asyncio primitives belong to one loop).

    With a shared `store` (the database) every limiter of a key, in any loop or process, counts the
    same slots; without one each limiter keeps its own slots in memory.
    """

    def __init__(self, store: SlotStore | None = None, *, poll: float = DEFAULT_POLL) -> None:
        self.store = store
        self.poll = poll
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
            limiters[key] = RateLimiter(
                policy, key=key, erp=erp, clock=clock, sleep=sleep, store=self.store, poll=self.poll
            )
        return limiters[key]

    def _for_current_loop(self) -> dict[str, RateLimiter]:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return self._outside_loop
        return self._by_loop.setdefault(loop, {})


default_limiters = LimiterRegistry()


@dataclass(slots=True)
class _Slot:
    limiter: RateLimiter
    id: int | None = None


async def _release_all(slots: Sequence[_Slot]) -> None:
    async def release() -> None:
        for slot in reversed(slots):
            await slot.limiter.release(slot.id)

    await asyncio.shield(release())  # a cancelled request still gives its slots back


class _ReleasingStream(httpx.AsyncByteStream):
    """The response body, releasing the limiters' slots once it is closed."""

    def __init__(self, inner: httpx.AsyncByteStream, slots: list[_Slot]) -> None:
        self._inner = inner
        self._slots = slots

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._inner:
            yield chunk

    async def aclose(self) -> None:
        try:
            await self._inner.aclose()
        finally:
            slots, self._slots = self._slots, []
            await _release_all(slots)


SLOTS = "smartap.rate_limit_slots"


class RateLimitTransport(httpx.AsyncBaseTransport):
    """Holds every applicable limiter's slot from send until the response body is closed."""

    def __init__(self, inner: httpx.AsyncBaseTransport, limiters: Sequence[RateLimiter]) -> None:
        self._inner = inner
        self.limiters = tuple(limiters)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        limiters = [] if request.extensions.get(SKIP_RATE_LIMIT) else self._applicable(request)
        if not limiters:
            return await self._inner.handle_async_request(request)
        slots: list[_Slot] = []
        try:
            for limiter in limiters:
                slots.append(_Slot(limiter, await limiter.acquire()))
            request.extensions[SLOTS] = slots
            add_resend_hook(request, self._before_resend)
            response = await self._inner.handle_async_request(request)
            for limiter in limiters:
                await limiter.observe(response)
        except BaseException:
            await _release_all(slots)
            raise
        if response.is_closed or not isinstance(response.stream, httpx.AsyncByteStream):
            await _release_all(slots)  # already read (in-memory transports): nothing is in flight any more
        else:
            response.stream = _ReleasingStream(response.stream, slots)
        return response

    def _applicable(self, request: httpx.Request) -> list[RateLimiter]:
        return [limiter for limiter in self.limiters if limiter.applies_to(request)]

    async def _before_resend(self, request: httpx.Request) -> None:
        """A retry is a new request for the ERP: the last attempt's slots finish, new ones are taken."""
        for slot in request.extensions.get(SLOTS, ()):
            if slot.id is not None:
                finished, slot.id = slot.id, None
                await slot.limiter.finish(finished)
            slot.id = await slot.limiter.claim()

    async def aclose(self) -> None:
        await self._inner.aclose()
