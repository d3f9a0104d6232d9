"""Time, sleeping and randomness as injectable values, so nothing in the toolkit ever really waits in a test.

`Clock` returns wall-clock Unix seconds (token expiry and `Retry-After` dates need the wall clock);
`Sleep` is an async sleep; `Random` returns a float in [0, 1) for backoff jitter. `ManualClock` is a
virtual clock whose `sleep` moves time forward instantly and records every wait, for tests,
benchmarks and simulations.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import random
import time
from collections.abc import Awaitable, Callable

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]
Random = Callable[[], float]


def system_clock() -> float:
    """Wall-clock Unix seconds."""
    return time.time()


async def system_sleep(seconds: float) -> None:
    await asyncio.sleep(max(0.0, seconds))


def system_random() -> float:
    return random.random()  # noqa: S311 (jitter, not cryptography)


def to_datetime(seconds: float) -> dt.datetime:
    """Unix seconds -> aware UTC datetime."""
    return dt.datetime.fromtimestamp(seconds, tz=dt.UTC)


class ManualClock:
    """Virtual time. Call it for the time; `await clock.sleep(s)` advances it by `s` at once.

    `sleeps` records every requested wait, so tests assert on what the code would have waited.
    """

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += max(0.0, seconds)
        await asyncio.sleep(0)  # still a scheduling point, as a real sleep would be

    def advance(self, seconds: float) -> None:
        self.now += seconds

    def datetime(self) -> dt.datetime:
        return to_datetime(self.now)
