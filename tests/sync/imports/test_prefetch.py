"""`Prefetched`: the next page is read while the current one is handled, in order, errors in their
place, bounded, and the reading task gone when the block is left."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import pytest

from smartap_erp.sync.imports.prefetch import Prefetched

DEADLINE = 30  # seconds: only a hang ever reaches it


async def test_the_next_page_is_read_while_the_current_one_is_handled() -> None:
    handling_first, second_read = asyncio.Event(), asyncio.Event()

    async def pages() -> AsyncIterator[int]:
        yield 1
        await handling_first.wait()  # a plain loop would never get here while page 1 is handled
        second_read.set()
        yield 2

    seen = []
    async with Prefetched(pages()) as ahead:
        async for page in ahead:
            seen.append(page)
            if page == 1:
                handling_first.set()
                await asyncio.wait_for(second_read.wait(), DEADLINE)  # page 2 read during page 1
    assert seen == [1, 2]


async def test_pages_then_the_error_come_out_in_order() -> None:
    async def pages() -> AsyncIterator[int]:
        yield 1
        yield 2
        raise RuntimeError("page 3 refused")

    seen: list[int] = []

    async def read() -> None:
        async with Prefetched(pages(), depth=2) as ahead:
            async for page in ahead:
                seen.append(page)

    with pytest.raises(RuntimeError, match="page 3 refused"):
        await read()
    assert seen == [1, 2]


async def test_reading_ahead_is_bounded_by_depth() -> None:
    pulled = []

    async def pages() -> AsyncIterator[int]:
        for n in range(1, 20):
            pulled.append(n)
            yield n

    async with Prefetched(pages(), depth=2) as ahead:
        async for page in ahead:
            await asyncio.wait_for(_until(lambda: ahead.queue.full() or len(pulled) == 19), DEADLINE)
            await asyncio.sleep(0)  # let the reader run if it could
            # the queue's 2 pages, plus one pulled and waiting for room
            assert len(pulled) <= page + 2 + 1
    assert pulled == list(range(1, 20))


async def test_leaving_early_cancels_the_read_and_closes_the_source() -> None:
    closed = asyncio.Event()

    async def pages() -> AsyncIterator[int]:
        try:
            n = 0
            while True:
                n += 1
                yield n
        finally:
            closed.set()

    async with Prefetched(pages()) as ahead:
        async for page in ahead:
            if page == 3:
                break
    assert ahead.task is not None and ahead.task.done()
    assert closed.is_set()


async def test_an_error_in_the_handler_stops_the_read() -> None:
    async def pages() -> AsyncIterator[int]:
        n = 0
        while True:
            n += 1
            yield n

    ahead = Prefetched(pages())

    async def write_fails() -> None:
        async with ahead:
            async for _ in ahead:
                raise ValueError("write failed")

    with pytest.raises(ValueError, match="write failed"):
        await write_fails()
    assert ahead.task is not None and ahead.task.done()


def test_depth_must_be_positive() -> None:
    async def pages() -> AsyncIterator[int]:
        yield 1

    with pytest.raises(ValueError, match="depth must be >= 1"):
        Prefetched(pages(), depth=0)


async def _until(condition: Callable[[], bool]) -> None:
    """Poll the queue's own state (no event exists for "full"); callers bound it with DEADLINE."""
    while not condition():  # noqa: ASYNC110
        await asyncio.sleep(0)
