"""The QuickBooks Online connector: every method of `ERPConnector`, the QuickBooks way
(quickbooks.md §API facts).

OAuth 2.0 with rotating refresh tokens; the realm in the URL path; reads through the query language
(`queries.py`), paged in parallel when the total is known; bills exported exactly once (`export.py`);
payment status from `Bill.Balance` and the BillPayments linked to the bill (quickbooks.md §Paid or not). Every
call pins `minorversion=75` (quickbooks.md §Minor version).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Collection, Iterable, Mapping, Sequence
from functools import partial
from typing import Any

import httpx

from smartap_erp.connectors.base import ConnectorOptions, ERPConnector, rebase_url
from smartap_erp.connectors.common import MappingError, money, oauth2_refresh_auth
from smartap_erp.connectors.credentials import ConnectorCredentials
from smartap_erp.connectors.ledger import ExistingBill, PeriodLocks
from smartap_erp.connectors.models import ConnectionInfo, ExportResult, InvoiceExportOutcome, RecordPage
from smartap_erp.connectors.quickbooks import (
    deletions,
    duplicates,
    export,
    payloads,
    payments,
    periods,
    queries,
    walks,
)
from smartap_erp.connectors.quickbooks.errors import fault_details, response_error_details
from smartap_erp.connectors.quickbooks.provider import PROVIDER
from smartap_erp.connectors.registry import register_connector
from smartap_erp.connectors.removals import ERPRemoval, MappedIds
from smartap_erp.connectors.responses import ErrorDetails, record_error_from
from smartap_erp.domain import (
    ERPAccount,
    ERPInvoice,
    ERPPaymentStatus,
    ERPPurchaseOrder,
    ERPTaxCode,
    ERPVendor,
    PurchaseOrderStatus,
    RecordError,
)
from smartap_erp.domain.enums import ERPEntity, ERPSystem
from smartap_erp.errors import (
    ERPDuplicateError,
    ERPError,
    ERPNotFoundError,
    ERPRecordError,
    ERPValidationError,
)
from smartap_erp.http import Call, RateLimitPolicy
from smartap_erp.http.call import json_body, unexpected_answer

PRODUCTION_URL = "https://quickbooks.api.intuit.com"
SANDBOX_URL = "https://sandbox-quickbooks.api.intuit.com"
MINOR_VERSION = "75"
ACCESS_TOKEN_LIFETIME = 3600.0  # quickbooks.md §OAuth 2.0 tokens
TOKEN_URL = PROVIDER.oauth.token_url if PROVIDER.oauth else ""
_CURRENCY_BY_COUNTRY = {
    "US": "USD",
    "CA": "CAD",
    "GB": "GBP",
    "UK": "GBP",
    "AU": "AUD",
    "IN": "INR",
    "FR": "EUR",
    "IE": "EUR",
    "NZ": "NZD",
    "ZA": "ZAR",
}
_PO_STATUS_VALUES = {PurchaseOrderStatus.OPEN: "Open", PurchaseOrderStatus.CLOSED: "Closed"}


@register_connector
class QuickBooksConnector(ERPConnector):
    system = ERPSystem(PROVIDER.system)
    required_credentials = PROVIDER.required_credentials
    retry_policy = PROVIDER.retry
    bill_tax = "rates"  # QuickBooks computes bill tax from the lines' tax codes (quickbooks.md §Entities)
    # Export (sync/export/run.py): bills per /batch request, sent and recorded that many at a time; and
    # invoices per step, all looked up in one /batch before any is created (export.py, duplicates.py).
    export_batch_size = export.BATCH_SIZE
    export_step_size = export.STEP_SIZE

    def __init__(
        self, http: httpx.AsyncClient, credentials: Mapping[str, Any], options: ConnectorOptions | None = None
    ) -> None:
        super().__init__(http, credentials, options)
        self.realm_id = str(self.credentials["realm_id"])
        self._home_currency = self.credentials.text("home_currency")

    # ---- construction hooks ------------------------------------------------------------------
    @classmethod
    def api_base_url(cls, credentials: ConnectorCredentials, base_url: str | None) -> str:
        root = SANDBOX_URL if credentials.text("environment") == "sandbox" else PRODUCTION_URL
        return f"{rebase_url(root, base_url)}/v3/company/{credentials['realm_id']}/"

    @classmethod
    def build_auth(cls, credentials: ConnectorCredentials, options: ConnectorOptions) -> httpx.Auth:
        return oauth2_refresh_auth(
            cls.system, credentials, options, token_url=TOKEN_URL, assumed_lifetime=ACCESS_TOKEN_LIFETIME
        )

    @classmethod
    def rate_limits(cls, credentials: ConnectorCredentials) -> Sequence[tuple[str, RateLimitPolicy]]:
        return PROVIDER.rate_limits(credentials)

    @classmethod
    def default_headers(cls, credentials: ConnectorCredentials) -> Mapping[str, str]:
        return {"Accept": "application/json"}

    def error_details(self, response: httpx.Response) -> ErrorDetails:
        return response_error_details(response)

    # ---- reads -------------------------------------------------------------------------------
    async def _get(self, path: str, keys: Mapping[str, type], **params: str) -> Any:
        """GET a body that must be a JSON object holding `keys` (an ERPProtocolError otherwise)."""
        response = await self.send(Call.get(path, {**params, "minorversion": MINOR_VERSION}))
        return json_body(response, self.system, keys=keys)

    async def _query(self, statement: str, keys: Mapping[str, type] | None = None) -> dict[str, Any]:
        """The `QueryResponse` object; an empty result has no entity key (quickbooks.md §Query language),
        which is fine, but a body without `QueryResponse` is not."""
        response = await self.send(Call.get("query", {"query": statement, "minorversion": MINOR_VERSION}))
        return queries.query_response(response, keys)

    async def _rows(self, entity: str, statement: str) -> list[dict[str, Any]]:
        return list((await self._query(statement)).get(entity, []))

    def _stream(self, entity: str, conditions: Sequence[str]) -> AsyncIterator[list[dict[str, Any]]]:
        """Every `entity` row matching `conditions`, a page at a time (`walks.stream`)."""
        return walks.stream(self, entity, conditions)

    async def test_connection(self) -> ConnectionInfo:
        info = (await self._get(f"companyinfo/{self.realm_id}", {"CompanyInfo": dict}))["CompanyInfo"]
        country = self.learn_company(info)
        return ConnectionInfo(
            system=self.system,
            company_name=info.get("CompanyName", ""),
            company_id=self.realm_id,
            country=country,
            base_currency=self._home_currency,
            checked_at=self.now(),
        )

    def learn_company(self, info: Mapping[str, Any]) -> str | None:
        """Take the home currency from a CompanyInfo record (read alone, or riding in a look-up batch),
        unless the credentials gave it; the company's country, if it has one."""
        country = info.get("Country") or None
        self._home_currency = self._home_currency or _CURRENCY_BY_COUNTRY.get(country or "", "USD")
        return country

    @property
    def knows_home_currency(self) -> bool:
        return self._home_currency is not None

    async def home_currency(self) -> str:
        if self._home_currency is None:
            await self.test_connection()
        assert self._home_currency is not None
        return self._home_currency

    async def iter_vendors(self, since: dt.datetime | None = None) -> AsyncIterator[RecordPage[ERPVendor]]:
        # Inactive vendors are read too: a deactivation is a change to record (quickbooks.md §Entities
        # Vendor).
        conditions = [queries.ACTIVE_AND_INACTIVE, *queries.changed_since(since)]
        async for rows in self._stream("Vendor", conditions):
            yield self.to_page(rows, payloads.vendor_from_qbo, "Id")

    async def iter_purchase_orders(
        self, since: dt.datetime | None = None, status_filter: list[PurchaseOrderStatus] | None = None
    ) -> AsyncIterator[RecordPage[ERPPurchaseOrder]]:
        conditions = queries.changed_since(since)
        if status_filter:
            wanted = [_PO_STATUS_VALUES[s] for s in status_filter if s in _PO_STATUS_VALUES]
            if not wanted:
                return  # QuickBooks POs are only Open or Closed
            conditions.append(f"POStatus IN ({', '.join(queries.quote(v) for v in wanted)})")
        async for rows in self._stream("PurchaseOrder", conditions):
            currency = await self.home_currency()  # asked once, and only when there is a PO to read
            yield self.to_page(rows, partial(payloads.purchase_order_from_qbo, home_currency=currency), "Id")

    async def get_accounts(self) -> list[ERPAccount]:
        return [
            payloads.account_from_qbo(raw)
            async for rows in self._stream("Account", [queries.ACTIVE_AND_INACTIVE])
            for raw in rows
        ]

    async def get_tax_codes(self) -> list[ERPTaxCode]:
        # TaxCode/TaxRate are read-only and not in CDC (quickbooks.md §Entities, §Change data capture): always
        # a full query.
        rates = {
            str(r["Id"]): money(r.get("RateValue", 0))
            async for rows in self._stream("TaxRate", [])
            for r in rows
        }
        return [
            payloads.tax_code_from_qbo(raw, rates)
            async for rows in self._stream("TaxCode", [queries.ACTIVE_AND_INACTIVE])
            for raw in rows
        ]

    def iter_payment_changes(
        self, since: dt.datetime, bill_ids: Collection[str] | None = None
    ) -> AsyncIterator[RecordPage[ERPPaymentStatus]]:
        """Bills changed since `since` and the bills of BillPayments changed since (`payments.py`)."""
        return payments.payment_changes(self, since, bill_ids)

    def iter_removals(
        self, entity: ERPEntity, since: dt.datetime | None, mapped: MappedIds
    ) -> AsyncIterator[list[ERPRemoval]] | None:
        """Deleted / voided records through CDC (`deletions.py`, quickbooks.md §Change data capture)."""
        if entity not in deletions.CDC_ENTITY:
            return None
        return deletions.cdc_removals(self, entity, since)

    async def sync_payment_status(self, external_invoice_id: str) -> ERPPaymentStatus:
        return await payments.payment_status(self, external_invoice_id)

    # ---- before a write: closed books, bills already there (issue 16) -------------------------
    async def period_locks(self) -> PeriodLocks:
        return await periods.read_locks(self)

    async def find_bills(self, invoices: Sequence[ERPInvoice]) -> list[ExistingBill]:
        return await duplicates.find_bills(self, invoices)

    # ---- writes ------------------------------------------------------------------------------
    async def _bill_body(self, invoice: ERPInvoice) -> dict[str, Any]:
        try:
            return payloads.bill_to_qbo(
                invoice,
                ap_account_id=self.credentials.text("ap_account_id"),
                home_currency=await self.home_currency(),
            )
        except MappingError as exc:
            raise export.mapping_refused(exc.field or "invoice", str(exc)) from None

    async def export_invoice(self, invoice: ERPInvoice) -> ExportResult:
        body = await self._bill_body(invoice)
        rid = export.request_id(self.realm_id, export.invoice_key(invoice))
        call = Call(
            "POST",
            "bill",
            params=(("requestid", rid), ("minorversion", MINOR_VERSION)),
            json=body,
            headers=(("Content-Type", "application/json"),),
            idempotent=True,
        )
        try:
            bill = json_body(await self.send(call), self.system, keys={"Bill": dict})["Bill"]
        except ERPDuplicateError:
            return await self._existing(invoice)
        return export.created_result(bill, self.now())

    async def find_bill(self, invoice: ERPInvoice) -> dict[str, Any] | None:
        """The vendor's bill with this invoice's DocNumber, if QuickBooks has one."""
        statement = queries.select(
            "Bill",
            [
                f"DocNumber = {queries.quote(invoice.invoice_number)}",
                f"VendorRef = {queries.quote(invoice.vendor_id)}",
            ],
        )
        rows = await self._rows("Bill", statement)
        return rows[0] if rows else None

    async def _existing(self, invoice: ERPInvoice) -> ExportResult:
        existing = await self.find_bill(invoice)
        if existing is None:
            raise ERPNotFoundError(
                "QuickBooks reported a duplicate DocNumber but no such bill was found",
                erp=self.system,
                field="DocNumber",
            )
        export.check_same_bill(existing, invoice)
        return export.created_result(existing, self.now(), created=False)

    async def export_invoices(self, invoices: Iterable[ERPInvoice]) -> list[InvoiceExportOutcome]:
        """Through `/batch`, `export.BATCH_SIZE` bills a request (quickbooks.md §Batch requests); a Fault in
        one item affects only it."""
        outcomes: list[InvoiceExportOutcome] = []
        for chunk in export.chunks(list(invoices)):
            outcomes.extend(await self._export_chunk(chunk))
        return outcomes

    async def _export_chunk(self, chunk: Sequence[ERPInvoice]) -> list[InvoiceExportOutcome]:
        results: dict[int, ExportResult | RecordError] = {}
        items = []
        for index, invoice in enumerate(chunk):
            try:
                items.append(
                    {"bId": str(index), "operation": "create", "Bill": await self._bill_body(invoice)}
                )
            except ERPRecordError as exc:
                results[index] = record_error_from(exc, export.invoice_key(invoice))
        if items:
            rid = export.request_id(self.realm_id, *(export.invoice_key(i) for i in chunk))
            call = Call(
                "POST",
                "batch",
                params=(("requestid", rid), ("minorversion", MINOR_VERSION)),
                json={"BatchItemRequest": items},
                idempotent=True,
            )
            response = await self.send(call)
            body = json_body(response, self.system, keys={"BatchItemResponse": list})
            for item in body["BatchItemResponse"]:
                position = _batch_index(item, len(chunk))
                if position is None:
                    raise unexpected_answer(response, self.system, f"a batch item with bId {item!r:.80}")
                results[position] = await self._batch_item_result(item, chunk[position])
            missing = [i for i in range(len(chunk)) if i not in results]
            if missing:
                # An answer without some items: those bills may or may not exist. The outbox marks the
                # batch `sent` and the job retries under the same requestid, which QuickBooks answers
                # from its replay memory, or a duplicate DocNumber (6140) finds the bill: never two.
                raise unexpected_answer(response, self.system, f"no BatchItemResponse for bId {missing}")
        return [_outcome(invoice, results[i]) for i, invoice in enumerate(chunk)]

    async def _batch_item_result(
        self, item: dict[str, Any], invoice: ERPInvoice
    ) -> ExportResult | RecordError:
        if "Bill" in item:
            return export.created_result(item["Bill"], self.now())
        details = fault_details(item.get("Fault") or {})
        try:
            if details.error_class is ERPDuplicateError:
                return await self._existing(invoice)
            raise _batch_error(details)
        except ERPRecordError as exc:
            return record_error_from(exc, export.invoice_key(invoice))


def _batch_error(details: ErrorDetails) -> ERPError:
    cls = (
        details.error_class
        if details.error_class and issubclass(details.error_class, ERPRecordError)
        else None
    )
    return (cls or ERPValidationError)(
        "QuickBooks refused the bill in a batch",
        erp=ERPSystem.QUICKBOOKS,
        code=details.code,
        message=details.message,
        field=details.field,
    )


def _outcome(invoice: ERPInvoice, result: ExportResult | RecordError) -> InvoiceExportOutcome:
    common = {"invoice_number": invoice.invoice_number, "smartap_invoice_id": invoice.smartap_invoice_id}
    if isinstance(result, RecordError):
        return InvoiceExportOutcome(**common, error=result)
    return InvoiceExportOutcome(**common, result=result)


def _batch_index(item: Any, size: int) -> int | None:
    """The chunk position a BatchItemResponse answers (its `bId`), or None when it names none."""
    bid = item.get("bId") if isinstance(item, dict) else None
    if isinstance(bid, str) and bid.isdigit() and int(bid) < size:
        return int(bid)
    return None
