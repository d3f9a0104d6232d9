"""Pagination strategies (pure) and the one paging loop with its guards."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

import httpx
import pytest

from smartap_erp.domain.enums import ERPSystem
from smartap_erp.errors import ERPProtocolError, PaginationError
from smartap_erp.http import (
    Call,
    NextLink,
    OffsetLimit,
    Page,
    PageNumber,
    QueryStartPosition,
    SinglePage,
    build_client,
    iter_pages,
)


def page(
    call: Call, records: list[Any], body: Any = None, url: str = "https://h.test/b1s/v1/Orders?$top=5"
) -> Page:
    return Page(number=1, call=call, url=url, body=body if body is not None else {}, records=records)


# ---- strategies ----------------------------------------------------------------------------------


def test_page_number() -> None:
    strategy = PageNumber(size=2)
    first = strategy.first(Call.get("Invoices", {"where": 'Type=="ACCPAY"'}))
    assert first.params == (("where", 'Type=="ACCPAY"'), ("page", "1"), ("pageSize", "2"))
    second = strategy.next(page(first, [1, 2]))
    assert second is not None and second.param("page") == "2" and second.param("pageSize") == "2"
    assert strategy.next(page(second, [3])) is None
    assert PageNumber(size=100, size_param=None).first(Call.get("Contacts")).params == (("page", "1"),)


def test_query_start_position_rewrites_the_statement() -> None:
    strategy = QueryStartPosition(size=1000)
    first = strategy.first(
        Call.get("query", {"query": "SELECT * FROM Vendor WHERE Active = true ORDERBY Id"})
    )
    assert (
        first.param("query")
        == "SELECT * FROM Vendor WHERE Active = true ORDERBY Id STARTPOSITION 1 MAXRESULTS 1000"
    )
    second = strategy.next(page(first, [{}] * 1000))
    assert second is not None
    assert (
        second.param("query")
        == "SELECT * FROM Vendor WHERE Active = true ORDERBY Id STARTPOSITION 1001 MAXRESULTS 1000"
    )
    third = strategy.next(page(second, [{}] * 1000))
    assert third is not None
    assert str(third.param("query")).endswith("STARTPOSITION 2001 MAXRESULTS 1000")
    assert strategy.next(page(third, [{}] * 999)) is None


def test_query_start_position_replaces_existing_clauses_and_works_in_a_text_body() -> None:
    strategy = QueryStartPosition(size=10)
    call = Call("POST", "query", content="select * from Bill startposition 5 maxresults 50")
    first = strategy.first(call)
    assert first.content == "select * from Bill STARTPOSITION 1 MAXRESULTS 10"
    nxt = strategy.next(page(first, [{}] * 10))
    assert nxt is not None and nxt.content == "select * from Bill STARTPOSITION 11 MAXRESULTS 10"


def test_offset_limit_follows_has_more() -> None:
    strategy = OffsetLimit(limit=1000)
    first = strategy.first(Call.get("services/rest/record/v1/vendor"))
    assert (first.param("offset"), first.param("limit")) == ("0", "1000")
    second = strategy.next(page(first, [{}] * 1000, body={"hasMore": True, "offset": 0}))
    assert second is not None and second.param("offset") == "1000"
    assert strategy.next(page(second, [{}] * 1000, body={"hasMore": False})) is None
    # no flag in the body: a full page means more
    assert strategy.next(page(first, [{}] * 1000, body={"items": []})) is not None
    assert strategy.next(page(first, [{}] * 3, body={"items": []})) is None


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"odata.nextLink": "/b1s/v1/Orders?$skip=20"}, "https://h.test/b1s/v1/Orders?$skip=20"),
        ({"@odata.nextLink": "Orders?$skip=20"}, "https://h.test/b1s/v1/Orders?$skip=20"),
        (
            {"odata.nextLink": "https://other.test/b1s/v1/Orders?$skip=40"},
            "https://other.test/b1s/v1/Orders?$skip=40",
        ),
        ({"value": []}, None),
        ({"odata.nextLink": ""}, None),
    ],
)
def test_next_link_resolves_absolute_server_relative_and_bare_links(
    body: dict[str, str], expected: str | None
) -> None:
    call = Call.get("Orders", headers={"Prefer": "odata.maxpagesize=100"})
    following = NextLink().next(page(call, [{}], body=body))
    if expected is None:
        assert following is None
    else:
        assert following is not None
        assert (following.method, following.url, following.params) == ("GET", expected, ())
        assert following.headers == (("Prefer", "odata.maxpagesize=100"),)  # page size kept


def test_single_page() -> None:
    call = Call.get("Accounts")
    assert SinglePage().first(call) is call
    assert SinglePage().next(page(call, [{}] * 5000)) is None


# ---- the loop ------------------------------------------------------------------------------------


class Collection:
    """A paged collection behind `?page=&pageSize=`, counting requests."""

    def __init__(self, n: int, ignore_paging: bool = False, endless: bool = False) -> None:
        self.rows = [{"Id": str(i), "Total": "10.10"} for i in range(n)]
        self.ignore_paging = ignore_paging
        self.endless = endless
        self.requests: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(str(request.url))
        number = 1 if self.ignore_paging else int(request.url.params.get("page", "1"))
        size = int(request.url.params.get("pageSize", "100"))
        if self.endless:
            return httpx.Response(200, json={"Items": [{"Id": f"p{number}-{i}"} for i in range(size)]})
        chunk = self.rows[(number - 1) * size : number * size]
        return httpx.Response(200, content=b'{"Items": ' + _raw(chunk) + b"}")


def _raw(rows: list[dict[str, str]]) -> bytes:
    return ("[" + ",".join(f'{{"Id": "{r["Id"]}", "Total": {r["Total"]}}}' for r in rows) + "]").encode()


def sender(client: httpx.AsyncClient) -> Any:
    async def send(call: Call) -> httpx.Response:
        return await client.send(call.build(client))

    return send


def records(body: Any) -> list[Any]:
    return list(body["Items"])


async def test_loop_reads_every_page_lazily_with_decimals() -> None:
    collection = Collection(250)
    async with build_client("https://api.erp.test/", transport=httpx.MockTransport(collection)) as client:
        pages = iter_pages(
            sender(client), Call.get("Items"), PageNumber(size=100), records, erp=ERPSystem.XERO
        )
        first = await anext(pages)
        assert len(collection.requests) == 1  # nothing read ahead: memory stays flat
        rest = [p async for p in pages]
    assert [p.number for p in [first, *rest]] == [1, 2, 3]
    assert [len(p.records) for p in [first, *rest]] == [100, 100, 50]
    assert first.records[0]["Total"] == Decimal("10.10")
    assert first.url == "https://api.erp.test/Items?page=1&pageSize=100"


async def test_loop_stops_with_a_clear_error_on_a_repeated_page() -> None:
    collection = Collection(500, ignore_paging=True)
    async with build_client("https://api.erp.test/", transport=httpx.MockTransport(collection)) as client:
        with pytest.raises(PaginationError) as caught:
            async for _ in iter_pages(
                sender(client), Call.get("Items"), PageNumber(size=100), records, erp=ERPSystem.XERO
            ):
                pass
    assert len(collection.requests) == 2
    assert str(caught.value).startswith("xero: page 2 repeats page 1 (GET https://api.erp.test/Items?page=2")


@pytest.mark.parametrize(
    ("first", "second", "repeated"),
    [
        (b'[{"Id": "1"}, {"Id": "2"}]', b'[{"Id": "1"}, {"Id": "3"}]', False),  # only the last row differs
        (b'[{"Id": "1"}, {"Id": "2"}]', b'[{"Id": "1"}]', False),
        (b'[{"Id": "1", "T": 1}, {"Id": "2"}]', b'[{"T": 1, "Id": "1"}, {"Id": "2"}]', True),  # key order
        (b'[{"Id": "1", "T": NaN}, {"Id": "2"}]', b'[{"Id": "1", "T": NaN}, {"Id": "2"}]', True),
        (b'[{"Id": "1", "T": 1.0}, {"Id": "2"}]', b'[{"Id": "1", "T": 1.00}, {"Id": "2"}]', False),
        (b'[{"Id": "1", "T": 1}, {"Id": "2"}]', b'[{"Id": "1", "T": true}, {"Id": "2"}]', False),
    ],
)
async def test_a_page_repeats_the_one_before_only_when_every_row_reads_the_same(
    first: bytes, second: bytes, repeated: bool
) -> None:
    """Rows equal in Python but written differently (1.0 and 1.00, 1 and true) are a new page; rows
    written alike are a repeat even when Python finds them unequal (NaN)."""
    bodies = {"1": first, "2": second}

    def handler(request: httpx.Request) -> httpx.Response:
        rows = bodies.get(request.url.params["page"], b"[]")
        return httpx.Response(200, content=b'{"Items": ' + rows + b"}")

    async with build_client("https://api.erp.test/", transport=httpx.MockTransport(handler)) as client:
        pages = iter_pages(sender(client), Call.get("Items"), PageNumber(size=2), records, erp=ERPSystem.XERO)
        if repeated:
            with pytest.raises(PaginationError, match=r"^xero: page 2 repeats page 1 "):
                _ = [p async for p in pages]
        else:
            assert len([p async for p in pages]) >= 2


async def test_loop_refuses_a_paginator_that_asks_for_the_same_call_twice() -> None:
    class Stuck:
        def first(self, call: Call) -> Call:
            return call

        def next(self, page: Page) -> Call | None:
            return page.call

    collection = Collection(500)
    async with build_client("https://api.erp.test/", transport=httpx.MockTransport(collection)) as client:
        with pytest.raises(PaginationError, match="asked for a page it already read"):
            async for _ in iter_pages(
                sender(client), Call.get("Items"), Stuck(), records, erp=ERPSystem.QUICKBOOKS
            ):
                pass
    assert len(collection.requests) == 1


async def test_loop_gives_up_after_max_pages() -> None:
    collection = Collection(0, endless=True)
    async with build_client("https://api.erp.test/", transport=httpx.MockTransport(collection)) as client:
        pages = iter_pages(
            sender(client),
            Call.get("Items"),
            PageNumber(size=10),
            records,
            erp=ERPSystem.NETSUITE,
            max_pages=5,
        )
        seen = [await anext(pages) for _ in range(5)]
        with pytest.raises(PaginationError, match=r"gave up after 5 pages \(max_pages\)"):
            await anext(pages)
    assert len(seen) == 5
    assert len(collection.requests) == 5


async def test_loop_stops_on_an_empty_page_even_with_a_next_link() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"value": [], "odata.nextLink": "/b1s/v1/Orders?$skip=20"})

    async with build_client("https://sap.test/b1s/v1/", transport=httpx.MockTransport(handler)) as client:
        pages = [
            p
            async for p in iter_pages(
                sender(client), Call.get("Orders"), NextLink(), lambda b: b["value"], erp=ERPSystem.SAP
            )
        ]
    assert len(pages) == 1


@pytest.mark.parametrize(
    ("answer", "extract", "expected"),
    [
        (httpx.Response(200, text="<html>"), records, "a body that is not JSON (text/plain)"),
        (httpx.Response(200, content=b""), records, "an empty body where JSON was expected"),
        (httpx.Response(200, json={"Other": []}), records, "no 'Items' in the page"),
        (httpx.Response(200, json={"Items": {}}), lambda b: b["Items"], "records that are dict, not a list"),
        (httpx.Response(200, json="ok"), records, "a string where an object or a list was expected"),
        (httpx.Response(200, json={"Items": None}), "Items", "no 'Items' list in the page"),
        (httpx.Response(200, json={"Items": "x"}), "Items", "no 'Items' list in the page"),
    ],
)
async def test_loop_reports_unreadable_pages_as_protocol_errors(
    answer: httpx.Response, extract: Any, expected: str
) -> None:
    """An empty, non-JSON or differently shaped 200 is a protocol error naming the ERP and the URL,
    never a crash inside the records function or an empty page (issue 12 item 10)."""
    async with build_client("https://a.test/", transport=httpx.MockTransport(lambda r: answer)) as client:
        with pytest.raises(ERPProtocolError) as caught:
            async for _ in iter_pages(
                sender(client), Call.get("x"), SinglePage(), extract, erp=ERPSystem.XERO
            ):
                pass
    text = str(caught.value)
    assert f"Xero sent an unexpected answer: {expected}" in text
    assert "HTTP 200 for GET https://a.test/x" in text


async def test_a_records_key_reads_the_list_under_it() -> None:
    answer = httpx.Response(200, json={"Items": [{"id": 1}], "next": None})
    async with build_client("https://a.test/", transport=httpx.MockTransport(lambda r: answer)) as client:
        pages = [
            p
            async for p in iter_pages(sender(client), Call.get("x"), SinglePage(), "Items", erp=ERPSystem.SAP)
        ]
    assert [p.records for p in pages] == [[{"id": 1}]]


# ---- read ahead (QuickBooks after a COUNT) -------------------------------------------------------


def test_query_start_position_with_a_total_plans_the_calls_up_to_it() -> None:
    strategy = QueryStartPosition(size=10, total=25, width=4)
    first = strategy.first(
        Call.get("query", {"query": "SELECT * FROM Vendor ORDERBY Id", "minorversion": "75"})
    )
    second = strategy.ahead(first)
    third = strategy.ahead(second) if second is not None else None
    assert second is not None and str(second.param("query")).endswith("STARTPOSITION 11 MAXRESULTS 10")
    assert third is not None and str(third.param("query")).endswith("STARTPOSITION 21 MAXRESULTS 10")
    assert third.param("minorversion") == "75"
    assert strategy.ahead(third) is None  # 31 is past the total: only a full page 21 can tell
    assert QueryStartPosition(size=10).ahead(first) is None  # no total: one page after another


class QueryCollection:
    """A QuickBooks-like query endpoint: `STARTPOSITION s MAXRESULTS m` in `?query=`, recording how
    many requests were in flight at once."""

    def __init__(self, n: int, ignore_start: bool = False, hold: asyncio.Event | None = None) -> None:
        self.rows = [{"Id": str(i + 1)} for i in range(n)]
        self.ignore_start = ignore_start
        self.hold = hold  # if given, every page but the first waits for it
        self.starts: list[int] = []
        self.in_flight = 0
        self.peak = 0
        self.answered = 0

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        statement = request.url.params["query"]
        start, size = (int(w) for w in statement.split("STARTPOSITION ")[1].split(" MAXRESULTS "))
        self.starts.append(start)
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        try:
            for _ in range(20):  # let the other requests in flight start too (no time passes)
                await asyncio.sleep(0)
            if self.hold is not None and start > 1:
                await self.hold.wait()
        finally:
            self.in_flight -= 1
        first = 0 if self.ignore_start else start - 1
        self.answered += 1
        return httpx.Response(200, json={"QueryResponse": {"Vendor": self.rows[first : first + size]}})


def vendor_rows(body: Any) -> list[Any]:
    return list(body["QueryResponse"].get("Vendor", []))


async def read_query(
    collection: QueryCollection, total: int, *, width: int = 4, max_pages: int = 100
) -> list[Page]:
    async with build_client("https://qbo.test/", transport=httpx.MockTransport(collection)) as client:
        return [
            p
            async for p in iter_pages(
                sender(client),
                Call.get("query", {"query": "SELECT * FROM Vendor ORDERBY Id"}),
                QueryStartPosition(size=10, total=total, width=width),
                vendor_rows,
                erp=ERPSystem.QUICKBOOKS,
                max_pages=max_pages,
            )
        ]


async def test_read_ahead_keeps_width_calls_in_flight_and_yields_pages_in_order() -> None:
    collection = QueryCollection(95)
    pages = await read_query(collection, total=95, width=4)
    assert [p.number for p in pages] == list(range(1, 11))
    assert [r["Id"] for p in pages for r in p.records] == [str(i) for i in range(1, 96)]
    assert collection.peak == 4  # never more than `width`, and really in parallel
    assert sorted(collection.starts) == [1 + 10 * k for k in range(10)]  # one request a page, no more


async def test_read_ahead_reads_on_past_the_count_while_pages_come_back_full() -> None:
    collection = QueryCollection(35)  # 15 added since the count said 20
    pages = await read_query(collection, total=20)
    assert [len(p.records) for p in pages] == [10, 10, 10, 5]
    assert collection.starts == [1, 11, 21, 31]


async def test_a_read_ahead_of_a_full_last_page_ends_on_one_empty_page() -> None:
    collection = QueryCollection(20)
    pages = await read_query(collection, total=20)
    assert [len(p.records) for p in pages] == [10, 10, 0]  # QuickBooks' COUNT + 3 pages for 2,000
    assert collection.starts == [1, 11, 21]


async def test_read_ahead_stops_at_an_empty_page_when_records_went_away_since_the_count() -> None:
    collection = QueryCollection(15)  # the count said 100
    pages = await read_query(collection, total=100, width=4)
    assert [len(p.records) for p in pages] == [10, 5, 0]
    assert collection.answered <= 4 + 1 and collection.in_flight == 0  # the rest cancelled, not read


async def test_read_ahead_refuses_an_erp_that_ignores_the_start_position() -> None:
    collection = QueryCollection(100, ignore_start=True)
    with pytest.raises(PaginationError, match="page 2 repeats page 1"):
        await read_query(collection, total=100)


async def test_read_ahead_gives_up_after_max_pages_having_sent_no_more() -> None:
    collection = QueryCollection(1000)
    with pytest.raises(PaginationError, match=r"gave up after 3 pages \(max_pages\)"):
        await read_query(collection, total=1000, width=8, max_pages=3)
    assert len(collection.starts) == 3


async def test_leaving_a_read_ahead_early_cancels_the_calls_in_flight() -> None:
    collection = QueryCollection(1000, hold=asyncio.Event())  # pages 2-8 never answer
    async with build_client("https://qbo.test/", transport=httpx.MockTransport(collection)) as client:
        pages = iter_pages(
            sender(client),
            Call.get("query", {"query": "SELECT * FROM Vendor ORDERBY Id"}),
            QueryStartPosition(size=10, total=1000, width=8),
            vendor_rows,
            erp=ERPSystem.QUICKBOOKS,
        )
        first = await anext(pages)
        await pages.aclose()
    assert first.number == 1 and len(collection.starts) == 8
    assert collection.in_flight == 0 and collection.answered == 1  # cancelled, not left running
