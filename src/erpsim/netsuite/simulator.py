"""`NetSuiteSim`: one simulated NetSuite account behind RESTlets and SuiteTalk REST web services.

Plugs the NetSuite pieces into the erpsim core: seeded data (`seed.py`), TBA verification on every
request (`auth.py`), the RESTlet endpoint (`restlet.py`), the REST record API and SuiteQL
(`rest.py`), and the account concurrency governance shared by both (netsuite-connector.md §Concurrency): one
`ConcurrencyLimit` per account (default 5, the Standard tier; `concurrency_limit=` or the
`set_concurrency_limit` mutate op for 15/20/+10 per SuiteCloud Plus), answered per mode (RESTlet 400
`SSS_REQUEST_LIMIT_EXCEEDED`, REST 429). There is no hourly unit quota: usage units are per script
execution (erp-facts.md §Seed corrections). Mutate ops change the account as a person in NetSuite would: pay a
bill (fully or partly), edit or deactivate vendors, add purchase orders, cancel a bill.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from erpsim.core.faults import FaultKind
from erpsim.core.limits import ConcurrencyLimit, Limiter, LimitRule, Rejection
from erpsim.core.seeding import SeededData
from erpsim.core.simulator import MutateError, MutateOp, SimConfig, Simulator
from erpsim.netsuite import batch, periods, seed
from erpsim.netsuite.auth import AuthFailure, Credential, TbaVerifier
from erpsim.netsuite.deletions import deletion_ops
from erpsim.netsuite.edits import edit_bill_total, total_param
from erpsim.netsuite.errors import NetSuiteError, concurrency_exceeded, login_failed
from erpsim.netsuite.rest import RECORD_ROOT, SUITEQL_PATH, RestHandlers
from erpsim.netsuite.restlet import RESTLET_PATH, RestletHandlers
from erpsim.netsuite.store import NetSuiteStore, Record

DEFAULT_CONCURRENCY = 5  # Standard / legacy Shared tier (netsuite-connector.md §Concurrency)
COUNTED = ("vendor", "purchaseOrder", "vendorBill", "vendorPayment", "account", "taxCode")


def credentials(config: SimConfig) -> dict[str, str]:
    """The connection credentials the simulator accepts: a pure function of the seed
    (netsuite-connector.md §Token-based authentication)."""
    data = SeededData(f"netsuite-credentials-{config.seed}")
    hexdigits = "0123456789abcdef"
    return {
        # a sandbox account, realm form (netsuite-connector.md §Hosts and realm)
        "account_id": f"{data.digits(7)}_SB1",
        "consumer_key": data.token(64, hexdigits),
        "consumer_secret": data.token(64, hexdigits),
        "token_id": data.token(64, hexdigits),
        "token_secret": data.token(64, hexdigits),
    }


def is_rest(request: Request) -> bool:
    return request.url.path.startswith("/services/rest/")


class NetSuiteSim(Simulator):
    system = "netsuite"

    def __init__(self, config: SimConfig, *, concurrency_limit: int = DEFAULT_CONCURRENCY) -> None:
        if concurrency_limit < 1:
            raise ValueError("concurrency_limit must be >= 1")
        self.concurrency_limit = concurrency_limit
        self.restlet_usage_limit = batch.USAGE_LIMIT  # units of one RESTlet execution (batch.py)
        self.creds = credentials(config)
        self.account_id = self.creds["account_id"]
        super().__init__(config)
        self.restlets = RestletHandlers(self)
        self.rest = RestHandlers(self)

    # ---- data -------------------------------------------------------------------------------
    def seed_state(self) -> None:
        self.store = NetSuiteStore(self.clock)
        seed.seed_account(
            self.store,
            SeededData(f"netsuite-{self.config.seed}"),
            vendors=self.config.count("vendors", 300),
            purchase_orders=self.config.count("purchase_orders", 300),
            bills=self.config.count("bills", 100),
        )
        self.mutation_data = SeededData(f"netsuite-mutate-{self.config.seed}")
        creds = self.creds
        self.verifier = TbaVerifier(
            self.account_id,
            Credential(
                creds["consumer_key"], creds["consumer_secret"], creds["token_id"], creds["token_secret"]
            ),
            self.clock,
        )

    def entity_counts(self) -> dict[str, int]:
        return {name: self.store.count(name) for name in COUNTED}

    def credentials(self) -> dict[str, str]:
        return dict(self.creds)

    def authenticate(self, request: Request, body: bytes, *, rest: bool) -> None:
        try:
            self.verifier.verify(request, body)
        except AuthFailure:
            raise login_failed(rest) from None

    # ---- routes -----------------------------------------------------------------------------
    def routes(self) -> list[BaseRoute]:
        restlet_methods = ["GET", "POST", "PUT", "DELETE"]
        return [
            Route(RESTLET_PATH, self.restlets.endpoint, methods=restlet_methods),
            Route(SUITEQL_PATH, self.rest.suiteql, methods=["POST"]),
            Route(RECORD_ROOT + "/{record_type}", self.rest.collection, methods=["GET", "POST"]),
            Route(
                RECORD_ROOT + "/{record_type}/{key}", self.rest.one, methods=["GET", "PUT", "PATCH", "DELETE"]
            ),
        ]

    # ---- limits, faults, credentials --------------------------------------------------------
    def tenant_key(self, request: Request) -> str | None:
        return self.account_id

    def limit_rules(self) -> Sequence[LimitRule]:
        # One account-wide gate for RESTlets and REST together (netsuite-connector.md §Concurrency).
        return [ConcurrencyLimit("account_concurrency", self.concurrency_limit, lambda r: self.account_id)]

    def limit_response(self, request: Request, rejection: Rejection) -> Response:
        error = concurrency_exceeded(is_rest(request))
        return error.rest_response() if is_rest(request) else error.restlet_response()

    def fault_response(self, request: Request, kind: FaultKind) -> Response:
        if kind is FaultKind.THROTTLE:
            return self.limit_response(
                request, Rejection("injected", "concurrency", self.account_id, self.concurrency_limit, None)
            )
        status = 504 if kind is FaultKind.TIMEOUT else 500
        error = NetSuiteError(
            "UNEXPECTED_ERROR",
            f"An unexpected error occurred. Error ID: sim{self.mutation_data.digits(8)}",
            status=status,
        )
        return error.rest_response() if is_rest(request) else error.restlet_response()

    def expire_credentials(self) -> None:
        # TBA tokens do not expire by time (erp-facts.md §Token store); the closest real event is a revoked
        # token (or a sandbox refresh, netsuite-connector.md §Roles and sandboxes): every request fails until
        # /_sim/reset.
        self.verifier.credential.revoked = True

    def extra_state(self) -> dict[str, Any]:
        return {
            "account_id": self.account_id,
            "concurrency_limit": self.concurrency_limit,
            "restlet_usage_limit": self.restlet_usage_limit,
            "login_audit_trail": dict(self.verifier.audit),
        }

    # ---- mutate ops -------------------------------------------------------------------------
    def mutate_ops(self) -> Mapping[str, MutateOp]:
        return {
            "pay_bill": self._pay_bill,
            "edit_vendors": self._edit_vendors,
            "deactivate_vendor": self._deactivate_vendor,
            "add_purchase_orders": self._add_pos,
            "cancel_bill": self._cancel_bill,
            "edit_bill_total": lambda p: edit_bill_total(self.store, self._bill(p), total_param(p)),
            "set_concurrency_limit": self._set_limit,
            "set_restlet_usage_limit": self._set_usage_limit,
            **deletion_ops(self.store, self._bill),  # delete_vendor / _purchase_order / _bill
            **periods.mutate_ops(self.store),  # set_lock_date (accounting periods)
        }

    def _bill(self, params: dict[str, Any]) -> Record:
        store = self.store
        if params.get("external_id"):
            bill = store.by_external_id("vendorBill", str(params["external_id"]))
        else:
            bill = store.get("vendorBill", str(params.get("bill_id", "")))
        if bill is None:
            raise MutateError("pay_bill/cancel_bill need an existing bill_id or external_id")
        return bill

    def _pay_bill(self, params: dict[str, Any]) -> dict[str, Any]:
        """{"bill_id" | "external_id", "amount"?}: a vendor payment (default: all that remains)."""
        bill = self._bill(params)
        if bill["statusRef"] != "open":
            raise MutateError(f"bill {bill['id']} is {bill['statusRef']}, not open")
        remaining = self.store.amount_remaining(bill)
        try:
            amount = Decimal(str(params["amount"])) if "amount" in params else remaining
        except InvalidOperation:
            raise MutateError("amount must be a number") from None
        if not Decimal(0) < amount <= remaining:
            raise MutateError(f"amount must be > 0 and <= the amount remaining {remaining}")
        payment = seed.pay_bill(self.store, bill, amount)
        return {
            "payment_id": payment["id"],
            "bill_id": bill["id"],
            "status": bill["statusRef"],
            "amount_remaining": str(self.store.amount_remaining(bill)),
        }

    def _cancel_bill(self, params: dict[str, Any]) -> dict[str, Any]:
        bill = self._bill(params)
        bill["statusRef"] = "cancelled"
        self.store.touch(bill)
        return {"bill_id": bill["id"], "status": "cancelled"}

    def _edit_vendors(self, params: dict[str, Any]) -> dict[str, Any]:
        """{"count": N} or {"ids": [...]}: change phone and e-mail, bumping lastModifiedDate."""
        vendors = self._pick_vendors(params)
        for vendor in vendors:
            vendor["phone"] = self.mutation_data.phone()
            vendor["email"] = self.mutation_data.email(vendor["companyName"], local="billing")
            self.store.touch(vendor)
        return {"edited": [v["id"] for v in vendors]}

    def _deactivate_vendor(self, params: dict[str, Any]) -> dict[str, Any]:
        vendors = self._pick_vendors(
            {"ids": [params["id"]]} if "id" in params else {"count": 1}, active_only=True
        )
        vendors[0]["isInactive"] = True
        self.store.touch(vendors[0])
        return {"deactivated": vendors[0]["id"]}

    def _pick_vendors(self, params: dict[str, Any], *, active_only: bool = False) -> list[Record]:
        store = self.store
        if "ids" in params:
            found = [store.get("vendor", str(i)) for i in params["ids"]]
            if any(v is None for v in found):
                raise MutateError("unknown vendor id in ids")
            return [v for v in found if v is not None]
        candidates = [v for v in store.ordered("vendor") if not (active_only and v["isInactive"])]
        count = int(params.get("count", 1))
        if count < 1 or count > len(candidates):
            raise MutateError(f"count must be between 1 and {len(candidates)}")
        return candidates[:count]

    def _add_pos(self, params: dict[str, Any]) -> dict[str, Any]:
        vendor_ids = [v["id"] for v in self.store.records["vendor"].values() if not v["isInactive"]]
        if not vendor_ids:
            raise MutateError("no active vendor to order from")
        vendor_id = str(params.get("vendor_id") or self.mutation_data.choice(vendor_ids))
        created = [
            seed.new_purchase_order(self.store, self.mutation_data, vendor_id)["id"]
            for _ in range(int(params.get("count", 1)))
        ]
        return {"created": created}

    def _set_usage_limit(self, params: dict[str, Any]) -> dict[str, Any]:
        """{"units": N}: the usage units one RESTlet execution has (5,000 in NetSuite; lower to test the
        batch POST's early stop)."""
        units = params.get("units")
        if not isinstance(units, int) or units < 1:
            raise MutateError("units must be a whole number >= 1")
        self.restlet_usage_limit = units
        return {"restlet_usage_limit": units}

    def _set_limit(self, params: dict[str, Any]) -> dict[str, Any]:
        """{"limit": N}: the account's concurrency limit (5/15/20, +10 per SuiteCloud Plus)."""
        limit = params.get("limit")
        if not isinstance(limit, int) or limit < 1:
            raise MutateError("limit must be a whole number >= 1")
        self.concurrency_limit = limit
        if self.config.limits == "real":
            self.limiter = Limiter(self.limit_rules(), self.clock)
        return {"concurrency_limit": limit}
