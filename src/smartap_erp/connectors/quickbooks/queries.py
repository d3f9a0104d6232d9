"""QuickBooks query statements (quickbooks.md §Query language) and how their pages are read.

Statements only use what the query language has: `=`, `>=`, `IN`, `AND` (no OR), `ORDERBY`,
`STARTPOSITION`/`MAXRESULTS` (at most 1000). Pages are ordered by `Id`, which a record keeps when it
is edited, so an edit during the walk never shifts a record past the page boundary (ordering by
LastUpdatedTime would). Pages go through the shared paging loop (`http.paginate.iter_pages`, with its
repeat guard and page cap) with the `QueryStartPosition` strategy of `start_positions`: the total
known from `SELECT COUNT(*)`, pages are fetched several at a time, up to the realm's concurrency
limit, and still yielded in order, so a large import approaches the rate-limit bound while memory
holds only the pages in flight. `query_response` reads a single answer and `rows_of` a page's
records: a `QueryResponse` object whose entity keys hold lists; anything else is an `ERPProtocolError`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import httpx

from smartap_erp.connectors.quickbooks.payloads import format_qbo_datetime
from smartap_erp.domain.enums import ERPSystem
from smartap_erp.http.call import json_body, unexpected_answer
from smartap_erp.http.paginate import QueryStartPosition

PAGE_SIZE = 1000  # MAXRESULTS cap (quickbooks.md §Query language)
PARALLEL_PAGES = 8  # below the 10 concurrent requests per realm+app (quickbooks.md §Rate limits)


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
    """The `QueryResponse` object of a query answer (quickbooks.md §Query language), with `keys` required in
    it (e.g. `totalCount` of a COUNT). An empty result has no entity key; an entity key that is present
    (capitalised: `Vendor`, `Bill`) must hold a list."""
    body = json_body(response, ERPSystem.QUICKBOOKS, keys={"QueryResponse": dict})
    return checked_response(body["QueryResponse"], response, keys)


def checked_response(
    inner: Any, response: httpx.Response, keys: Mapping[str, type] | None = None
) -> dict[str, Any]:
    """`inner` if it is a well-formed `QueryResponse` object (of a plain answer or of a `/batch` item)
    holding `keys`, else an `ERPProtocolError` naming `response`."""
    if not isinstance(inner, dict):
        raise unexpected_answer(response, ERPSystem.QUICKBOOKS, "no QueryResponse object")
    for key, shape in (keys or {}).items():
        if not isinstance(inner.get(key), shape):
            raise unexpected_answer(response, ERPSystem.QUICKBOOKS, f"no {key!r} in QueryResponse")
    for key, value in inner.items():
        if key[:1].isupper() and not isinstance(value, list):
            raise unexpected_answer(response, ERPSystem.QUICKBOOKS, f"QueryResponse.{key} is not a list")
    return inner


def rows_of(entity: str) -> Callable[[Any], list[Any]]:
    """The records of a query page for the paging loop: `QueryResponse.<entity>`, a list, absent
    when the page is empty (quickbooks.md §Query language); a body without a `QueryResponse` object is
    refused."""

    def rows(body: Any) -> list[Any]:
        inner = body["QueryResponse"]
        if not isinstance(inner, dict):
            raise TypeError("QueryResponse is not an object")
        found: list[Any] = inner.get(entity, [])
        return found  # the loop refuses anything but a list

    return rows


def start_positions(total: int, start: int = 1) -> QueryStartPosition:
    """The paging strategy of a query whose `SELECT COUNT(*)` gave `total`, from STARTPOSITION `start`:
    pages of `PAGE_SIZE`, `PARALLEL_PAGES` in flight up to `total`, then one at a time while pages come
    back full."""
    return QueryStartPosition(size=PAGE_SIZE, param="query", total=total, width=PARALLEL_PAGES, start=start)
