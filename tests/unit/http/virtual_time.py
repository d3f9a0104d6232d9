"""An asyncio event loop on virtual time, for deterministic concurrency tests that never really wait.

`run_virtual(main())` runs a coroutine on a loop whose `time()` starts at `START` and jumps straight
to the next timer whenever no callback is ready, so `asyncio.sleep(0.4)` in a thousand tasks at once
costs nothing and they all wake at the same virtual instant, as they would on an idle machine with
an exact clock. Use `loop.time` (via `virtual_clock()`) as the clock and `asyncio.sleep` as the sleep.
Only for pure-asyncio code: I/O on real file descriptors still blocks on the real selector.
"""

from __future__ import annotations

import asyncio
import selectors
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")
START = 1_700_000_000.0


class _JumpingSelector(selectors.DefaultSelector):
    """When the loop would block for `timeout` seconds with nothing ready, move time forward instead."""

    def __init__(self) -> None:
        super().__init__()
        self.loop: VirtualTimeLoop | None = None

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        ready = super().select(0)
        if ready or timeout is None or timeout <= 0 or self.loop is None:
            return ready if ready or timeout == 0 else super().select(timeout)
        self.loop.virtual_now += timeout
        return ready


class VirtualTimeLoop(asyncio.SelectorEventLoop):
    def __init__(self) -> None:
        selector = _JumpingSelector()
        super().__init__(selector)
        selector.loop = self
        self.virtual_now = START
        # A timer is due when it is within the clock resolution of now; at 1.7e9 s a double's step is
        # 2.4e-7 s, coarser than the real clock's 1e-9 s resolution, so timers would never come due.
        self._clock_resolution = 1e-6

    def time(self) -> float:
        return self.virtual_now


def run_virtual(main: Coroutine[Any, Any, T]) -> T:
    loop = VirtualTimeLoop()
    try:
        return loop.run_until_complete(main)
    finally:
        loop.close()


def virtual_clock() -> float:
    """The running virtual loop's time (a `Clock` for limiters and retry layers)."""
    return asyncio.get_running_loop().time()
