"""QuickBooks query statements (facts §1.3) and the parallel page reader.

Statements only use what the query language has: `=`, `>=`, `IN`, `AND` (no OR), `ORDERBY`,
`STARTPOSITION`/`MAXRESULTS` (at most 1000). Pages are ordered by `Id`, which a record keeps when it
is edited, so an edit during the walk never shifts a record past the page boundary (ordering by
LastUpdatedTime would). When the total is known from `SELECT COUNT(*)`, pages are fetched several at a
time, up to the realm's concurrency limit, and still yielded in order, so a large import approaches
the rate-limit bound while memory holds only the pages in flight. `query_response` reads an answer:
a `QueryResponse` object whose entity keys hold lists; anything else is an `ERPProtocolError`.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator, Callable, Coroutine, Mapping, Sequence
from typing import Any

import httpx

from smartap_erp.connectors.quickbooks.payloads import format_qbo_datetime
from smartap_erp.domain.enums import ERPSystem
from smartap_erp.errors import PaginationError
from smartap_erp.http.call import json_body, unexpected_answer

PAGE_SIZE = 1000  # MAXRESULTS cap (facts §1.3)
PARALLEL_PAGES = 8  # below the 10 concurrent requests per realm+app (facts §1.12)

FetchPage = Callable[[str], Coroutine[Any, Any, list[dict[str, Any]]]]


def quote(value: str) -> str:
    """A string literal for the query language: single quotes, backslash-escaped."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def select(entity: str, conditions: Sequence[str] = (), *, count: bool = False) -> str:
    head = f"SELECT {'COUNT(*)' if count else '*'} FROM {entity}"  # noqa: S608 - QBO query, values quoted
    where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
    return head + where + ("" if count else " ORDERBY Id")


# Queries return only active name-list records unless the WHERE mentions Active; deactivations are
# changes we must see (standard QBO behaviour, as the simulator models it).
ACTIVE_AND_INACTIVE = "Active IN (true, false)"


def changed_since(since: dt.datetime | None) -> list[str]:
    return [] if since is None else [f"MetaData.LastUpdatedTime >= {quote(format_qbo_datetime(since))}"]


def query_response(response: httpx.Response, keys: Mapping[str, type] | None = None) -> dict[str, Any]:
    """The `QueryResponse` object of a query answer (facts §1.3), with `keys` required in it (e.g.
    `totalCount` of a COUNT). An empty result has no entity key; an entity key that is present
    (capitalised: `Vendor`, `Bill`) must hold a list."""
    inner: dict[str, Any] = json_body(response, ERPSystem.QUICKBOOKS, keys={"QueryResponse": dict})[
        "QueryResponse"
    ]
    for key, shape in (keys or {}).items():
        if not isinstance(inner.get(key), shape):
            raise unexpected_answer(response, ERPSystem.QUICKBOOKS, f"no {key!r} in QueryResponse")
    for key, value in inner.items():
        if key[:1].isupper() and not isinstance(value, list):
            raise unexpected_answer(response, ERPSystem.QUICKBOOKS, f"QueryResponse.{key} is not a list")
    return inner


def paged(statement: str, start: int, size: int = PAGE_SIZE) -> str:
    return f"{statement} STARTPOSITION {start} MAXRESULTS {size}"


async def read_pages(
    fetch: FetchPage, statement: str, total: int, *, width: int = PARALLEL_PAGES
) -> AsyncIterator[list[dict[str, Any]]]:
    """Every page of `statement`, in order, `width` requests in flight; keeps reading past `total`
    while pages come back full (records added since the count), and refuses a repeated page."""
    in_flight: list[asyncio.Task[list[dict[str, Any]]]] = []
    next_start, last_len, last_ids = 1, PAGE_SIZE, None
    try:
        for start in range(1, total + 1, PAGE_SIZE):
            in_flight.append(asyncio.create_task(fetch(paged(statement, start))))
            next_start = start + PAGE_SIZE
            while len(in_flight) >= width or (in_flight and next_start > total):
                rows = await in_flight.pop(0)
                last_len, last_ids = len(rows), _check_new(rows, last_ids)
                yield rows
        while last_len == PAGE_SIZE:
            rows = await fetch(paged(statement, next_start))
            next_start += PAGE_SIZE
            last_len, last_ids = len(rows), _check_new(rows, last_ids)
            if rows:
                yield rows
    finally:
        for task in in_flight:
            task.cancel()


def _check_new(rows: list[dict[str, Any]], previous: tuple[Any, Any] | None) -> tuple[Any, Any] | None:
    ids = (rows[0].get("Id"), rows[-1].get("Id")) if rows else None
    if ids is not None and ids == previous:
        raise PaginationError("QuickBooks returned the same page twice", erp=ERPSystem.QUICKBOOKS)
    return ids
