"""Request slots: the bookkeeping that makes a client-side rate limit a bound the ERP cannot break.

The ERP counts a request when it arrives; the client only knows when it sent it and when the answer
came back. So a request holds a slot of every window from the moment it is sent until one window
after its response is complete (its `done` time). For any period of one window's length in which the
ERP sees k requests, all k slots were held together at the moment the last of them was sent (each was
sent before the period ended and released no earlier than one window after it arrived, i.e. after the
period ended), so the limiter had k <= limit: the bound holds whatever the network delay. A request
in flight also counts toward the concurrency cap. `evaluate` is the one rule deciding from the held
slots of a key whether one more may go and, if not, how long to wait (None: until a request in flight
finishes); `MemorySlotStore` keeps the slots of one process, `smartap_erp.db.ratelimits` keeps them in
the database so every process of one ERP key shares them. Window-specific rows record what the ERP
reported: used calls of others (`clamp`) and a window the ERP closed (`block`).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from smartap_erp.http.ratelimit import RateLimitPolicy, Window

EPSILON = 1e-6  # seconds; float sums of timestamps are not exact
# A slot still "in flight" this long after it was sent belongs to a process that died (or a stream
# nobody closed): it is treated as done then, so a crash cannot close an ERP key for good.
STALE_AFTER = 900.0


@dataclass(frozen=True, slots=True)
class Held:
    """One slot: a request (`window` None) or an ERP-reported entry for one window, of `weight` calls."""

    sent: float
    done: float | None = None
    window: str | None = None
    weight: int = 1

    def finished(self, now: float, stale_after: float = STALE_AFTER) -> float | None:
        """When it finished: its done time, or the time it went stale; None while in flight."""
        if self.done is not None:
            return self.done
        return self.sent + stale_after if self.sent + stale_after <= now else None


@dataclass(frozen=True, slots=True)
class Verdict:
    """Granted, or refused with `wait` seconds (None: until a request in flight finishes).

    `window` is the window that refused (None for the concurrency cap).
    """

    granted: bool
    wait: float | None = None
    window: Window | None = None


GRANTED = Verdict(granted=True)
EntryFn = Callable[[Sequence[Held]], "Held | None"]


def period_start(window: Window, now: float) -> float:
    return math.floor(now / window.seconds) * window.seconds


def expiry(window: Window, held: Held, now: float, stale_after: float = STALE_AFTER) -> float:
    """When `held` stops counting in `window`: math.inf while in flight, -inf if it no longer counts."""
    if held.window is not None and held.window != window.label:
        return -math.inf
    done = held.finished(now, stale_after)
    if done is None:
        return math.inf
    if window.kind == "fixed":
        start = period_start(window, now)
        return start + window.seconds if done >= start - EPSILON else -math.inf
    return done + window.seconds


def window_wait(
    window: Window, held: Iterable[Held], now: float, stale_after: float = STALE_AFTER
) -> float | None:
    """0 if `window` has room now; else seconds until it has (None: until a request in flight finishes)."""
    counted = [(end, h.weight) for h in held if (end := expiry(window, h, now, stale_after)) > now + EPSILON]
    used = sum(weight for _, weight in counted)
    if used < window.limit:
        return 0.0
    to_free = used - window.limit + 1
    for end, weight in sorted(counted):
        if end == math.inf:
            return None
        to_free -= weight
        if to_free <= 0:
            return max(end - now, EPSILON)
    return None  # not reached: `counted` holds at least `to_free` weight


def in_flight(held: Iterable[Held], now: float, stale_after: float = STALE_AFTER) -> int:
    return sum(1 for h in held if h.window is None and h.finished(now, stale_after) is None)


def evaluate(
    policy: RateLimitPolicy, held: Sequence[Held], now: float, stale_after: float = STALE_AFTER
) -> Verdict:
    """May one more request of this key go now? A spent `when_full="raise"` window is reported first."""
    if policy.concurrency is not None and in_flight(held, now, stale_after) >= policy.concurrency:
        return Verdict(granted=False)
    refusals = [(window_wait(w, held, now, stale_after), w) for w in policy.windows]
    refusals = [(wait, w) for wait, w in refusals if wait is None or wait > 0]
    if not refusals:
        return GRANTED
    raising = [(wait, w) for wait, w in refusals if w.when_full == "raise"]
    if raising:
        wait, window = raising[0]
        return Verdict(False, window.seconds if wait is None else wait, window)
    known = [(wait, w) for wait, w in refusals if wait is not None]
    if known:  # a known wait is a lower bound: no slot of that window can free up sooner
        wait, window = max(known, key=lambda pair: pair[0])
        return Verdict(False, wait, window)
    return Verdict(False, None, refusals[0][1])


def horizon(policy: RateLimitPolicy) -> float:
    """How long after it finished a slot may still count in one of the policy's windows."""
    return max((w.seconds for w in policy.windows), default=0.0)


