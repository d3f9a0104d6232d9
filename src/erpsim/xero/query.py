"""Reading Xero collections: If-Modified-Since, `where`, `order`, the optimised list filters and paging.

`run_query` applies, in Xero's order (xero.md §Endpoints, §Paging, §Where and order, §Change detection):
`If-Modified-Since` on `UpdatedDateUTC` (compared at millisecond precision, as Xero renders it), the
endpoint's own filters, `where` (when the endpoint has it: PurchaseOrders does not), `order`, then `page`
(1-based) / `pageSize` (default 100; the maximum is 1,000 per secondary sources, xero.md §Paging, so larger
values are capped). A request without `page` gets every record and no `pagination` block. Bad input raises
`QueryError` with the message Xero would put in its QueryParseException body.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from starlette.requests import Request

from erpsim.xero.dates import parse_if_modified_since
from erpsim.xero.store import Record
from erpsim.xero.where import WhereError, apply_order, compile_where

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000


class QueryError(ValueError):
    """A query Xero refuses (bad where/order/page/If-Modified-Since)."""


@dataclass(frozen=True)
class Page:
    items: list[Record]
    pagination: dict[str, int] | None


def csv_param(request: Request, name: str) -> list[str] | None:
    raw = request.query_params.get(name)
    if raw is None:
        return None
    return [part.strip().strip('"') for part in raw.split(",") if part.strip()]


def bool_param(request: Request, name: str) -> bool:
    return request.query_params.get(name, "").strip().lower() == "true"


def _int_param(request: Request, name: str) -> int | None:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return None
    try:
        value = int(raw)
    except ValueError:
        raise QueryError(f"The value '{raw}' is not valid for {name}.") from None
    if value < 1:
        raise QueryError(f"{name} must be greater than zero.")
    return value


def _millis(value: datetime) -> int:
    return math.floor(value.timestamp() * 1000)


_SURELY_LATER = timedelta(milliseconds=2)


def modified_since(rows: list[Record], since: datetime) -> list[Record]:
    """The records whose UpdatedDateUTC is in a later millisecond than `since` (xero.md §Change
    detection). Timestamps are compared as datetimes first (no float arithmetic per record): one before
    `since` is never later, one 2 ms or more after it always is (the float rounding of `_millis` is far
    below 1 ms); only those in between, and naive or non-datetime values, take the millisecond test."""
    since_ms, surely = _millis(since), since + _SURELY_LATER
    kept = []
    for record in rows:
        updated = record.get("UpdatedDateUTC")
        if not updated:
            continue
        if type(updated) is datetime and updated.tzinfo is not None:
            if updated >= surely:
                kept.append(record)
                continue
            if updated < since:
                continue
        if _millis(updated) > since_ms:
            kept.append(record)
    return kept


def run_query(
    request: Request,
    records: Iterable[Record],
    entity: str,
    fields: Collection[str],
    *,
    where: bool = True,
    paged: bool = True,
    filters: Iterable[Callable[[Record], bool]] = (),
) -> Page:
    rows = list(records)
    ims = request.headers.get("if-modified-since")
    if ims:
        since = parse_if_modified_since(ims)
        if since is None:
            raise QueryError(f"The If-Modified-Since value '{ims}' is not a valid date.")
        rows = modified_since(rows, since)
    for keep in filters:
        rows = [r for r in rows if keep(r)]
    try:
        if where and request.query_params.get("where"):
            predicate = compile_where(request.query_params["where"], fields, entity)
            rows = [r for r in rows if predicate(r)]
        if request.query_params.get("order"):
            rows = apply_order(rows, request.query_params["order"], fields, entity)
    except WhereError as exc:
        raise QueryError(str(exc)) from None
    page = _int_param(request, "page") if paged else None
    size = _int_param(request, "pageSize") if paged else None
    if page is None and size is None:
        return Page(rows, None)
    page = page or 1
    size = min(size or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
    start = (page - 1) * size
    pagination = {
        "page": page,
        "pageSize": size,
        "pageCount": math.ceil(len(rows) / size),
        "itemCount": len(rows),
    }
    return Page(rows[start : start + size], pagination)
