"""Read the next page while the current one is written (issue 17): `Prefetched(pages, depth)` pulls
`pages` in a task of its own into a queue of at most `depth` pages, so the connector's request, the
parsing of its body and the ERP's latency overlap with the database writes of the page before.

Order is kept: pages, then the end or the connector's error, come out exactly as the connector gave
them (an error after page 3 is raised after page 3 is handed out, never before). Memory holds at most
`depth` pages more than a plain loop. Leaving the block (an error in the writer, or the caller's
limit reached) cancels the reading task, waits for it, then closes `pages`, so no request outlives
the read.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterable, AsyncIterator
from typing import Generic, Self, TypeVar

T = TypeVar("T")
_END = object()


class _Failed:
    def __init__(self, error: BaseException) -> None:
        self.error = error


class Prefetched(Generic[T]):
    """`async with Prefetched(pages, depth=1) as ahead: async for page in ahead: ...`"""

    def __init__(self, pages: AsyncIterable[T], depth: int = 1) -> None:
        if depth < 1:
            raise ValueError(f"depth must be >= 1, not {depth}")
        self.pages: AsyncIterator[T] = aiter(pages)
        self.queue: asyncio.Queue[object] = asyncio.Queue(maxsize=depth)
        self.task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> Self:
        self.task = asyncio.ensure_future(self._fill())
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        if self.task is not None and not self.task.done():
            self.task.cancel()
        if self.task is not None:
            await asyncio.gather(self.task, return_exceptions=True)
        close = getattr(self.pages, "aclose", None)
        if close is not None:  # the task is over: the pages are not running, so they can be closed
            await close()

    async def _fill(self) -> None:
        try:
            async for page in self.pages:
                await self.queue.put(page)
        except asyncio.CancelledError:
            raise
        except BaseException as exc:  # handed to the reader in order, raised there
            await self.queue.put(_Failed(exc))
            return
        await self.queue.put(_END)

    async def __aiter__(self) -> AsyncIterator[T]:
        while True:
            item = await self.queue.get()
            if item is _END:
                return
            if isinstance(item, _Failed):
                raise item.error
            yield item  # type: ignore[misc]
