"""Pagination strategies (pure) and the one paging loop with its guards."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx
import pytest

from smartap_erp.domain.enums import ERPSystem
from smartap_erp.errors import ERPProtocolError, PaginationError
from smartap_erp.http import (
    Call,
    LinkRel,
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


def test_link_rel_next() -> None:
    body = {
        "links": [
            {"rel": "self", "href": "https://a.test/x?offset=0"},
            {"rel": "next", "href": "https://a.test/x?offset=1000"},
        ]
    }
    call = Call.get("https://a.test/x")
    following = LinkRel().next(page(call, [{}], body=body, url="https://a.test/x?offset=0"))
    assert following is not None and following.url == "https://a.test/x?offset=1000"
    assert LinkRel().next(page(call, [{}], body={"links": [{"rel": "self", "href": "x"}]})) is None
    assert LinkRel().next(page(call, [{}], body={})) is None


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
