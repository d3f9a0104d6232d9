"""The Ledgerly connector: every method of `ERPConnector`, written the way the built-in ones are,
with nothing in the product knowing Ledgerly (its provider names this class by import path).

OAuth 2.0 bearer tokens refreshed through `connectors.common.oauth2_refresh_auth`, pages through the
shared paging loop (`PageNumber`), bills made idempotent by an `Idempotency-Key` header.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Mapping, Sequence
from decimal import Decimal
from typing import Any, ClassVar

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
from smartap_erp.connectors.common import oauth2_refresh_auth
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
from smartap_erp.http import Call, PageNumber, RateLimitPolicy, read_json
from tests.fifth_erp.provider import API_URL, PROVIDER


def vendor_from(raw: Mapping[str, Any]) -> ERPVendor:
    return ERPVendor(external_id=raw["id"], name=raw["name"], currency=raw.get("currency"))


def order_from(raw: Mapping[str, Any]) -> ERPPurchaseOrder:
    return ERPPurchaseOrder(
        external_id=raw["id"],
        po_number=raw["number"],
        vendor_id=raw["vendor"],
        total_amount=Decimal(raw["total"]),
        currency=raw["currency"],
        status=PurchaseOrderStatus(raw["status"]),
    )


class LedgerlyConnector(ERPConnector):
    system: ClassVar[ERPSystem] = ERPSystem(PROVIDER.system)
    required_credentials: ClassVar[tuple[str, ...]] = PROVIDER.required_credentials
    retry_policy = PROVIDER.retry
    page_size: ClassVar[int] = 10

    @classmethod
    def api_base_url(cls, credentials: ConnectorCredentials, base_url: str | None) -> str:
        return f"{rebase_url(API_URL, base_url)}/companies/{credentials['company_id']}/"

    @classmethod
    def build_auth(cls, credentials: ConnectorCredentials, options: ConnectorOptions) -> httpx.Auth:
        token_url = PROVIDER.oauth.token_url if PROVIDER.oauth else ""
        return oauth2_refresh_auth(
            cls.system, credentials, options, token_url=token_url, assumed_lifetime=3600
        )

    @classmethod
    def rate_limits(cls, credentials: ConnectorCredentials) -> Sequence[tuple[str, RateLimitPolicy]]:
        return PROVIDER.rate_limits(credentials)

    def error_details(self, response: httpx.Response) -> ErrorDetails:
        try:
            error = (read_json(response) or {}).get("error", {})
        except ValueError:
            error = {}
        if not isinstance(error, dict):
            error = {"code": str(error)}
        return ErrorDetails(code=error.get("code"), message=error.get("message"), field=error.get("field"))

    async def test_connection(self) -> ConnectionInfo:
        body = read_json(await self.send(Call.get("company")))
        return ConnectionInfo(
            system=self.system,
            company_name=body["name"],
            company_id=str(body["id"]),
            country=body["country"],
            base_currency=body["currency"],
            checked_at=self.now(),
        )

    def _paged(self, resource: str, since: dt.datetime | None) -> AsyncIterator[Any]:
        params = {"updated_since": since.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")} if since else None
        paging = PageNumber(size=self.page_size, size_param="per_page")
        return self.pages(Call.get(resource, params), paging, "items")

    async def iter_vendors(self, since: dt.datetime | None = None) -> AsyncIterator[RecordPage[ERPVendor]]:
        async for page in self._paged("vendors", since):
            yield self.to_page(page.records, vendor_from, "id")

    async def iter_purchase_orders(
        self, since: dt.datetime | None = None, status_filter: list[PurchaseOrderStatus] | None = None
    ) -> AsyncIterator[RecordPage[ERPPurchaseOrder]]:
        async for page in self._paged("purchase-orders", since):
            rows = [r for r in page.records if not status_filter or r.get("status") in status_filter]
            yield self.to_page(rows, order_from, "id")

    async def export_invoice(self, invoice: ERPInvoice) -> ExportResult:
        key = invoice.smartap_invoice_id or invoice.invoice_number
        body = {
            "number": invoice.invoice_number,
            "vendor": invoice.vendor_id,
            "total": str(invoice.total_amount),
            "currency": invoice.currency,
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
        total, paid = Decimal(bill["total"]), Decimal(bill["paid"])
        status = (
            PaymentStatus.PAID if paid >= total else PaymentStatus.PARTIAL if paid else PaymentStatus.UNPAID
        )
        return ERPPaymentStatus(
            external_invoice_id=external_invoice_id,
            status=status,
            currency=bill["currency"],
            total_amount=total,
            amount_paid=paid,
            amount_due=total - paid,
            checked_at=self.now(),
        )

    async def get_accounts(self) -> list[ERPAccount]:
        body = read_json(await self.send(Call.get("accounts")))
        return [
            ERPAccount(external_id=a["id"], code=a["code"], name=a["name"], account_type=a["type"])
            for a in body["items"]
        ]

    async def get_tax_codes(self) -> list[ERPTaxCode]:
        body = read_json(await self.send(Call.get("tax-codes")))
        return [
            ERPTaxCode(external_id=t["id"], code=t["code"], name=t["name"], rate=Decimal(t["rate"]))
            for t in body["items"]
        ]
