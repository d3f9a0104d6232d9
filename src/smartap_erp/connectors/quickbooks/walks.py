"""Query reads carried as `Query` items of `/batch` requests (quickbooks.md §Batch requests, erp-api-facts
§1.9): a "walk" is one query read page by page with STARTPOSITION (ordered by Id, `queries.select`).

The first batch holds each walk's `COUNT(*)` and first page (and `SELECT * FROM CompanyInfo` while the
home currency is unknown); the further pages the counts promise (one past a full last page) go
`per_batch` to a batch, then pages one at a time while the last comes back full (records added since
the count). With `ahead`, that many further batches are in flight while the pages of the current one
are handed out, so the ERP's latency overlaps the caller's work (their answers kept as bytes, parsed
when their turn comes). Why batches: QuickBooks allows 10 requests a second per company and app, and
a request holds its slot until a second after its answer (`http.slots`), so at 200 ms a round trip 51
page requests (50,000 rows) cannot take less than about 6 s, where 6 batches go at once. A batch counts
once toward the 10 a second and the 500 a minute, and once toward the 40 batch requests a minute
(`limits.py`), a budget far smaller than the 500 plain requests a minute: so a stream counts with a
plain query, reads a small result as plain pages, and a large one's first pages in a burst of batches
(`most_pages`) and the rest as plain pages (`stream`), keeping batch requests for exports
and the memory of a batch small. Memory: one batch of parsed pages, each freed once handed
out and used, and `ahead` batches of bytes.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import httpx

from smartap_erp.connectors.quickbooks import batchquery, queries
from smartap_erp.domain.enums import ERPSystem
from smartap_erp.errors import PaginationError
from smartap_erp.http import Call

if TYPE_CHECKING:
    from smartap_erp.connectors.quickbooks.connector import QuickBooksConnector

Answers = tuple[list[tuple["Walk", int]], list[dict[str, Any]]]
MOST_ITEMS = 10  # Query items a batch: the safe size of erp-api-facts §1.9 (30 may be accepted, UNCERTAIN)
# Streams (`stream`): a result of more than `STREAM_BATCH_FROM` pages (where 10 requests a second would
# bound the read) has its first `STREAM_BATCHED_PAGES` pages read in `/batch` requests of 3 pages, one
# more batch in flight (as bytes) while a batch's pages are written; then plain pages, 8 in flight.
STREAM_BATCH_FROM = 10
STREAM_PAGES_PER_BATCH = 3
STREAM_BATCHES_AHEAD = 1
STREAM_BATCHED_PAGES = 60  # 20 batches: half of QuickBooks' 40 batch requests a minute


@dataclass
class Walk:
    """One query read page by page with STARTPOSITION (ordered by Id, `queries.py`) inside batches."""

    entity: str
    conditions: Sequence[str]
    total: int = 0  # its COUNT
    asked: int = 1  # STARTPOSITION of the last page asked
    full: bool = False  # the last page read came back full
    ended: bool = False  # an empty page was read: nothing further
    previous: list[str] = field(default_factory=list)  # ids of the page before

    @classmethod
    def counted(cls, entity: str, conditions: Sequence[str], total: int) -> Walk:
        """A walk whose COUNT was read already: its first plan starts at page 1."""
        return cls(entity, conditions, total=total, asked=1 - queries.PAGE_SIZE)

    def count(self) -> str:
        return queries.select(self.entity, self.conditions, count=True)

    def page(self, start: int) -> str:
        statement = queries.select(self.entity, self.conditions)
        return f"{statement} STARTPOSITION {start} MAXRESULTS {queries.PAGE_SIZE}"

    def plan(self, max_pages: int, most: int | None = None) -> list[int]:
        """The next pages to ask (`most` of them at most): every one the count promises (one past a
        full last page), else the next one while the last came back full."""
        size = queries.PAGE_SIZE
        if self.ended or (most is not None and most <= 0):
            return []
        starts = list(range(self.asked + size, self.total + 2, size)) or (
            [self.asked + size] if self.full else []
        )
        starts = starts if most is None else starts[:most]
        if starts and starts[-1] // size + 1 > max_pages:
            raise PaginationError(
                f"gave up after {max_pages} pages (max_pages) of {self.entity}", erp=ERPSystem.QUICKBOOKS
            )
        self.asked = starts[-1] if starts else self.asked
        self.ended = not starts
        return starts

    def rest(self) -> int | None:
        """Where a read that stopped batching goes on: the next STARTPOSITION, or None when the
        pages read so far ended it (an empty page, or a last page that was not full)."""
        if self.ended or (self.asked > self.total and not self.full):
            return None
        return self.asked + queries.PAGE_SIZE

    def take(self, answer: dict[str, Any]) -> list[dict[str, Any]]:
        """The rows of a page answer, in order of STARTPOSITION; none once an empty page was read."""
        rows: list[dict[str, Any]] = [] if self.ended else answer.get(self.entity, [])
        ids = [str(row.get("Id")) for row in rows if isinstance(row, dict)]
        if ids and ids == self.previous:  # an ERP ignoring STARTPOSITION (the paging loop's guard)
            raise PaginationError(f"the same page of {self.entity} twice", erp=ERPSystem.QUICKBOOKS)
        self.previous, self.full, self.ended = ids, len(rows) >= queries.PAGE_SIZE, not rows
        return rows


async def walk_pages(
    connector: QuickBooksConnector,
    walks: Sequence[Walk],
    *,
    per_batch: int,
    ahead: int = 0,
    most_pages: int | None = None,
    counted: bool = False,
) -> AsyncIterator[tuple[Walk, list[Any]]]:
    """Each walk's non-empty pages, in order within a walk (module docstring). With `most_pages`, the
    batches stop after that many further pages: the caller reads the rest (`Walk.rest`). `counted`
    walks (`Walk.counted`) skip the first batch: their pages start at 1."""
    if not counted:
        async for found in _first_batch(connector, walks):
            yield found
    budget = most_pages
    while asks := [(walk, start) for walk in walks for start in walk.plan(connector.max_pages, budget)]:
        parts = (asks[first : first + per_batch] for first in range(0, len(asks), per_batch))
        async for part, batch in _batches(connector, parts, ahead):
            batch.reverse()  # popped in order: each page's rows are freed once handed out and used
            for walk, _ in part:
                if rows := walk.take(batch.pop()):
                    yield walk, rows
        budget = None if budget is None else budget - len(asks)
        if budget is not None and budget <= 0:
            return


async def stream(
    connector: QuickBooksConnector, entity: str, conditions: Sequence[str]
) -> AsyncIterator[list[dict[str, Any]]]:
    """Every `entity` row matching `conditions`, a page at a time: a COUNT (a read with nothing to
    read is that one request); a result of more than `STREAM_BATCH_FROM` pages has its first pages
    read as `Query` items of batches (10 requests a second would otherwise bound the read); the rest
    as plain queries read ahead in parallel (`queries.start_positions`) by the shared paging loop."""
    from smartap_erp.connectors.quickbooks.connector import MINOR_VERSION  # the connector imports us

    statement = queries.select(entity, conditions, count=True)
    total = int((await connector._query(statement, {"totalCount": int}))["totalCount"])
    if total == 0:
        # nothing matches (an incremental read with no change): the count is the whole read. A record
        # changed since is after the run's signpost, so the next incremental read sees it.
        return
    start: int | None = 1
    if total > STREAM_BATCH_FROM * queries.PAGE_SIZE:
        walk = Walk.counted(entity, conditions, total)
        async for _, rows in walk_pages(
            connector,
            [walk],
            per_batch=STREAM_PAGES_PER_BATCH,
            ahead=STREAM_BATCHES_AHEAD,
            most_pages=STREAM_BATCHED_PAGES,
            counted=True,
        ):
            yield rows
        start = walk.rest()
    if start is None:
        return
    paging = queries.start_positions(total, start=start)
    call = Call.get("query", {"query": queries.select(entity, conditions), "minorversion": MINOR_VERSION})
    async for page in connector.pages(call, paging, queries.rows_of(entity)):
        if page.records:  # the empty page that ends a read past the count holds nothing to map
            yield page.records


async def _first_batch(
    connector: QuickBooksConnector, walks: Sequence[Walk]
) -> AsyncIterator[tuple[Walk, list[Any]]]:
    """Each walk's COUNT and first page in one batch (and the company's record while the home
    currency is unknown)."""
    statements = [statement for walk in walks for statement in (walk.count(), walk.page(1))]
    keys: list[Mapping[str, type] | None] = [{"totalCount": int}, None] * len(walks)
    if not connector.knows_home_currency:
        statements, keys = [*statements, batchquery.COMPANY_INFO], [*keys, batchquery.COMPANY_KEYS]
    answers = await batchquery.run(connector, statements, keys)
    if len(answers) > 2 * len(walks):
        batchquery.learn_company(connector, answers[-1])
    for index, walk in enumerate(walks):
        walk.total = int(answers[2 * index]["totalCount"])
        if rows := walk.take(answers[2 * index + 1]):
            yield walk, rows


async def _batches(
    connector: QuickBooksConnector, parts: Iterator[list[tuple[Walk, int]]], ahead: int
) -> AsyncIterator[Answers]:
    """Each part's answers in order, with up to `ahead` more batches sent before it is handed out;
    leaving early cancels what is in flight."""
    flying: deque[tuple[list[tuple[Walk, int]], asyncio.Task[httpx.Response]]] = deque()

    def send_more() -> None:
        while len(flying) <= ahead and (part := next(parts, None)) is not None:
            pages = [walk.page(start) for walk, start in part]
            flying.append((part, asyncio.ensure_future(batchquery.send(connector, pages))))

    try:
        send_more()
        while flying:
            part, sending = flying.popleft()
            response = await sending
            send_more()
            yield part, batchquery.answers(connector, response, len(part))  # parsed when handed out
    finally:
        for _, pending in flying:
            pending.cancel()
        await asyncio.gather(*(pending for _, pending in flying), return_exceptions=True)
