"""Pagination: small frozen strategies and the one paging loop that owns the guards.

A strategy answers one question: given the page just read (the call, its absolute URL, the parsed body
and its records), what is the next call, or None? `PageNumber` (Xero `page`/`pageSize`, xero.md §Paging),
`QueryStartPosition` (QuickBooks `STARTPOSITION n MAXRESULTS m` inside the query text, 1-based,
quickbooks.md §Query language), `OffsetLimit` (NetSuite `offset`/`limit` + `hasMore`,
netsuite-connector.md §REST record API, §SuiteQL), and `NextLink` (SAP `odata.nextLink` / `@odata.nextLink`,
sap.md §Paging). A strategy that can also name calls before their answers is `ReadAhead` (`QueryStartPosition`
given the `total` of a COUNT: QuickBooks, quickbooks.md §Rate limits): the loop then keeps `width` calls in
flight and still checks and yields the pages in order. Every ERP pages through `iter_pages`, an async iterator
holding one page in memory at a time (plus those in flight); bodies are read with `json_body` (decimals as
`Decimal`), and the records of a page must be a JSON list (`records` is a function of the body, or the name of
the body's key holding the list): an empty, non- JSON or differently shaped page is an `ERPProtocolError`
naming the ERP and the URL, never an empty import. It stops on an empty page and raises `PaginationError` on a
repeated request, a page identical to the one before (an ERP ignoring the paging parameter) or more than
`max_pages` pages; leaving the loop early cancels the calls in flight.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Any, Protocol, runtime_checkable
from urllib.parse import urljoin

import httpx

from smartap_erp.domain.enums import ERPSystem
from smartap_erp.errors import PaginationError
from smartap_erp.http.call import Call, json_body, unexpected_answer
from smartap_erp.http.redact import redact_url

DEFAULT_MAX_PAGES = 10_000


@dataclass(frozen=True, slots=True)
class Page:
    """One page as read: its 1-based number, the call made, the absolute URL, body and records."""

    number: int
    call: Call
    url: str
    body: Any
    records: list[Any]


class Paginator(Protocol):
    def first(self, call: Call) -> Call: ...

    def next(self, page: Page) -> Call | None: ...


@runtime_checkable
class ReadAhead(Protocol):
    """A strategy that knows calls before their answers (QuickBooks, once a COUNT gave the total):
    `ahead(call)` is the call after `call`, or None when only the page itself can tell (`next`).
    The loop keeps up to `width` of these calls in flight."""

    @property
    def width(self) -> int: ...

    def ahead(self, call: Call) -> Call | None: ...


@dataclass(frozen=True, slots=True)
class SinglePage:
    """The whole collection in one response (Xero Accounts and TaxRates, xero.md §Paging)."""

    def first(self, call: Call) -> Call:
        return call

    def next(self, page: Page) -> Call | None:
        return None


@dataclass(frozen=True, slots=True)
class PageNumber:
    """`?page=1,2,3…&pageSize=N`; a page shorter than `size` is the last one."""

    size: int = 100
    page_param: str = "page"
    size_param: str | None = "pageSize"
    start: int = 1

    def first(self, call: Call) -> Call:
        params: dict[str, object] = {self.page_param: self.start}
        if self.size_param:
            params[self.size_param] = self.size
        return call.with_params(params)

    def next(self, page: Page) -> Call | None:
        if len(page.records) < self.size:
            return None
        current = int(page.call.param(self.page_param) or self.start)
        return page.call.with_params({self.page_param: current + 1})


_START = re.compile(r"\s+STARTPOSITION\s+\d+", re.IGNORECASE)
_MAX = re.compile(r"\s+MAXRESULTS\s+\d+", re.IGNORECASE)
_START_VALUE = re.compile(r"STARTPOSITION\s+(\d+)", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class QueryStartPosition:
    """A start position inside a query statement: `… STARTPOSITION 1 MAXRESULTS 1000` (1-based).

    The statement travels in query parameter `param` (GET) or as the text body (POST
    `application/text`); QuickBooks accepts both (quickbooks.md §Hosts and URLs). Fewer rows than `size` ends
    the walk. With `total` known (a `SELECT COUNT(*)` first), it reads ahead: every page that starts at or
    before `total` is planned before its answer, `width` of them in flight; past `total`, pages are read one
    after another while they come back full (records added since the count).
    """

    size: int = 1000
    param: str = "query"
    total: int | None = None
    width: int = 1
    start: int = 1  # the first page's position (a read that began elsewhere goes on from here)

    def first(self, call: Call) -> Call:
        return self._with_start(call, self.start)

    def next(self, page: Page) -> Call | None:
        if len(page.records) < self.size:
            return None
        return self._with_start(page.call, self._start(page.call) + self.size)

    def ahead(self, call: Call) -> Call | None:
        following = self._start(call) + self.size
        if self.total is None or following > self.total:
            return None
        return self._with_start(call, following)

    def _start(self, call: Call) -> int:
        match = _START_VALUE.search(self._statement(call))
        return int(match.group(1)) if match else 1

    def _statement(self, call: Call) -> str:
        in_param = call.param(self.param)
        if in_param is not None:
            return in_param
        if isinstance(call.content, str):
            return call.content
        raise ValueError(f"QueryStartPosition: no query statement in parameter {self.param!r} or body")

    def _with_start(self, call: Call, start: int) -> Call:
        bare = _MAX.sub("", _START.sub("", self._statement(call))).rstrip()
        statement = f"{bare} STARTPOSITION {start} MAXRESULTS {self.size}"
        if call.param(self.param) is not None:
            return call.with_params({self.param: statement})
        return replace(call, content=statement)


@dataclass(frozen=True, slots=True)
class OffsetLimit:
    """`?offset=&limit=` with a boolean `hasMore` in the body (NetSuite REST and SuiteQL)."""

    limit: int = 1000
    offset_param: str = "offset"
    limit_param: str = "limit"
    has_more_key: str = "hasMore"

    def first(self, call: Call) -> Call:
        return call.with_params({self.offset_param: 0, self.limit_param: self.limit})

    def next(self, page: Page) -> Call | None:
        body = page.body if isinstance(page.body, dict) else {}
        more = body.get(self.has_more_key)
        if more is None:  # no flag: a short page is the last one
            more = len(page.records) >= self.limit
        if not more:
            return None
        offset = int(page.call.param(self.offset_param) or 0)
        return page.call.with_params({self.offset_param: offset + self.limit})


def _follow(page: Page, link: object) -> Call | None:
    """A GET of `link` resolved against the URL just read (absolute, server-relative or bare)."""
    if not isinstance(link, str) or not link:
        return None
    return Call("GET", urljoin(page.url, link), headers=page.call.headers)


@dataclass(frozen=True, slots=True)
class NextLink:
    """Follow the link in the body: OData v3 `odata.nextLink` or v4 `@odata.nextLink` (SAP,
    sap.md §Paging)."""

    keys: tuple[str, ...] = ("odata.nextLink", "@odata.nextLink")

    def first(self, call: Call) -> Call:
        return call

    def next(self, page: Page) -> Call | None:
        body = page.body if isinstance(page.body, dict) else {}
        return _follow(page, next((body[k] for k in self.keys if body.get(k)), None))


Send = Callable[[Call], Awaitable[httpx.Response]]
Records = Callable[[Any], list[Any]] | str


async def iter_pages(
    send: Send,
    call: Call,
    paginator: Paginator,
    records: Records,
    *,
    erp: ERPSystem,
    max_pages: int = DEFAULT_MAX_PAGES,
) -> AsyncIterator[Page]:
    """The one paging loop. `send` sends a call and raises on an error status; `records` pulls the
    list of records out of a parsed body (or names the body's key that holds it). A `ReadAhead`
    strategy has up to `width` calls in flight; pages are still checked and yielded in order."""
    ahead = paginator if isinstance(paginator, ReadAhead) else None
    width = max(1, ahead.width) if ahead is not None else 1
    guard = _Guard(erp)
    in_flight: deque[tuple[Call, asyncio.Task[httpx.Response]]] = deque()
    planned: Call | None = paginator.first(call)  # the next call to send
    number = 0
    try:
        while True:
            while planned is not None and len(in_flight) < width and number + len(in_flight) < max_pages:
                guard.new_call(planned)
                in_flight.append((planned, asyncio.ensure_future(send(planned))))
                planned = ahead.ahead(planned) if ahead is not None else None
            if not in_flight:
                if planned is not None:
                    raise _loop_error(f"gave up after {max_pages} pages (max_pages)", planned, erp)
                return
            current, sending = in_flight.popleft()
            response = await sending
            number += 1
            url = str(response.request.url)
            guard.sent(response.request, current, url)
            body = json_body(response, erp, shape=(dict, list))
            rows = _records(records, body, response, erp)
            guard.new_rows(rows, number, current, url)
            page = Page(number, current, url, body, rows)
            yield page
            if not rows:
                return  # an empty page ends the read, whatever link or count it carries
            if not in_flight and planned is None:
                planned = paginator.next(page)
    finally:
        for _, pending in in_flight:
            pending.cancel()
        await asyncio.gather(*(pending for _, pending in in_flight), return_exceptions=True)


class _Guard:
    """The loop's guards: no call sent twice (by the strategy's key, then by the URL and body really
    sent: a relative and an absolute link can name the same page), no page identical to the one
    before (an ERP ignoring the paging parameter)."""

    def __init__(self, erp: ERPSystem) -> None:
        self.erp = erp
        self.seen: set[str] = set()
        self.previous: list[Any] = []

    def new_call(self, call: Call) -> None:
        if call.key() in self.seen:
            raise _loop_error("the paginator asked for a page it already read", call, self.erp)
        self.seen.add(call.key())

    def sent(self, request: httpx.Request, call: Call, url: str) -> None:
        key = _sent_key(request)
        if key in self.seen:
            raise _loop_error("the paginator asked for a page it already read", call, self.erp, url)
        self.seen.add(key)

    def new_rows(self, rows: list[Any], number: int, call: Call, url: str) -> None:
        if _same_rows(rows, self.previous):
            raise _loop_error(f"page {number} repeats page {number - 1}", call, self.erp, url)
        self.previous = rows


def _sent_key(request: httpx.Request) -> str:
    return f"{request.method} {request.url} {hashlib.sha256(request.content).hexdigest()}"


def _records(records: Records, body: Any, response: httpx.Response, erp: ERPSystem) -> list[Any]:
    """The page's records, which must be a JSON list."""
    if isinstance(records, str):
        rows = body.get(records) if isinstance(body, dict) else None
        problem = f"no {records!r} list in the page"
    else:
        try:
            rows = records(body)
        except (KeyError, TypeError, AttributeError, IndexError) as exc:
            rows = None
            problem = (
                f"no {exc.args[0]!r} in the page"
                if isinstance(exc, KeyError)
                else str(exc) or type(exc).__name__
            )
        else:
            problem = f"records that are {type(rows).__name__}, not a list"
    if not isinstance(rows, list):
        raise unexpected_answer(response, erp, problem)
    return rows


def _same_rows(rows: list[Any], previous: list[Any]) -> bool:
    """Whether a non-empty page repeats the one before as JSON text (keys sorted, a `Decimal` by its
    text), without writing either page out in the usual case (issue 17: that was a quarter of an import's
    CPU). Two rows unequal by `==` can only be the same text when a value is not equal to itself (NaN)
    or is a string beside a `Decimal` of that text, so such a pair is compared as text; the first pair
    different both ways (a new page's first row) settles it. Rows equal by `==` may still be written
    differently (1 and 1.0, true and 1, 1.0 and 1.00), so a page found equal is confirmed as text."""
    if not rows or len(rows) != len(previous):
        return False
    if any(new != old and _text(new) != _text(old) for new, old in zip(rows, previous, strict=True)):
        return False
    return _text(rows) == _text(previous)


def _text(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def _loop_error(what: str, call: Call, erp: ERPSystem, url: str | None = None) -> PaginationError:
    where = url or call.url
    params = "&".join(f"{k}={v}" for k, v in call.params)
    shown = redact_url(f"{where}?{params}" if params and "?" not in where else where)
    return PaginationError(what, erp=erp, url=shown, method=call.method)
