"""The QBO Accounting API routes under `/v3/company/{realmId}/` (quickbooks.md §Hosts and URLs,
§Query language, §Updates and SyncToken, §Request ids, §Batch requests, §Change data capture).

    GET  query?query=...            POST query (Content-Type: application/text, statement as body)
    GET  {entity}/{Id}              read one (`companyinfo/{realmId}` too)
    POST {entity}                   create, or update when the body has Id + SyncToken (sparse or full);
                                    `?operation=delete` / `?operation=void` where the entity supports it
    POST batch                      up to 30 BatchItemRequest items, per-item results, HTTP 200
    GET  cdc?entities=..&changedSince=..   changed and deleted records, 30-day window

Every call needs `Authorization: Bearer <access token>` for this realm (401 / 403 otherwise).
`minorversion` is accepted on every call: below 75 it is ignored and 75 is used, which is also the
default (quickbooks.md §Minor version); nothing in this simulator depends on the minor version. Writes honour
`requestid` (<= 50 characters): a repeated id replays the first response byte for byte
(quickbooks.md §Request ids).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from erpsim.core.jsonutil import SimJSONResponse, loads
from erpsim.quickbooks import faults as f
from erpsim.quickbooks import query as q
from erpsim.quickbooks.batch import run_batch
from erpsim.quickbooks.cdc import run_cdc
from erpsim.quickbooks.store import PATH_ENTITIES
from erpsim.quickbooks.writes import write_entity

if TYPE_CHECKING:
    from erpsim.quickbooks.sim import QuickBooksSim

DEFAULT_MINOR_VERSION = 75
PREFIX = "/v3/company/{realmId}"
Handler = Callable[["QuickBooksSim", Request], Awaitable[Response]]


def minor_version(request: Request) -> int:
    """The minor version in effect: values below 75 (or unparsable) mean 75 (quickbooks.md §Minor version)."""
    try:
        return max(DEFAULT_MINOR_VERSION, int(request.query_params.get("minorversion", "")))
    except ValueError:
        return DEFAULT_MINOR_VERSION


def routes(sim: QuickBooksSim) -> list[Route]:
    def bind(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            denied = sim.authenticate(request)
            if denied is not None:
                return denied
            minor_version(request)
            try:
                return await handler(sim, request)
            except f.QboFault as fault:
                return f.fault_response(fault, sim.store.response_time())

        return endpoint

    return [
        Route(f"{PREFIX}/query", bind(query_endpoint), methods=["GET", "POST"]),
        Route(f"{PREFIX}/batch", bind(batch_endpoint), methods=["POST"]),
        Route(f"{PREFIX}/cdc", bind(cdc_endpoint), methods=["GET"]),
        Route(f"{PREFIX}/{{entity}}/{{ident}}", bind(read_endpoint), methods=["GET"]),
        Route(f"{PREFIX}/{{entity}}", bind(write_endpoint), methods=["POST"]),
    ]


def ok(sim: QuickBooksSim, payload: dict[str, Any]) -> Response:
    return SimJSONResponse({**payload, "time": sim.store.response_time()})


async def query_endpoint(sim: QuickBooksSim, request: Request) -> Response:
    if request.method == "POST":
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type not in ("application/text", "text/plain"):
            raise f.request_error("query POST body must be sent as Content-Type: application/text")
        statement = (await request.body()).decode("utf-8", "replace")
    else:
        statement = request.query_params.get("query", "")
    return ok(sim, {"QueryResponse": q.run(sim.store, q.parse(statement))})


async def read_endpoint(sim: QuickBooksSim, request: Request) -> Response:
    entity = PATH_ENTITIES.get(request.path_params["entity"])
    ident = request.path_params["ident"]
    if entity == "CompanyInfo" and ident == sim.realm_id:  # read as companyinfo/{realmId}
        ident = "1"
    if entity is None:
        raise f.unsupported_operation(f"read of {request.path_params['entity']}")
    record = sim.store.get(entity, ident)
    if record is None:
        raise f.object_not_found(entity, ident)
    return ok(sim, {entity: record})


async def _json_body(request: Request) -> Any:
    raw = await request.body()
    try:
        return loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise f.request_error("the request body is not valid JSON") from None


def _request_id(request: Request, limit: int) -> str | None:
    request_id = request.query_params.get("requestid")
    if request_id is not None and len(request_id) > limit:
        # Text of the real 6000 fault for a long request id (Java SDK issue #180).
        raise f.business_validation(
            f"You cannot enter more than {limit} characters in the request_id field. "
            f"You tried entering {request_id[:10]}..., which is {len(request_id)} "
            f"characters."
        )
    return request_id


async def _replayable(
    sim: QuickBooksSim, request: Request, limit: int, produce: Callable[[], Awaitable[Response]]
) -> Response:
    """Run a write once per `requestid`; a repeat gets the first response again
    (quickbooks.md §Request ids)."""
    request_id = _request_id(request, limit)
    if request_id is not None and request_id in sim.store.replays:
        status, body = sim.store.replays[request_id]
        sim.stats.incr("requestid_replays")
        return Response(body, status_code=status, media_type="application/json")
    try:
        response = await produce()
    except f.QboFault as fault:
        response = f.fault_response(fault, sim.store.response_time())
    if request_id is not None:
        sim.store.replays[request_id] = (response.status_code, bytes(response.body))
    return response


async def write_endpoint(sim: QuickBooksSim, request: Request) -> Response:
    entity = PATH_ENTITIES.get(request.path_params["entity"])
    if entity is None:
        raise f.unsupported_operation(f"write of {request.path_params['entity']}")
    operation = request.query_params.get("operation")
    allow_duplicate = "allowduplicatedocnum" in request.query_params.get("include", "").lower().split(",")

    async def produce() -> Response:
        body = await _json_body(request)
        if not isinstance(body, dict):
            raise f.request_error("the request body must be a JSON object")
        record = write_entity(sim.store, entity, operation, body, allow_duplicate=allow_duplicate)
        return ok(sim, {entity: record})

    return await _replayable(sim, request, 50, produce)


async def batch_endpoint(sim: QuickBooksSim, request: Request) -> Response:
    allow_duplicate = "allowduplicatedocnum" in request.query_params.get("include", "").lower().split(",")
    has_request_id = request.query_params.get("requestid") is not None

    async def produce() -> Response:
        body = await _json_body(request)
        items = run_batch(sim.store, body, allow_duplicate=allow_duplicate, has_request_id=has_request_id)
        return ok(sim, {"BatchItemResponse": items})

    return await _replayable(sim, request, 36, produce)


async def cdc_endpoint(sim: QuickBooksSim, request: Request) -> Response:
    params = request.query_params
    return ok(sim, {"CDCResponse": [run_cdc(sim.store, params.get("entities"), params.get("changedSince"))]})
