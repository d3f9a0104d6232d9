"""Rate and concurrency limits as data, checked once per ERP request by the core middleware.

A simulator declares its ERP's published limits as a list of `RateLimit` (requests per window per
key, sliding or fixed window) and `ConcurrencyLimit` (requests in flight per key) rules. Each rule
has a `key` function of the request (for example the QBO realm id or the Xero tenant header);
returning None means the rule does not apply to that request. `Limiter.acquire` checks every rule
and either admits the request (a `Permit`, released when the response is done) or refuses it (a
`Rejection` naming the rule and when to retry), which the simulator renders in its ERP's envelope.
A refused request consumes nothing. The counters (`SlidingWindow`, `FixedWindow`,
`ConcurrencyGate`) are usable on their own. Everything reads the simulator `Clock`.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from starlette.requests import Request

from erpsim.core.clock import Clock

KeyFn = Callable[[Request], "str | None"]


class SlidingWindow:
    """At most `limit` hits in any `window` seconds, per key (a log of hit times)."""

    def __init__(self, limit: int, window: float) -> None:
        self.limit, self.window = limit, window
        self._hits: dict[str, deque[float]] = {}

    def _trim(self, key: str, now: float) -> deque[float]:
        hits = self._hits.setdefault(key, deque())
        while hits and hits[0] <= now - self.window:
            hits.popleft()
        return hits

    def used(self, key: str, now: float) -> int:
        return len(self._trim(key, now))

    def allows(self, key: str, now: float) -> bool:
        return self.used(key, now) < self.limit

    def hit(self, key: str, now: float) -> None:
        self._trim(key, now).append(now)

    def retry_after(self, key: str, now: float) -> float:
        """Seconds until one more hit would be allowed (0 if allowed now)."""
        hits = self._trim(key, now)
        if len(hits) < self.limit:
            return 0.0
        return max(0.0, hits[len(hits) - self.limit] + self.window - now)

    def reset(self) -> None:
        self._hits.clear()


class FixedWindow:
    """At most `limit` hits per calendar window of `window` seconds (aligned to the epoch), per key."""

    def __init__(self, limit: int, window: float) -> None:
        self.limit, self.window = limit, window
        self._counts: dict[str, tuple[int, int]] = {}  # key -> (window index, hits)

    def used(self, key: str, now: float) -> int:
        index = math.floor(now / self.window)
        current, hits = self._counts.get(key, (index, 0))
        return hits if current == index else 0

    def allows(self, key: str, now: float) -> bool:
        return self.used(key, now) < self.limit

    def hit(self, key: str, now: float) -> None:
        self._counts[key] = (math.floor(now / self.window), self.used(key, now) + 1)

    def retry_after(self, key: str, now: float) -> float:
        if self.allows(key, now):
            return 0.0
        return (math.floor(now / self.window) + 1) * self.window - now

    def reset(self) -> None:
        self._counts.clear()


class ConcurrencyGate:
    """At most `limit` requests in flight per key; remembers the peak per key."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.in_flight: dict[str, int] = {}
        self.peak: dict[str, int] = {}

    def try_enter(self, key: str) -> bool:
        current = self.in_flight.get(key, 0)
        if current >= self.limit:
            return False
        self.in_flight[key] = current + 1
        self.peak[key] = max(self.peak.get(key, 0), current + 1)
        return True

    def leave(self, key: str) -> None:
        self.in_flight[key] = max(0, self.in_flight.get(key, 0) - 1)

    def reset(self) -> None:
        self.in_flight.clear()
        self.peak.clear()


@dataclass(frozen=True)
class RateLimit:
    """`limit` requests per `window` seconds per `key(request)`."""

    name: str
    limit: int
    window: float
    key: KeyFn
    sliding: bool = True


@dataclass(frozen=True)
class ConcurrencyLimit:
    """At most `limit` requests in flight per `key(request)`."""

    name: str
    limit: int
    key: KeyFn


LimitRule = RateLimit | ConcurrencyLimit


@dataclass(frozen=True)
class Rejection:
    """A refused request: which rule, for which key, and seconds until a retry could pass."""

    rule: str
    kind: str  # "rate" or "concurrency"
    key: str
    limit: int
    retry_after: float | None


@dataclass
class Permit:
    """An admitted request. `remaining` is what is left of each rate rule after this request."""

    remaining: dict[str, int] = field(default_factory=dict)
    _release: list[Callable[[], None]] = field(default_factory=list)

    def release(self) -> None:
        while self._release:
            self._release.pop()()


class Limiter:
    """Checks all rules for a request; admits it atomically or refuses without consuming anything."""

    def __init__(self, rules: Sequence[LimitRule], clock: Clock) -> None:
        self.rules = tuple(rules)
        self.clock = clock
        self._windows: dict[str, SlidingWindow | FixedWindow] = {}
        self._gates: dict[str, ConcurrencyGate] = {}
        for rule in self.rules:
            if isinstance(rule, RateLimit):
                window_cls = SlidingWindow if rule.sliding else FixedWindow
                self._windows[rule.name] = window_cls(rule.limit, rule.window)
            else:
                self._gates[rule.name] = ConcurrencyGate(rule.limit)

    def acquire(self, request: Request) -> Permit | Rejection:
        now = self.clock.time()
        keyed = [(rule, rule.key(request)) for rule in self.rules]
        keyed_rules = [(rule, key) for rule, key in keyed if key is not None]
        for rule, key in keyed_rules:
            if isinstance(rule, RateLimit) and not self._windows[rule.name].allows(key, now):
                retry = self._windows[rule.name].retry_after(key, now)
                return Rejection(rule.name, "rate", key, rule.limit, retry)
            gate = self._gates.get(rule.name)
            if gate is not None and gate.in_flight.get(key, 0) >= rule.limit:
                return Rejection(rule.name, "concurrency", key, rule.limit, None)
        permit = Permit()
        for rule, key in keyed_rules:
            if isinstance(rule, RateLimit):
                window = self._windows[rule.name]
                window.hit(key, now)
                permit.remaining[rule.name] = max(0, rule.limit - window.used(key, now))
            else:
                gate = self._gates[rule.name]
                gate.try_enter(key)
                permit._release.append(lambda gate=gate, key=key: gate.leave(key))  # type: ignore[misc]
        return permit

    def remaining(self, rule_name: str, key: str) -> int:
        """What is left of a rate rule for `key` right now."""
        window = self._windows[rule_name]
        return max(0, window.limit - window.used(key, self.clock.time()))

    def reset(self) -> None:
        for window in self._windows.values():
            window.reset()
        for gate in self._gates.values():
            gate.reset()
