"""The five SmartAP RESTlets as NetSuite runs them: `/app/site/hosting/restlet.nl?script=&deploy=`.

Implements the contract of the shipped scripts (netsuite/restlets/, docs/netsuite.md): GET by `id`
(bills also by `externalId`), GET lists with `since` / `offset` / `limit` (default 500, max 1000;
purchase orders also `status`), ordered by lastModifiedDate then id, answered as `{"items", "offset",
"limit", "count", "hasMore", "totalResults"}`; POST a vendor bill idempotently by `externalId`, or
`{"bills": [...]}`, up to 100 bills answered one by one within the 5,000-unit budget (batch.py).
Scripts are addressed by their string ids (`customscript_smartap_vendor` / `customdeploy_...`) or
by the numeric ids NetSuite assigns (`script=501&deploy=1`). A script error is HTTP 400
`{"error": {"code", "message"}}` (netsuite-connector.md §RESTlets); an unknown script is
`SSS_INVALID_SCRIPTLET_ID`; a method the script has no entry point for is refused. Authentication happens
before dispatch.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response

from erpsim.core.jsonutil import SimJSONResponse, loads
from erpsim.netsuite import batch, bills, shapes
from erpsim.netsuite.errors import NetSuiteError, invalid_parameter, not_found
from erpsim.netsuite.store import PO_STATUS_TEXT, Record

if TYPE_CHECKING:
    from erpsim.netsuite.simulator import NetSuiteSim

RESTLET_PATH = "/app/site/hosting/restlet.nl"
# record type -> (script id, deployment id, numeric script id); deployment numeric id is always 1.
SCRIPTS = {
    "vendor": ("customscript_smartap_vendor", "customdeploy_smartap_vendor", "501"),
    "purchaseOrder": ("customscript_smartap_po", "customdeploy_smartap_po", "502"),
    "vendorBill": ("customscript_smartap_bill", "customdeploy_smartap_bill", "503"),
    "account": ("customscript_smartap_account", "customdeploy_smartap_account", "504"),
    "taxCode": ("customscript_smartap_taxcode", "customdeploy_smartap_taxcode", "505"),
}
DEFAULT_LIMIT, MAX_LIMIT = 500, 1000


def script_for(script: str | None, deploy: str | None) -> str:
    """The record type a (script, deploy) pair is deployed for, or SSS_INVALID_SCRIPTLET_ID."""
    for record_type, (script_id, deploy_id, number) in SCRIPTS.items():
        if script in (script_id, number) and deploy in (deploy_id, "1"):
            return record_type
    raise NetSuiteError(
        "SSS_INVALID_SCRIPTLET_ID", "That Suitelet is invalid, disabled, or no longer exists."
    )


def _int_param(params: dict[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    if not raw.strip().isdigit() or not low <= int(raw) <= high:
        raise invalid_parameter(f'{name} must be an integer from {low} to {high}; got "{raw}"')
    return int(raw)


def _since(raw: str | None) -> datetime | None:
    if not raw:
        return None
    try:
        when = datetime.fromisoformat(raw.strip().replace("Z", "+00:00"))
    except ValueError:
        when = None
    if when is None or when.tzinfo is None:
        raise invalid_parameter(
            f'since must be an ISO-8601 UTC timestamp such as 2024-05-01T00:00:00Z; got "{raw}"'
        )
    # The shipped scripts filter with a minute-precision date/time string (N/format), so `since`
    # is honoured to the minute: never fewer records, up to 59 s more.
    return when.astimezone(UTC).replace(second=0, microsecond=0)


def _id(raw: str, name: str = "id") -> str:
    if not raw.isdigit():
        raise invalid_parameter(f'{name} must be a NetSuite internal id (digits); got "{raw}"')
    return raw


class RestletHandlers:
    """Request handling for the RESTlet endpoint of one simulator."""

    def __init__(self, sim: NetSuiteSim) -> None:
        self.sim = sim
        # Read `sim.store` at call time: /_sim/reset replaces the store.
        self.render: dict[str, Callable[[Record], Record]] = {
            "vendor": lambda r: shapes.restlet_vendor(self.sim.store, r),
            "purchaseOrder": lambda r: shapes.restlet_purchase_order(self.sim.store, r),
            "vendorBill": lambda r: shapes.restlet_bill(self.sim.store, r),
            "account": lambda r: shapes.restlet_account(self.sim.store, r),
            "taxCode": shapes.restlet_tax_code,
        }

    async def endpoint(self, request: Request) -> Response:
        try:
            body = await request.body()
            self.sim.authenticate(request, body, rest=False)
            record_type = script_for(request.query_params.get("script"), request.query_params.get("deploy"))
            self.sim.stats.incr(f"restlet_{record_type}_{request.method.lower()}")
            if request.method == "GET":
                return SimJSONResponse(self.get(record_type, dict(request.query_params)))
            if request.method == "POST" and record_type == "vendorBill":
                return SimJSONResponse(self.post_bill(request, body))
            # No entry point for this method in the deployed script (netsuite-connector.md §RESTlets).
            raise NetSuiteError(
                "SSS_INVALID_HTTP_METHOD",
                f"The script does not implement the {request.method} entry point.",
                status=405,
            )
        except NetSuiteError as error:
            return error.restlet_response()

    def get(self, record_type: str, params: dict[str, str]) -> Record:
        if params.get("id"):
            if record_type == "vendorBill" and params.get("externalId"):
                raise invalid_parameter("use either id or externalId, not both")
            record = self.sim.store.get(record_type, _id(params["id"]))
            if record is None:
                raise not_found(False, f"{record_type} {params['id']}")
            return self.render[record_type](record)
        if record_type == "vendorBill" and params.get("externalId"):
            bill = self.sim.store.by_external_id("vendorBill", params["externalId"])
            if bill is None:
                raise not_found(False, f"vendorBill with externalId {params['externalId']}")
            return self.render[record_type](bill)
        return self.list(record_type, params)

    def list(self, record_type: str, params: dict[str, str]) -> Record:
        since = _since(params.get("since"))
        offset = _int_param(params, "offset", 0, 0, 10**9)
        limit = _int_param(params, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT)
        records = self.sim.store.ordered(record_type)
        if since is not None and record_type != "taxCode":
            records = [r for r in records if r["lastModifiedDate"] >= since]
        if record_type == "purchaseOrder" and params.get("status"):
            wanted = self._statuses(params["status"])
            records = [r for r in records if PO_STATUS_TEXT[r["status"]] in wanted]
        page = records[offset : offset + limit]
        return {
            "items": [self.render[record_type](r) for r in page],
            "offset": offset,
            "limit": limit,
            "count": len(page),
            "hasMore": offset + len(page) < len(records),
            "totalResults": len(records),
        }

    @staticmethod
    def _statuses(raw: str) -> set[str]:
        wanted = {s.strip().lower() for s in raw.split(",") if s.strip()}
        allowed = {"open", "closed", "draft", "cancelled"}
        if not wanted or not wanted <= allowed:
            raise invalid_parameter(
                f'status must be a comma-separated list of {", ".join(sorted(allowed))}; got "{raw}"'
            )
        return wanted

    def post_bill(self, request: Request, body: bytes) -> Record:
        payload: Any = body.decode("utf-8", "replace")
        if request.headers.get("content-type", "").split(";")[0].strip() == "application/json":
            try:
                payload = loads(body)
            except ValueError:
                raise NetSuiteError("INVALID_FIELD_VALUE", "the request body is not valid JSON") from None
        store = self.sim.store
        if batch.is_batch(payload):
            answer, units = batch.post_batch(store, payload, self.sim.restlet_usage_limit)
            created = sum(result["status"] == "created" for result in answer["results"])
            self.sim.stats.incr("bills_created", created)
            self.sim.stats.incr("restlet_bill_batches")
            self.sim.stats.incr("restlet_batch_units", units.used)
            return answer
        external_id = payload.get("externalId") if isinstance(payload, dict) else None
        if isinstance(external_id, str) and external_id:
            existing = store.by_external_id("vendorBill", external_id)
            if existing is not None:  # idempotent by externalId: create nothing
                return self._created(existing, created=False)
        bill = bills.create_bill(store, bills.validate_bill(store, payload))
        self.sim.stats.incr("bills_created")
        return self._created(bill, created=True)

    def _created(self, bill: Record, *, created: bool) -> Record:
        return {
            "id": bill["id"],
            "tranId": bill["tranId"],
            "externalId": bill["externalId"],
            "created": created,
            "bill": self.render["vendorBill"](bill),
        }
