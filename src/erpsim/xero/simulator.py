"""`XeroSim`: the Xero simulator's state, auth checks, limits, fault envelopes and `/_sim/mutate` ops.

Limits (xero.md §Rate limits): per tenant 60 calls per rolling minute, 5,000 per rolling day and 5 in flight;
10,000 per minute across the app. Every admitted API response carries `X-MinLimit-Remaining`,
`X-DayLimit-Remaining` and `X-AppMinLimit-Remaining` (`/connections` only the app-wide one,
xero.md §Tenancy and OAuth 2.0 [X8]); a refusal is a 429 with `Retry-After` and `X-Rate-Limit-Problem`
(`minute`, `day`, `appminute`, `concurrent`: the last two strings are UNCERTAIN in the facts). Auth
(xero.md §Tenancy and OAuth 2.0): a Bearer access token from the `TokenStore`, then a `xero-tenant-id` naming
a connected tenant (403 otherwise). Mutate ops let a test act as a person in Xero: pay a bill (fully or
partly), void or delete it, change its amount, edit or archive suppliers, add purchase orders.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from erpsim.core.faults import FaultKind
from erpsim.core.limits import ConcurrencyLimit, LimitRule, Permit, RateLimit, Rejection
from erpsim.core.seeding import SeededData
from erpsim.core.simulator import MutateError, MutateOp, SimConfig, Simulator
from erpsim.xero import periods, responses, webhooks
from erpsim.xero.deletions import delete_purchase_order
from erpsim.xero.edits import edit_bill_total
from erpsim.xero.identity import TokenStore
from erpsim.xero.seed import add_contact, add_payment, add_purchase_order, new_guid, seed_orgs
from erpsim.xero.store import Org, Record, money

API_PREFIX = "/api.xro/2.0/"
TENANT_HEADER = "xero-tenant-id"
_HEADER_BY_RULE = {
    "tenant_minute": "X-MinLimit-Remaining",
    "tenant_day": "X-DayLimit-Remaining",
    "app_minute": "X-AppMinLimit-Remaining",
}
_PROBLEM_BY_RULE = {
    "tenant_minute": "minute",
    "tenant_day": "day",
    "app_minute": "appminute",
    "tenant_concurrent": "concurrent",
}


def credentials(config: SimConfig) -> dict[str, str]:
    """The connection credentials of a seed: app client, first tenant and a live token pair."""
    data = SeededData(f"xero-credentials-{config.seed}")
    client_id = data.token(32, "0123456789ABCDEF")
    client_secret = data.token(48)
    access_token = "xat_" + data.token(60)
    refresh_token = "xrt_" + data.token(40)
    tenant_id = new_guid(SeededData(f"xero-{config.seed}"))  # the first draw of the data seed (seed.py)
    return {
        "client_id": client_id,
        "client_secret": client_secret,
        "tenant_id": tenant_id,
        "access_token": access_token,
        "refresh_token": refresh_token,
    }


class XeroSim(Simulator):
    system = "xero"

    def seed_state(self) -> None:
        now = self.clock.now()
        orgs = seed_orgs(
            self.config.seed,
            now,
            self.config.count("vendors", 300),
            self.config.count("purchase_orders", 200),
            self.config.count("bills", 100),
        )
        self.orgs: dict[str, Org] = {org.tenant_id: org for org in orgs}
        self.connections: dict[str, dict[str, Any]] = {}
        auth_event = new_guid(SeededData(f"xero-connections-{self.config.seed}"))
        for number, org in enumerate(orgs):
            connection_id = new_guid(SeededData(f"xero-connection-{self.config.seed}-{number}"))
            self.connections[connection_id] = {
                "id": connection_id,
                "authEventId": auth_event,
                "tenantId": org.tenant_id,
                "tenantType": "ORGANISATION",
                "tenantName": org.name,
                "createdDateUtc": org.created.replace(tzinfo=None).isoformat(timespec="microseconds"),
                "updatedDateUtc": org.created.replace(tzinfo=None).isoformat(timespec="microseconds"),
            }
        creds = credentials(self.config)
        self.data = SeededData(f"xero-runtime-{self.config.seed}")
        self.tokens = TokenStore(self.clock, creds["client_id"], creds["client_secret"], self.data)
        self.tokens.install(creds["access_token"], creds["refresh_token"])
        self.idempotency: dict[str, tuple[str, float, int, bytes]] = {}

    def routes(self) -> list[BaseRoute]:
        from erpsim.xero.api import api_routes
        from erpsim.xero.connect import identity_routes

        return [*identity_routes(self), *webhooks.routes(self, api_routes(self))]  # writes may notify

    def entity_counts(self) -> dict[str, int]:
        totals: dict[str, int] = {}
        for org in self.orgs.values():
            for name, count in org.counts().items():
                totals[name] = totals.get(name, 0) + count
        return totals

    def credentials(self) -> dict[str, str]:
        return credentials(self.config)

    # ---- auth -----------------------------------------------------------------------------------
    def request_id(self) -> str:
        return new_guid(self.data)

    def connected_tenants(self) -> set[str]:
        return {conn["tenantId"] for conn in self.connections.values()}

    def authenticate(self, request: Request) -> Response | None:
        """401 unless the request carries a live Bearer access token."""
        header = request.headers.get("authorization", "")
        token = header[7:].strip() if header.lower().startswith("bearer ") else ""
        if token and self.tokens.access_valid(token):
            return None
        if token in self.tokens.access:
            expired = self.clock.now().strftime("%m/%d/%Y %H:%M:%S")
            return responses.unauthorized(self.request_id(), f"TokenExpired: token expired at {expired}")
        return responses.unauthorized(self.request_id())

    def org_for(self, request: Request) -> Org | Response:
        """The tenant's organisation, or the 401/403 Xero answers instead (xero.md §Tenancy and OAuth 2.0,
        §Simulator notes)."""
        denied = self.authenticate(request)
        if denied is not None:
            return denied
        tenant = request.headers.get(TENANT_HEADER, "").strip().lower()
        if tenant not in self.connected_tenants():
            return responses.forbidden(self.request_id())
        return self.orgs[tenant]

    # ---- limits, faults ---------------------------------------------------------------------------
    def tenant_key(self, request: Request) -> str | None:
        if not request.url.path.startswith(API_PREFIX):
            return None
        tenant = request.headers.get(TENANT_HEADER, "").strip().lower()
        return tenant if tenant in self.orgs else None

    def _app_key(self, request: Request) -> str | None:
        path = request.url.path
        return "app" if path.startswith(API_PREFIX) or path.lower().startswith("/connections") else None

    def limit_rules(self) -> Sequence[LimitRule]:
        return (
            RateLimit("tenant_minute", 60, 60.0, self.tenant_key),
            RateLimit("tenant_day", 5000, 86400.0, self.tenant_key),
            ConcurrencyLimit("tenant_concurrent", 5, self.tenant_key),
            RateLimit("app_minute", 10_000, 60.0, self._app_key),
        )

    def _remaining_headers(self, request: Request) -> dict[str, str]:
        out: dict[str, str] = {}
        tenant = self.tenant_key(request)
        for rule, header in _HEADER_BY_RULE.items():
            key = "app" if rule == "app_minute" else tenant
            if key is not None and self._app_key(request) is not None:
                out[header] = str(self.limiter.remaining(rule, key))
        return out

    def limit_response(self, request: Request, rejection: Rejection) -> Response:
        retry = max(1, round(rejection.retry_after or 1))
        return responses.rate_limited(
            _PROBLEM_BY_RULE.get(rejection.rule, rejection.rule),
            retry,
            self.request_id(),
            self._remaining_headers(request),
        )

    def response_headers(self, request: Request, permit: Permit) -> Mapping[str, str]:
        return {
            header: str(permit.remaining[rule])
            for rule, header in _HEADER_BY_RULE.items()
            if rule in permit.remaining
        }

    def fault_response(self, request: Request, kind: FaultKind) -> Response:
        if kind is FaultKind.THROTTLE:
            return responses.rate_limited("minute", 1, self.request_id(), self._remaining_headers(request))
        status = 504 if kind is FaultKind.TIMEOUT else 500
        return responses.server_error(self.request_id(), status)

    def expire_credentials(self) -> None:
        self.tokens.expire_all()

    def extra_state(self) -> dict[str, Any]:
        return {
            "tenants": [
                {"tenantId": org.tenant_id, "name": org.name, "entities": org.counts()}
                for org in self.orgs.values()
            ],
            "connections": len(self.connections),
            "idempotency_keys": len(self.idempotency),
        }

    # ---- mutate ops -------------------------------------------------------------------------------
    def mutate_ops(self) -> Mapping[str, MutateOp]:
        return webhooks.ops(self, self._mutate_ops())  # each op may notify a webhook; + the webhook ops

    def _mutate_ops(self) -> Mapping[str, MutateOp]:
        return {
            "pay_bill": self._pay_bill,
            "edit_bill_total": self._edit_bill_total,
            "void_bill": self._void_bill,
            "delete_bill": self._delete_bill,
            "edit_vendors": self._edit_vendors,
            "archive_vendor": self._archive_vendor,
            "add_purchase_orders": self._add_purchase_orders,
            "delete_purchase_order": lambda p: delete_purchase_order(self._org_param(p), p, self.clock.now),
            "set_lock_date": periods.set_lock_date(self._org_param),  # lock dates (periods.py)
        }

    def _org_param(self, params: dict[str, Any]) -> Org:
        tenant = str(params.get("tenant_id") or next(iter(self.orgs))).lower()
        if tenant not in self.orgs:
            raise MutateError(f"unknown tenant_id {tenant!r}")
        return self.orgs[tenant]

    def _bill_param(self, org: Org, params: dict[str, Any], statuses: set[str]) -> Record:
        if params.get("invoice_id"):
            bill = org.invoices.get(str(params["invoice_id"]).lower())
            if bill is None or bill["Type"] != "ACCPAY":
                raise MutateError(f"no bill {params['invoice_id']!r}")
        else:
            bill = next(
                (b for b in org.invoices.values() if b["Type"] == "ACCPAY" and b["Status"] in statuses), None
            )
            if bill is None:
                raise MutateError("no bill in a suitable status")
        if bill["Status"] not in statuses:
            raise MutateError(f"bill is {bill['Status']}, expected one of {sorted(statuses)}")
        return bill

    def _edit_bill_total(self, params: dict[str, Any]) -> dict[str, Any]:
        """{"invoice_id", "total"}: a person changing an AUTHORISED bill's amount in Xero (edits.py)."""
        try:
            total = money(Decimal(str(params["total"])))
        except (KeyError, InvalidOperation, ValueError):
            raise MutateError("edit_bill_total needs an invoice_id and a numeric total") from None
        return edit_bill_total(
            self._org_param(params), str(params.get("invoice_id", "")), total, self.clock.now
        )

    def _pay_bill(self, params: dict[str, Any]) -> dict[str, Any]:
        """Pay a bill fully (default) or partly (`amount`); Status PAID once AmountDue is 0
        (xero.md §Paid or not)."""
        org = self._org_param(params)
        bill = self._bill_param(org, params, {"AUTHORISED"})
        try:
            amount = money(Decimal(str(params.get("amount", bill["AmountDue"]))))
        except (InvalidOperation, ValueError):
            raise MutateError("amount must be a number") from None
        if amount <= 0 or amount > bill["AmountDue"]:
            raise MutateError(f"amount must be > 0 and <= AmountDue {bill['AmountDue']}")
        payment = add_payment(org, self.data, bill, amount, self.clock.now())
        return {
            "invoice_id": bill["InvoiceID"],
            "payment_id": payment["PaymentID"],
            "status": bill["Status"],
            "amount_paid": str(bill["AmountPaid"]),
            "amount_due": str(bill["AmountDue"]),
        }

    def _void_bill(self, params: dict[str, Any]) -> dict[str, Any]:
        org = self._org_param(params)
        bill = self._bill_param(org, params, {"AUTHORISED"})
        if bill["Payments"]:
            raise MutateError("a bill with payments cannot be voided")
        bill.update(Status="VOIDED", AmountDue=Decimal("0.00"), UpdatedDateUTC=self.clock.now())
        return {"invoice_id": bill["InvoiceID"], "status": "VOIDED"}

    def _delete_bill(self, params: dict[str, Any]) -> dict[str, Any]:
        org = self._org_param(params)
        bill = self._bill_param(org, params, {"DRAFT", "SUBMITTED"})
        bill.update(Status="DELETED", AmountDue=Decimal("0.00"), UpdatedDateUTC=self.clock.now())
        return {"invoice_id": bill["InvoiceID"], "status": "DELETED"}

    def _edit_vendors(self, params: dict[str, Any]) -> dict[str, Any]:
        org = self._org_param(params)
        count = int(params.get("count", 1))
        suppliers = [c for c in org.contacts.values() if c["IsSupplier"] and c["ContactStatus"] == "ACTIVE"]
        edited = []
        for contact in suppliers[:count]:
            contact["EmailAddress"] = f"billing{self.data.digits(3)}@{contact['EmailAddress'].split('@')[1]}"
            contact["UpdatedDateUTC"] = self.clock.now()
            edited.append(contact["ContactID"])
        return {"edited": edited}

    def _archive_vendor(self, params: dict[str, Any]) -> dict[str, Any]:
        org = self._org_param(params)
        contact_id = params.get("contact_id")
        contact = (
            org.contacts.get(str(contact_id).lower())
            if contact_id
            else next(
                (c for c in org.contacts.values() if c["IsSupplier"] and c["ContactStatus"] == "ACTIVE"), None
            )
        )
        if contact is None:
            raise MutateError("no such active supplier")
        contact.update(ContactStatus="ARCHIVED", UpdatedDateUTC=self.clock.now())
        return {"contact_id": contact["ContactID"], "status": "ARCHIVED"}

    def _add_purchase_orders(self, params: dict[str, Any]) -> dict[str, Any]:
        org = self._org_param(params)
        count, status = int(params.get("count", 1)), params.get("status", "AUTHORISED")
        if status not in {"DRAFT", "SUBMITTED", "AUTHORISED", "BILLED", "DELETED"}:
            raise MutateError(f"invalid PurchaseOrder status {status!r}")
        suppliers = [c for c in org.contacts.values() if c["IsSupplier"]] or [
            add_contact(org, self.data, self.clock.now(), set(), supplier=True)
        ]
        added = []
        for _ in range(count):
            po = add_purchase_order(
                org,
                self.data,
                self.clock.now(),
                self.data.choice(suppliers),
                len(org.purchase_orders) + 1,
                status,
            )
            po["UpdatedDateUTC"] = self.clock.now() + timedelta(0)
            added.append(po["PurchaseOrderID"])
        return {"added": added}
