"""SuiteTalk REST web services: the record API and the SuiteQL endpoint
(netsuite-connector.md §REST record API, §SuiteQL).

Record API under `/services/rest/record/v1`: collection GET (ids and links only, `limit` up to 1000,
`offset`, `links` next/prev/first/last, ordered by internal id), GET one record by internal id or
`eid:<externalId>` (`expandSubResources=true` inlines the sublists; `currency/<id>` gives a
currency's `name`, ISO code `symbol` and `isBaseCurrency`), vendor bill create
(`POST .../vendorBill` -> 204 with the new record's URL in `Location`), upsert by external id
(`PUT .../vendorBill/eid:<id>` -> 204 + Location, creating or replacing) and `PATCH` of bill header
fields. SuiteQL: `POST /services/rest/query/v1/suiteql` with `Prefer: transient` (see `suiteql.py`).
Errors use the `o:errorDetails` envelope. Filtering collections with `q` is not simulated (the
connector reads incrementally through SuiteQL, as netsuite-connector.md §REST record API advises).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response

from erpsim.core.jsonutil import SimJSONResponse, loads
from erpsim.netsuite import bills, shapes
from erpsim.netsuite.errors import NetSuiteError, invalid_parameter, not_found
from erpsim.netsuite.store import Record
from erpsim.netsuite.suiteql import run as run_suiteql

if TYPE_CHECKING:
    from erpsim.netsuite.simulator import NetSuiteSim

RECORD_ROOT = "/services/rest/record/v1"
SUITEQL_PATH = "/services/rest/query/v1/suiteql"
# REST record type names (case-insensitive on the wire) -> the store's record types.
REST_TYPES = {
    name.lower(): name
    for name in ("vendor", "purchaseOrder", "vendorBill", "vendorPayment", "account", "currency")
}
MAX_LIMIT = 1000


def _record_type(raw: str) -> str:
    record_type = REST_TYPES.get(raw.lower())
    if record_type is None:
        raise NetSuiteError(
            "INVALID_RCRD_TYPE",
            f"Record type '{raw}' does not exist or is not supported by REST web services.",
            status=404,
        )
    return record_type


def _paging(request: Request, default: int) -> tuple[int, int]:
    values = []
    for name, fallback, high in (("limit", default, MAX_LIMIT), ("offset", 0, 10**9)):
        raw = request.query_params.get(name)
        if raw is None:
            values.append(fallback)
            continue
        if not raw.isdigit() or not (1 if name == "limit" else 0) <= int(raw) <= high:
            raise invalid_parameter(
                f"Invalid value for the query parameter '{name}': {raw}.", rest=True, path=name
            )
        values.append(int(raw))
    return values[0], values[1]


def page_links(base: str, offset: int, limit: int, total: int) -> list[Record]:
    """`self`, `first`, `prev`, `next`, `last` links of one page (netsuite-connector.md §REST record API)."""

    def href(at: int) -> str:
        joiner = "&" if "?" in base else "?"
        return f"{base}{joiner}limit={limit}&offset={at}"

    links = [{"rel": "self", "href": href(offset)}, {"rel": "first", "href": href(0)}]
    if offset > 0:
        links.append({"rel": "prev", "href": href(max(0, offset - limit))})
    if offset + limit < total:
        links.append({"rel": "next", "href": href(offset + limit)})
    last = max(0, ((total - 1) // limit) * limit) if total else 0
    links.append({"rel": "last", "href": href(last)})
    return links


class RestHandlers:
    """Request handling for the REST record API and SuiteQL of one simulator."""

    def __init__(self, sim: NetSuiteSim) -> None:
        self.sim = sim

    def base_url(self, request: Request) -> str:
        return str(request.base_url).rstrip("/")

    async def _auth(self, request: Request) -> bytes:
        body = await request.body()
        self.sim.authenticate(request, body, rest=True)
        return body

    async def collection(self, request: Request) -> Response:
        try:
            await self._auth(request)
            record_type = _record_type(request.path_params["record_type"])
            if request.method == "POST":
                return await self._create(request, record_type)
            limit, offset = _paging(request, MAX_LIMIT)
            ids = sorted(self.sim.store.records[record_type], key=int)
            page = ids[offset : offset + limit]
            base = f"{self.base_url(request)}{RECORD_ROOT}/{request.path_params['record_type']}"
            items = [
                {"links": shapes.self_link(self.base_url(request), record_type, i), "id": i} for i in page
            ]
            return SimJSONResponse(
                {
                    "links": page_links(base, offset, limit, len(ids)),
                    "count": len(page),
                    "hasMore": offset + len(page) < len(ids),
                    "items": items,
                    "offset": offset,
                    "totalResults": len(ids),
                }
            )
        except NetSuiteError as error:
            return error.rest_response()

    async def one(self, request: Request) -> Response:
        try:
            body = await self._auth(request)
            record_type = _record_type(request.path_params["record_type"])
            key = request.path_params["key"]
            if request.method == "PUT":
                return self._upsert(request, record_type, key, body)
            record = self._find(record_type, key)
            if request.method == "PATCH":
                return self._patch(request, record_type, record, body)
            if request.method != "GET":
                raise NetSuiteError(
                    "METHOD_NOT_ALLOWED", f"{request.method} is not supported here.", status=405
                )
            expand = request.query_params.get("expandSubResources", "").lower() == "true"
            return SimJSONResponse(
                shapes.rest_record(self.sim.store, self.base_url(request), record_type, record, expand)
            )
        except NetSuiteError as error:
            return error.rest_response()

    def _find(self, record_type: str, key: str) -> Record:
        store = self.sim.store
        record = (
            store.by_external_id(record_type, key[4:])
            if key.startswith("eid:")
            else store.get(record_type, key)
            if key.isdigit()
            else None
        )
        if record is None:
            raise not_found(True)
        return record

    def _json(self, request: Request, body: bytes) -> Any:
        if not request.headers.get("content-type", "").startswith("application/json"):
            raise NetSuiteError(
                "INVALID_CONTENT_TYPE", "The request content type must be application/json.", status=415
            )
        try:
            return loads(body)
        except ValueError:
            raise NetSuiteError("INVALID_JSON", "The request body is not valid JSON.") from None

    def _location(self, request: Request, record_type: str, internal_id: str) -> Response:
        # netsuite-connector.md §REST record API: success is 204 No Content, the record's URL in Location.
        url = f"{self.base_url(request)}{RECORD_ROOT}/{record_type}/{internal_id}"
        return Response(status_code=204, headers={"Location": url})

    def _writable(self, record_type: str) -> None:
        if record_type != "vendorBill":
            raise NetSuiteError(
                "METHOD_NOT_ALLOWED", f"Writing {record_type} records is not simulated.", status=405
            )

    async def _create(self, request: Request, record_type: str) -> Response:
        self._writable(record_type)
        payload = self._json(request, await request.body())
        store = self.sim.store
        bill = bills.validate_bill(store, payload)
        if store.by_external_id("vendorBill", bill["externalId"]) is not None:
            raise NetSuiteError(
                "DUP_RCRD",
                "This record already exists: a record with the same "
                f"external ID {bill['externalId']} exists.",
                path="externalId",
            )
        created = bills.create_bill(store, bill)
        self.sim.stats.incr("bills_created")
        return self._location(request, record_type, created["id"])

    def _upsert(self, request: Request, record_type: str, key: str, body: bytes) -> Response:
        self._writable(record_type)
        if not key.startswith("eid:") or len(key) <= 4:
            raise NetSuiteError(
                "METHOD_NOT_ALLOWED", "PUT (upsert) needs an external id: .../eid:<id>.", status=405
            )
        store = self.sim.store
        bill = bills.validate_bill(store, self._json(request, body), external_id=key[4:])
        existing = store.by_external_id("vendorBill", key[4:])
        if existing is None:
            saved = bills.create_bill(store, bill)
            self.sim.stats.incr("bills_created")
        else:
            saved = bills.replace_bill(store, existing, bill)
            self.sim.stats.incr("bills_upserted")
        return self._location(request, record_type, saved["id"])

    def _patch(self, request: Request, record_type: str, record: Record, body: bytes) -> Response:
        self._writable(record_type)
        payload = self._json(request, body)
        if not isinstance(payload, dict):
            raise NetSuiteError("INVALID_FIELD_VALUE", "The request body must be a JSON object.")
        for field in ("memo", "tranId"):
            if field in payload:
                record[field] = payload[field]
        self.sim.store.touch(record)
        return self._location(request, record_type, record["id"])

    async def suiteql(self, request: Request) -> Response:
        try:
            body = await self._auth(request)
            if "transient" not in request.headers.get("prefer", "").lower():
                # netsuite-connector.md §SuiteQL: SuiteQL over REST needs `Prefer: transient`.
                raise invalid_parameter(
                    "The request header 'Prefer' must be 'transient' for SuiteQL queries.",
                    rest=True,
                    path="Prefer",
                )
            limit, offset = _paging(request, MAX_LIMIT)
            payload = self._json(request, body)
            query = payload.get("q") if isinstance(payload, dict) else None
            if not isinstance(query, str) or not query.strip():
                raise invalid_parameter(
                    'The request body must be {"q": "<SuiteQL query>"}.', rest=True, path="q"
                )
            rows = run_suiteql(self.sim.store, query)
            page = rows[offset : offset + limit]
            base = f"{self.base_url(request)}{SUITEQL_PATH}"
            return SimJSONResponse(
                {
                    "links": page_links(base, offset, limit, len(rows)),
                    "count": len(page),
                    "hasMore": offset + len(page) < len(rows),
                    "offset": offset,
                    "totalResults": len(rows),
                    "items": [{"links": [], **row} for row in page],
                }
            )
        except NetSuiteError as error:
            return error.rest_response()
