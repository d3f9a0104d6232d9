"""Pages planned while earlier pages are still being written (issue 17, PostgreSQL): `write_planned`.

A page's import is two halves: its plan (digest, the reads of its mappings, SmartAP rows and match
candidates, classification) and its write (the inserts and upserts, its conflicts, the commit). Done
one after the other, the client waits on the server for most of a page (a first page of 1,000 vendors
on PostgreSQL: ~45 ms of statements, most of it the server checking each mapping row's two foreign
keys) and the server waits on the client for the rest. Here the next page is planned, in a session of
its own, while up to `writers` earlier pages are written, each in its own transaction and connection.

A plan made while other pages were uncommitted is used only if it rests on nothing they write
(`Plan.depends_on`: no ERP record in common, no SmartAP record in common); such a plan is the same
before and after their commits. Otherwise every page in flight is committed first and the page is
planned again inside its own write, as the one-after-the-other import does: a record repeated in the
next page (an overlap window) is still applied after the earlier one, and a SmartAP vendor two pages
would both match still goes to the first. Counts are added in page order; if a write fails, the
others in flight are awaited (what they committed is counted) before the error propagates; so are
they when the import is cancelled (each page is one transaction: committed whole, or not at all).
"""

from __future__ import annotations

import asyncio
import collections
import uuid
from collections.abc import AsyncIterable, Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from smartap_erp.sync.imports.report import PageCounts


class Plan(Protocol):
    def depends_on(self, earlier: Any) -> bool:
        """Whether `earlier`'s writes could change this plan."""


@dataclass(slots=True)
class PlanKeys:
    """The records a page's plan rests on: the ERP records of the page (their mappings) and the
    SmartAP records it read, matched or will write. Two plans with none in common plan the same
    before and after the other is committed (a record a page creates is mapped with it, so it is
    never another page's match); the page writers' plans extend this."""

    erp_ids: frozenset[str]
    smartap_ids: frozenset[uuid.UUID]

    def depends_on(self, earlier: PlanKeys) -> bool:
        return not (
            self.erp_ids.isdisjoint(earlier.erp_ids) and self.smartap_ids.isdisjoint(earlier.smartap_ids)
        )


P = TypeVar("P", bound=Plan)


async def write_planned(
    pages: AsyncIterable[Sequence[Any]],
    plan: Callable[[Sequence[Any]], Awaitable[P]],
    commit: Callable[[Sequence[Any], P | None], Awaitable[PageCounts]],
    add: Callable[[PageCounts], None],
    *,
    writers: int,
) -> None:
    """Plan each page of `pages`, then `commit(page, plan)` it (`plan` None: plan it again inside the
    write) with at most `writers` commits running; `add` receives each page's counts in page order."""
    if writers < 1:
        raise ValueError(f"writers must be >= 1, not {writers}")
    flight: collections.deque[tuple[asyncio.Future[PageCounts], P | None]] = collections.deque()

    async def oldest() -> None:
        # shielded: a cancelled import still lets the write it waits on commit (and counts it below)
        counts = await asyncio.shield(flight[0][0])
        flight.popleft()
        add(counts)

    try:
        async for records in pages:
            uncommitted = [other for _, other in flight]  # before the reads: what they may not see
            made = await plan(records)
            stale = any(other is None or made.depends_on(other) for other in uncommitted)
            kept = None if stale else made
            while flight and (kept is None or len(flight) >= writers):
                await oldest()
            flight.append((asyncio.ensure_future(commit(records, kept)), kept))
            await asyncio.sleep(0)  # the write starts (its first statement sent) before the next plan
        while flight:
            await oldest()
    finally:
        outcomes = await asyncio.gather(*(task for task, _ in flight), return_exceptions=True)
        for outcome in outcomes:
            if isinstance(outcome, PageCounts):
                add(outcome)