def clamp_entry(window: Window, remaining: int, held: Iterable[Held], now: float) -> Held | None:
    """The ERP says only `remaining` calls are left in `window`: count the difference as used by others."""
    used_here = sum(h.weight for h in held if expiry(window, h, now) > now + EPSILON)
    missing = window.limit - max(0, remaining) - used_here
    return Held(sent=now, done=now, window=window.label, weight=missing) if missing > 0 else None


def block_entry(window: Window, until: float, now: float) -> Held:
    """The ERP closed `window` until `until`: one entry filling the window that expires then."""
    # sliding: counts until done + seconds; fixed: counts in every period starting before `until`
    done = until - window.seconds if window.kind == "sliding" else max(now, until - EPSILON)
    return Held(sent=now, done=done, window=window.label, weight=window.limit)


class SlotStore(Protocol):
    """Where the slots of a key live. `shared`: other processes use it too (waiters must poll)."""

    shared: bool

    async def try_claim(self, key: str, policy: RateLimitPolicy, now: float) -> tuple[Verdict, int | None]:
        """Atomically: evaluate the key's slots and, if granted, add one in flight (its id)."""
        ...

    async def finish(self, key: str, slot: int, now: float) -> None:
        """The request of `slot` is complete (response read, or failed) at `now`."""
        ...

    async def record(self, key: str, policy: RateLimitPolicy, entry_for: EntryFn, now: float) -> None:
        """Atomically add what `entry_for(held slots)` returns (a clamp or a block), if anything."""
        ...


class MemorySlotStore:
    """The slots of one process (one event loop): the default when no database is shared."""

    shared = False

    def __init__(self, stale_after: float = STALE_AFTER) -> None:
        self.stale_after = stale_after
        self._held: dict[str, dict[int, Held]] = {}
        self._ids = itertools.count(1)

    def held(self, key: str) -> list[Held]:
        return list(self._held.get(key, {}).values())

    async def try_claim(self, key: str, policy: RateLimitPolicy, now: float) -> tuple[Verdict, int | None]:
        slots = self._prune(key, policy, now)
        verdict = evaluate(policy, list(slots.values()), now, self.stale_after)
        if not verdict.granted:
            return verdict, None
        slot = next(self._ids)
        slots[slot] = Held(sent=now)
        return verdict, slot

    async def finish(self, key: str, slot: int, now: float) -> None:
        slots = self._held.get(key, {})
        if slot in slots:
            slots[slot] = replace(slots[slot], done=now)

    async def record(self, key: str, policy: RateLimitPolicy, entry_for: EntryFn, now: float) -> None:
        slots = self._prune(key, policy, now)
        entry = entry_for(list(slots.values()))
        if entry is not None:
            slots[next(self._ids)] = entry

    def _prune(self, key: str, policy: RateLimitPolicy, now: float) -> dict[int, Held]:
        slots = self._held.setdefault(key, {})
        keep = horizon(policy)
        for slot, held in list(slots.items()):
            done = held.finished(now, self.stale_after)
            if done is not None and done + keep <= now - EPSILON:
                del slots[slot]
        return slots
