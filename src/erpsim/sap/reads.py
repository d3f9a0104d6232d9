"""Reading entity sets the Service Layer way: query options, server-driven paging, single entities.

`read_collection` applies `$filter`, `$orderby` (default: by key), `$skip`, `$top`, `$select` and
`$inlinecount=allpages` (v1) / `$count=true` (v2), then pages the result: the page size is the
`Prefer: odata.maxpagesize=N` header (echoed in `Preference-Applied`; 0 disables paging), else the
`B1S-PageSize` header, else 20 (sap.md §Paging). A truncated page carries a next link that repeats the
request's options with `$skip` moved on (and `$top` reduced): on v1 a server-relative path
`/b1s/v1/Set?…`, as in the manual's example; on v2 the bare relative form `Set?…` (which forms real
servers send is UNCERTAIN, sap.md §Paging, so clients must resolve both). `$count` as a path segment
returns the plain number.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from erpsim.core.jsonutil import SimJSONResponse
from erpsim.sap.envelope import annotation, metadata_url
from erpsim.sap.odata import (
    ODataError,
    parse_filter,
    parse_non_negative,
    parse_orderby,
    parse_select,
    sort_entities,
)
from erpsim.sap.schema import INT, EntitySet

DEFAULT_PAGE_SIZE = 20
_KNOWN = {"$filter", "$select", "$orderby", "$top", "$skip", "$inlinecount", "$count", "$expand"}
_PREFER = re.compile(r"odata\.maxpagesize\s*=\s*(\d+)")


def base_url(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def _case_insensitive(request: Request) -> bool:
    return request.headers.get("b1s-caseinsensitive", "").lower() == "true"


def filtered(request: Request, entity: EntitySet, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    params = request.query_params
    unknown = [k for k in params if k.startswith("$") and k not in _KNOWN]
    if unknown:
        raise ODataError(f"Unsupported system query option '{unknown[0]}'")
    if "$filter" in params:
        predicate = parse_filter(params["$filter"], entity, case_insensitive=_case_insensitive(request))
        items = [item for item in items if predicate(item)]
    order = parse_orderby(params["$orderby"], entity) if "$orderby" in params else [(entity.key, False)]
    return sort_entities(items, order)


def project(item: dict[str, Any], fields: list[str] | None) -> dict[str, Any]:
    return dict(item) if fields is None else {name: item.get(name) for name in fields}


def page_size(request: Request) -> tuple[int, dict[str, str]]:
    """(page size, extra response headers); 0 means no paging."""
    match = _PREFER.search(request.headers.get("prefer", ""))
    if match:
        size = int(match.group(1))
        return size, {"Preference-Applied": f"odata.maxpagesize={size}"}
    header = request.headers.get("b1s-pagesize")
    if header is not None:
        return parse_non_negative(header, "B1S-PageSize"), {}
    return DEFAULT_PAGE_SIZE, {}


def _next_link(request: Request, version: str, set_name: str, skip: int, top: int | None) -> str:
    pairs = [(k, v) for k, v in request.query_params.multi_items() if k not in ("$skip", "$top")]
    if top is not None:
        pairs.append(("$top", str(top)))
    pairs.append(("$skip", str(skip)))
    query = "&".join(f"{k}={quote(v, safe=chr(39) + '(),:$')}" for k, v in pairs)
    prefix = f"/b1s/{version}/" if version == "v1" else ""
    return f"{prefix}{set_name}?{query}"


def read_collection(
    request: Request, version: str, entity: EntitySet, items: list[dict[str, Any]]
) -> Response:
    params = request.query_params
    rows = filtered(request, entity, items)
    total = len(rows)
    skip = parse_non_negative(params["$skip"], "$skip") if "$skip" in params else 0
    top = parse_non_negative(params["$top"], "$top") if "$top" in params else None
    fields = parse_select(params["$select"], entity) if "$select" in params else None
    window = rows[skip:] if top is None else rows[skip : skip + top]
    size, headers = page_size(request)
    page = window if size == 0 else window[:size]
    body: dict[str, Any] = {
        annotation(version, "metadata"): metadata_url(base_url(request), version, entity.name)
    }
    wants_count = (
        params.get("$inlinecount") == "allpages" if version == "v1" else params.get("$count") == "true"
    )
    if wants_count:
        body[annotation(version, "count")] = str(total) if version == "v1" else total
    body["value"] = [project(item, fields) for item in page]
    if len(page) < len(window):
        left = None if top is None else top - len(page)
        body[annotation(version, "nextLink")] = _next_link(
            request, version, entity.name, skip + len(page), left
        )
    return SimJSONResponse(body, headers=headers)


def count_collection(request: Request, entity: EntitySet, items: list[dict[str, Any]]) -> Response:
    return PlainTextResponse(str(len(filtered(request, entity, items))))


def parse_key(raw: str, entity: EntitySet) -> Any:
    """`123` for integer keys, `'V10000'` (quoted, '' escapes a quote) for string keys."""
    text = raw.strip()
    if entity.key_kind == INT:
        if not re.fullmatch(r"-?\d+", text):
            raise ODataError(f"Invalid key value '{raw}' for '{entity.name}'")
        return int(text)
    if len(text) < 2 or text[0] != "'" or text[-1] != "'":
        raise ODataError(f"Invalid key value '{raw}' for '{entity.name}'")
    return text[1:-1].replace("''", "'")


def entity_response(
    request: Request,
    version: str,
    entity: EntitySet,
    item: dict[str, Any],
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    suffix = "/@Element" if version == "v1" else "/$entity"
    fields = (
        parse_select(request.query_params["$select"], entity) if "$select" in request.query_params else None
    )
    body = {
        annotation(version, "metadata"): metadata_url(base_url(request), version, entity.name + suffix),
        **project(item, fields),
    }
    return SimJSONResponse(body, status_code=status_code, headers=headers)
