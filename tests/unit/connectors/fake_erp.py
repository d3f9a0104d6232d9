"""A tiny fake ERP for the connector-base tests: a connector written the way real ones will be, and
a stateful in-memory server (identity endpoint + API) served through httpx.MockTransport."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import AsyncIterator, Mapping, Sequence
from decimal import Decimal
from typing import Any

import httpx

from smartap_erp.connectors import (
    ConnectionInfo,
    ERPConnector,
    ErrorDetails,
    ExportResult,
    RecordPage,
    rebase_url,
)
from smartap_erp.connectors.base import ConnectorOptions
from smartap_erp.connectors.credentials import ConnectorCredentials
from smartap_erp.domain import (
    ERPAccount,
    ERPInvoice,
    ERPPaymentStatus,
    ERPPurchaseOrder,
    ERPTaxCode,
    ERPVendor,
    PaymentStatus,
    PurchaseOrderStatus,
)
from smartap_erp.domain.enums import ERPSystem
from smartap_erp.errors import ConfigurationError, ERPDuplicateError
from smartap_erp.http import (
    Call,
    OAuth2RefreshAuth,
    PageNumber,
    RateLimitPolicy,
    SinglePage,
    Window,
    read_json,
)

API = "https://api.fake-erp.test/v1/"
TOKEN_URL = "https://identity.fake-erp.test/oauth/token"


def vendor_from_fake(raw: Mapping[str, Any]) -> ERPVendor:
    return ERPVendor(
        external_id=raw["id"], name=raw["name"], currency=raw.get("currency"), email=raw.get("email")
    )


def po_from_fake(raw: Mapping[str, Any]) -> ERPPurchaseOrder:
    return ERPPurchaseOrder(
        external_id=raw["id"],
        po_number=raw["number"],
        vendor_id=raw["vendor"],
        total_amount=raw["total"],
        currency=raw["currency"],
        status=PurchaseOrderStatus(raw["status"]),
    )


class FakeERPConnector(ERPConnector):
    """A connector for an imaginary ERP (registered as `sage` in tests, which has no real one)."""

    system = ERPSystem.SAGE
    required_credentials = ("client_id", "client_secret", "company_id")
    page_size = 10

    @classmethod
    def api_base_url(cls, credentials: ConnectorCredentials, base_url: str | None) -> str:
        return rebase_url(API, base_url) + f"companies/{credentials['company_id']}/"

    @classmethod
    def build_auth(cls, credentials: ConnectorCredentials, options: ConnectorOptions) -> httpx.Auth:
        if options.token_store is None:
            raise ConfigurationError("the fake ERP needs a token store")
        client_id, secret = credentials.require("client_id", "client_secret")
        return OAuth2RefreshAuth(
            options.token_store,
            erp=cls.system,
            token_url=rebase_url(TOKEN_URL, options.base_url),
            client_id=client_id,
            client_secret=secret,
            clock=options.clock,
        )

    @classmethod
    def rate_limits(cls, credentials: ConnectorCredentials) -> Sequence[tuple[str, RateLimitPolicy]]:
        policy = RateLimitPolicy(windows=(Window(100, 60.0, "minute"),), concurrency=3)
        return [(f"fake:company:{credentials['company_id']}", policy)]

    async def test_connection(self) -> ConnectionInfo:
        body = read_json(await self.send(Call.get("company")))
        return ConnectionInfo(
            system=self.system,
            company_name=body["name"],
            company_id=str(self.credentials["company_id"]),
            country=body["country"],
            base_currency=body["currency"],
            checked_at=self.now(),
        )

    async def iter_vendors(self, since: dt.datetime | None = None) -> AsyncIterator[RecordPage[ERPVendor]]:
        call = Call.get("vendors", {"modifiedSince": since.isoformat()} if since else None)
        async for page in self.pages(call, PageNumber(size=self.page_size), lambda body: body["vendors"]):
            yield self.to_page(page.records, vendor_from_fake, "id")

    async def iter_purchase_orders(
        self, since: dt.datetime | None = None, status_filter: list[PurchaseOrderStatus] | None = None
    ) -> AsyncIterator[RecordPage[ERPPurchaseOrder]]:
        params = {"status": ",".join(status_filter)} if status_filter else None
        async for page in self.pages(
            Call.get("orders", params), PageNumber(size=self.page_size), lambda b: b["orders"]
        ):
            yield self.to_page(page.records, po_from_fake, "id")

    async def export_invoice(self, invoice: ERPInvoice) -> ExportResult:
        key = invoice.smartap_invoice_id or invoice.invoice_number
        body = {
            "number": invoice.invoice_number,
            "vendor": invoice.vendor_id,
            "total": str(invoice.total_amount),
        }
        call = Call("POST", "bills", json=body, headers=(("Idempotency-Key", key),), idempotent=True)
        response = await self.send(call)
        bill = read_json(response)
        return ExportResult(
            external_id=bill["id"],
            external_number=bill["number"],
            created=response.status_code == 201,
            exported_at=self.now(),
        )

    async def sync_payment_status(self, external_invoice_id: str) -> ERPPaymentStatus:
        bill = read_json(await self.send(Call.get(f"bills/{external_invoice_id}")))
        return ERPPaymentStatus(
            external_invoice_id=external_invoice_id,
            status=PaymentStatus.UNPAID,
            currency="USD",
            total_amount=Decimal(bill["total"]),
            amount_paid=Decimal(0),
            amount_due=Decimal(bill["total"]),
            checked_at=self.now(),
        )

    async def get_accounts(self) -> list[ERPAccount]:
        pages = self.pages(Call.get("accounts"), SinglePage(), lambda body: body["accounts"])
        return [
            ERPAccount(external_id=a["id"], name=a["name"], account_type=a["type"])
            async for p in pages
            for a in p.records
        ]

    async def get_tax_codes(self) -> list[ERPTaxCode]:
        return []

    def error_details(self, response: httpx.Response) -> ErrorDetails:
        error = (read_json(response) or {}).get("error", {})
        duplicate = ERPDuplicateError if error.get("code") == "DUPLICATE" else None
        return ErrorDetails(
            code=error.get("code"),
            message=error.get("message"),
            field=error.get("field"),
            error_class=duplicate,
        )


class FakeERPServer:
    """Identity endpoint (rotating refresh tokens) and a small API with paging, idempotent bills, errors."""

    def __init__(self, vendors: int = 25, bad: Sequence[int] = (7,)) -> None:
        self.vendors = [
            {"id": f"v{i}", "currency": "USD"} | ({} if i in bad else {"name": f"Vendor {i}"})
            for i in range(vendors)
        ]
        self.orders = [
            {
                "id": f"po{i}",
                "number": f"PO-{i}",
                "vendor": "v1",
                "total": 12.5,
                "currency": "USD",
                "status": "open",
            }
            for i in range(3)
        ]
        self.bills: dict[str, dict[str, str]] = {}
        self.by_key: dict[str, str] = {}
        self.requests: list[httpx.Request] = []
        self.valid_access = {"access-1"}
        self.refresh_ok = True
        self.fail_next: list[httpx.Response] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if request.url.path.endswith("/oauth/token"):
            return self.token(request)
        if request.headers.get("Authorization", "").removeprefix("Bearer ") not in self.valid_access:
            return httpx.Response(401, json={"error": {"code": "UNAUTHORIZED", "message": "token expired"}})
        if self.fail_next:
            return self.fail_next.pop(0)
        resource = request.url.path.split("/companies/c-1/", 1)[-1]
        return self.route(request, resource)

    def token(self, request: httpx.Request) -> httpx.Response:
        if not self.refresh_ok:
            return httpx.Response(400, json={"error": "invalid_grant"})
        self.valid_access = {"access-2"}
        return httpx.Response(
            200, json={"access_token": "access-2", "refresh_token": "refresh-2", "expires_in": 3600}
        )

    def route(self, request: httpx.Request, resource: str) -> httpx.Response:
        if resource == "company":
            return httpx.Response(200, json={"name": "Fake Trading Ltd", "country": "GB", "currency": "GBP"})
        if resource in ("vendors", "orders"):
            rows = self.vendors if resource == "vendors" else self.orders
            page, size = int(request.url.params["page"]), int(request.url.params["pageSize"])
            return httpx.Response(200, json={resource: rows[(page - 1) * size : page * size]})
        if resource == "accounts":
            return httpx.Response(
                200, json={"accounts": [{"id": "400", "name": "Expenses", "type": "Expense"}]}
            )
        if resource == "bills" and request.method == "POST":
            return self.create_bill(request)
        if resource.startswith("bills/") and resource[6:] in self.bills:
            return httpx.Response(200, json=self.bills[resource[6:]])
        return httpx.Response(404, json={"error": {"code": "NOT_FOUND", "message": f"no {resource}"}})

    def create_bill(self, request: httpx.Request) -> httpx.Response:
        key = request.headers["Idempotency-Key"]
        if key in self.by_key:
            return httpx.Response(200, json=self.bills[self.by_key[key]])
        body = json.loads(request.content)
        if Decimal(body["total"]) <= 0:
            return httpx.Response(
                400,
                json={"error": {"code": "INVALID", "message": "total must be positive", "field": "total"}},
            )
        if any(bill["number"] == body["number"] for bill in self.bills.values()):
            return httpx.Response(
                409, json={"error": {"code": "DUPLICATE", "message": "number already used"}}
            )
        bill = {"id": f"b{len(self.bills) + 1}", "number": body["number"], "total": body["total"]}
        self.bills[bill["id"]], self.by_key[key] = bill, bill["id"]
        return httpx.Response(201, json=bill)
