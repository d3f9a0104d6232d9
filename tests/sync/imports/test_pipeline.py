"""`pipeline.write_planned` (issue 17): the next page is planned while earlier ones are written, at
most `writers` writes run at once, a plan that rests on a page still uncommitted when it was made is
dropped (the page is planned again inside its write, after every page in flight is committed), and
counts arrive in page order even when a write fails. No database: plans and commits are fakes that
wait on events the test sets, so every interleaving is forced, not timed."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest

from smartap_erp.sync.imports.pipeline import write_planned
from smartap_erp.sync.imports.report import PageCounts


@dataclass(frozen=True)
class FakePlan:
    keys: frozenset[str]

    def depends_on(self, earlier: FakePlan) -> bool:
        return not self.keys.isdisjoint(earlier.keys)


@dataclass
class Pipeline:
    """Pages named by their keys; each commit waits until the test releases its page."""

    released: dict[int, asyncio.Event] = field(default_factory=dict)
    started: dict[int, asyncio.Event] = field(default_factory=dict)
    events: list[str] = field(default_factory=list)
    committed: list[tuple[int, FakePlan | None]] = field(default_factory=list)
    failing: set[int] = field(default_factory=set)
    in_flight: int = 0
    most_in_flight: int = 0
    before_plan: dict[int, asyncio.Event] = field(default_factory=dict)

    def event(self, table: dict[int, asyncio.Event], page: int) -> asyncio.Event:
        return table.setdefault(page, asyncio.Event())

    async def plan(self, records: Sequence[Any]) -> FakePlan:
        page = records[0]
        self.events.append(f"plan {page}")
        if page in self.before_plan:
            await self.before_plan[page].wait()
        return FakePlan(frozenset(records[1:]))

    async def commit(self, records: Sequence[Any], plan: FakePlan | None) -> PageCounts:
        page = records[0]
        self.events.append(f"write {page}")
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        self.event(self.started, page).set()
        try:
            await self.event(self.released, page).wait()
            if page in self.failing:
                raise RuntimeError(f"page {page} failed")
            self.committed.append((page, plan))
            return PageCounts(created=page)
        finally:
            self.in_flight -= 1

    def release(self, page: int) -> None:
        self.event(self.released, page).set()


async def _pages(*pages: tuple[Any, ...]) -> AsyncIterator[Sequence[Any]]:
    for page in pages:
        yield page


async def _run(pipeline: Pipeline, pages: list[tuple[Any, ...]], writers: int, added: list[int]) -> None:
    await write_planned(
        _pages(*pages), pipeline.plan, pipeline.commit, lambda c: added.append(c.created), writers=writers
    )


async def _until(condition: Any) -> None:
    """Let the other tasks run until `condition()` holds (no clock: a bounded number of turns)."""
    for _ in range(1000):
        if condition():
            return
        await asyncio.sleep(0)
    raise AssertionError("the pipeline never got there")


async def test_independent_pages_are_planned_while_two_are_written_and_counted_in_order() -> None:
    pipe, added = Pipeline(), list[int]()
    run = asyncio.ensure_future(_run(pipe, [(1, "a"), (2, "b"), (3, "c")], 2, added))
    await _until(lambda: "write 2" in pipe.events)
    assert pipe.events == ["plan 1", "write 1", "plan 2", "write 2", "plan 3"]  # 3 waits for a free writer
    pipe.release(2)  # the second page finishes first: its count still waits for the first's
    await _until(lambda: (2, FakePlan(frozenset("b"))) in pipe.committed)
    assert added == [] and "write 3" not in pipe.events
    pipe.release(1)
    await _until(lambda: "write 3" in pipe.events)
    pipe.release(3)
    await run
    assert added == [1, 2, 3] and pipe.most_in_flight == 2
    assert all(plan is not None for _, plan in pipe.committed)  # every plan was written as made


async def test_a_page_sharing_a_record_with_one_in_flight_waits_and_is_planned_again() -> None:
    pipe, added = Pipeline(), list[int]()
    run = asyncio.ensure_future(_run(pipe, [(1, "a", "x"), (2, "x"), (3, "c")], 2, added))
    await _until(lambda: "plan 2" in pipe.events)
    await _until(lambda: pipe.started.get(1) is not None)
    for _ in range(50):
        await asyncio.sleep(0)
    assert "write 2" not in pipe.events  # "x" is in page 1, uncommitted: page 2 waits for it
    pipe.release(1)
    await _until(lambda: "write 2" in pipe.events)
    assert pipe.committed[-1][0] == 1 and pipe.in_flight == 1
    pipe.release(2)
    pipe.release(3)
    await run
    assert [(page, plan is None) for page, plan in pipe.committed] == [(1, False), (2, True), (3, True)]
    assert added == [1, 2, 3]


async def test_a_plan_is_checked_against_pages_that_committed_while_it_was_made() -> None:
    """Page 1 commits while page 2 is being planned: page 2's reads may have missed it (they began
    before), so its plan is still dropped, although page 1 is no longer in flight."""
    pipe, added = Pipeline(), list[int]()
    pipe.before_plan[2] = asyncio.Event()
    run = asyncio.ensure_future(_run(pipe, [(1, "x"), (2, "x")], 2, added))
    await _until(lambda: "plan 2" in pipe.events and 1 in pipe.started)
    pipe.release(1)
    await _until(lambda: pipe.committed)
    pipe.before_plan[2].set()
    pipe.release(2)
    await run
    assert [(page, plan is None) for page, plan in pipe.committed] == [(1, False), (2, True)]


async def test_a_failed_write_is_raised_after_the_others_in_flight_are_committed_and_counted() -> None:
    pipe, added = Pipeline(failing={1}), list[int]()
    run = asyncio.ensure_future(_run(pipe, [(1, "a"), (2, "b"), (3, "c")], 2, added))
    await _until(lambda: 2 in pipe.started)
    pipe.release(1)
    await _until(lambda: pipe.in_flight == 1)
    assert not run.done()  # page 2 is still being written: the error waits for it
    pipe.release(2)
    with pytest.raises(RuntimeError, match="page 1 failed"):
        await run
    assert added == [2] and "write 3" not in pipe.events


async def test_one_writer_writes_one_page_after_the_other() -> None:
    pipe, added = Pipeline(), list[int]()
    for page in (1, 2, 3):
        pipe.release(page)
    await _run(pipe, [(1, "a"), (2, "b"), (3, "c")], 1, added)
    assert pipe.most_in_flight == 1 and added == [1, 2, 3]


async def test_writers_must_be_positive() -> None:
    with pytest.raises(ValueError, match="writers must be >= 1"):
        await _run(Pipeline(), [(1, "a")], 0, [])


async def test_a_cancelled_import_lets_the_writes_in_flight_finish_and_counts_them() -> None:
    """A job cancelled mid-import: the pages already handed to a writer are committed whole (never
    half-written: each is one transaction) and counted; no further page is planned."""
    pipe, added = Pipeline(), list[int]()
    run = asyncio.ensure_future(_run(pipe, [(1, "a"), (2, "b"), (3, "c")], 2, added))
    await _until(lambda: 2 in pipe.started)
    run.cancel()  # while page 3 waits for a free writer, awaiting page 1's write
    pipe.release(1)
    pipe.release(2)
    with pytest.raises(asyncio.CancelledError):
        await run
    assert [page for page, _ in pipe.committed] == [1, 2] and added == [1, 2]
    assert "write 3" not in pipe.events
