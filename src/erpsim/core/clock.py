"""The simulator clock: one injectable source of "now" for every simulator.

Token and session expiry, rate-limit windows, MetaData timestamps and the request log all read this
clock, never `datetime.now()`. A clock either follows real time from a starting point (`Clock.real()`,
what `erpsim serve` uses) or stands still until told to move (`Clock.fixed(...)`, what tests use);
both move forward with `advance(seconds)` (the `POST /_sim/clock` endpoint). `Clock.sleep` is an
async sleep that advances a fixed clock instead of waiting, for tests that inject `sleep`.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime


class Clock:
    """Aware-UTC clock that can be frozen, and moved forward but never back."""

    def __init__(self, start: datetime | None = None, *, frozen: bool = False) -> None:
        start = start if start is not None else datetime.now(UTC)
        if start.tzinfo is None:
            raise ValueError("Clock start must be timezone-aware")
        self._start = start.astimezone(UTC)
        self._frozen = frozen
        self._mono_start = time.monotonic()
        self._offset = 0.0
        self._lock = threading.Lock()

    @classmethod
    def real(cls) -> Clock:
        """A clock that follows real time, starting now."""
        return cls()

    @classmethod
    def fixed(cls, start: datetime | str = "2024-06-03T12:00:00+00:00") -> Clock:
        """A clock that stands still at `start` until `advance` is called."""
        when = datetime.fromisoformat(start) if isinstance(start, str) else start
        return cls(when, frozen=True)

    @property
    def frozen(self) -> bool:
        return self._frozen

    def time(self) -> float:
        """Seconds since the epoch on this clock (float, like `time.time()`)."""
        elapsed = 0.0 if self._frozen else time.monotonic() - self._mono_start
        with self._lock:
            offset = self._offset
        return self._start.timestamp() + elapsed + offset

    def now(self) -> datetime:
        """The current time as an aware UTC datetime."""
        return datetime.fromtimestamp(self.time(), UTC)

    def advance(self, seconds: float) -> datetime:
        """Move the clock forward by `seconds` (>= 0) and return the new now."""
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        with self._lock:
            self._offset += seconds
        return self.now()

    async def sleep(self, seconds: float) -> None:
        """An async sleep for tests: advances a frozen clock at once instead of waiting."""
        if seconds > 0:
            self.advance(seconds)

    def __repr__(self) -> str:
        kind = "fixed" if self._frozen else "real"
        return f"Clock({kind}, now={self.now().isoformat()})"


def isoformat_z(when: datetime) -> str:
    """RFC 3339 text in UTC with a trailing Z and millisecond precision."""
    return when.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
