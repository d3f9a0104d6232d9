"""`XeroConnector`: the connector base implemented the Xero way (xero.md §API facts).

The tenant is chosen when the connection is made (`tenant_id` credential) and sent as
`xero-tenant-id` on every accounting call (xero.md §Tenancy and OAuth 2.0); `test_connection` checks it
against `/connections` before reading the Organisation. Auth is the toolkit's `OAuth2RefreshAuth` against
`identity.xero.com/connect/token` (30-minute tokens, rotating refresh tokens). Limits are the toolkit limiter
with Xero's per-tenant and app-wide policies, fed by the remaining-quota headers, so a long import slows down
before a 429 and a spent daily quota stops with `ERPQuotaExhaustedError` (xero.md §Rate limits). Reads page
with `page`/`pageSize` at the largest size (1,000, xero.md §Paging) and take `If-Modified-Since` for
incremental syncs (xero.md §Change detection). Bills are exported as `Type=ACCPAY` invoices in batches through
`PUT /Invoices?summarizeErrors=false` with an `Idempotency-Key`; before creating anything, existing bills are
looked up by `InvoiceNumbers` and `ContactIDs` (xero.md §Entities: ACCPAY numbers are not unique in Xero),
once per batch: export's checks (`find_bills`, duplicates.py) remember the pairs they found absent. Lock dates
are read by `period_locks` (periods.py); bills the `draft` closed-period policy names go in as DRAFT.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import AsyncIterator, Collection, Iterable, Mapping, Sequence
from typing import Any, ClassVar

import httpx

from smartap_erp.connectors.base import ConnectorOptions, ERPConnector, rebase_url
from smartap_erp.connectors.common import money, oauth2_refresh_auth
from smartap_erp.connectors.credentials import ConnectorCredentials
from smartap_erp.connectors.ledger import ExistingBill, PeriodLocks, bill_key
from smartap_erp.connectors.models import ConnectionInfo, ExportResult, InvoiceExportOutcome, RecordPage
from smartap_erp.connectors.registry import register_connector
from smartap_erp.connectors.responses import ErrorDetails, generic_error_details
from smartap_erp.connectors.xero import duplicates, payloads, periods
from smartap_erp.connectors.xero.provider import PROVIDER
from smartap_erp.domain import (
    ERPAccount,
    ERPInvoice,
    ERPPaymentStatus,
    ERPPurchaseOrder,
    ERPTaxCode,
    ERPVendor,
    PurchaseOrderStatus,
)
from smartap_erp.domain.enums import ERPSystem
from smartap_erp.domain.results import RecordError
from smartap_erp.errors import ERPAuthError, ERPProtocolError, ERPValidationError
from smartap_erp.http.call import Call, json_body
from smartap_erp.http.paginate import PageNumber, SinglePage
from smartap_erp.http.ratelimit import RateLimitPolicy
from smartap_erp.http.retry import RetryPolicy

API_URL = "https://api.xero.com/api.xro/2.0"
CONNECTIONS_URL = "https://api.xero.com/connections"
TOKEN_URL = PROVIDER.oauth.token_url if PROVIDER.oauth else ""
MAX_PAGE_SIZE = 1000  # xero.md §Paging (secondary source; the simulator caps at the same value)
EXPORT_BATCH_SIZE = 50
ACCESS_TOKEN_TTL = 30 * 60  # xero.md §Tenancy and OAuth 2.0


@register_connector
class XeroConnector(ERPConnector):
    system: ClassVar[ERPSystem] = ERPSystem(PROVIDER.system)
    required_credentials: ClassVar[tuple[str, ...]] = PROVIDER.required_credentials
    retry_policy: ClassVar[RetryPolicy] = PROVIDER.retry
    page_size: int = MAX_PAGE_SIZE
    account_reference: ClassVar[str] = "code"  # bill lines name accounts by AccountCode (xero.md §Entities)
    bill_tax: ClassVar[str] = "amounts"  # lines take an explicit TaxAmount (xero.md §Entities)
    supports_draft_bills: ClassVar[bool] = True  # a DRAFT bill is allowed in a locked period (periods.py)

    def __init__(
        self, http: httpx.AsyncClient, credentials: Mapping[str, Any], options: ConnectorOptions | None = None
    ) -> None:
        super().__init__(http, credentials, options)
        self.absent_bills: set[tuple[str, str]] = set()  # looked up, no bill there (duplicates.py)
        self._drafts: set[str] = set()  # smartap invoice ids to send as DRAFT (closed-period policy draft)

    # ---- construction ------------------------------------------------------------------------
    @classmethod
    def api_base_url(cls, credentials: ConnectorCredentials, base_url: str | None) -> str:
        return rebase_url(API_URL, base_url) + "/"

    @classmethod
    def build_auth(cls, credentials: ConnectorCredentials, options: ConnectorOptions) -> httpx.Auth | None:
        return oauth2_refresh_auth(
            ERPSystem.XERO, credentials, options, token_url=TOKEN_URL, assumed_lifetime=ACCESS_TOKEN_TTL
        )

    @classmethod
    def rate_limits(cls, credentials: ConnectorCredentials) -> Sequence[tuple[str, RateLimitPolicy]]:
        return PROVIDER.rate_limits(credentials)

    @classmethod
    def default_headers(cls, credentials: ConnectorCredentials) -> dict[str, str]:
        (tenant_id,) = credentials.require("tenant_id", system="xero")
        return {"xero-tenant-id": tenant_id, "Accept": "application/json"}

    @property
    def tenant_id(self) -> str:
        return str(self.credentials["tenant_id"])

    def error_details(self, response: httpx.Response) -> ErrorDetails:
        """Xero's `{ErrorNumber, Type, Message, Elements[].ValidationErrors}` or the problem body."""
        try:
            body = response.json()
        except ValueError:
            return generic_error_details(response)
        if not isinstance(body, dict):
            return generic_error_details(response)
        if "Type" in body and body.get("Type") and "Message" in body:
            messages = [
                m for element in body.get("Elements") or [] for m in payloads.validation_messages(element)
            ]
            text = "; ".join(messages) or str(body.get("Message"))
            return ErrorDetails(code=str(body["Type"]), message=text)
        if "Detail" in body or "Title" in body:
            return ErrorDetails(code=str(body.get("Title") or ""), message=str(body.get("Detail") or ""))
        return generic_error_details(response)

    # ---- reads -----------------------------------------------------------------------------------
    async def _json(
        self,
        call: Call,
        *,
        shape: type = dict,
        keys: Mapping[str, type] | None = None,
        non_empty: Collection[str] = (),
    ) -> Any:
        """The answer's JSON, checked against the expected shape (`json_body`)."""
        return json_body(await self.send(call), self.system, shape=shape, keys=keys, non_empty=non_empty)

    async def test_connection(self) -> ConnectionInfo:
        connections = await self._json(
            Call.get(rebase_url(CONNECTIONS_URL, self.options.base_url)), shape=list
        )
        tenants = {str(c.get("tenantId")): c for c in connections if isinstance(c, dict)}
        if self.tenant_id not in tenants:
            raise ERPAuthError(
                "this Xero login is not connected to the chosen tenant; reconnect and pick it",
                erp=self.system,
                url=CONNECTIONS_URL,
                method="GET",
                status=200,
            )
        org = (
            await self._json(
                Call.get("Organisation"), keys={"Organisations": list}, non_empty=("Organisations",)
            )
        )["Organisations"][0]
        return ConnectionInfo(
            system=self.system,
            company_name=str(org.get("Name")),
            company_id=self.tenant_id,
            country=org.get("CountryCode"),
            base_currency=org.get("BaseCurrency"),
            details={
                "tenant_name": str(tenants[self.tenant_id].get("tenantName") or ""),
                "organisation_id": str(org.get("OrganisationID") or ""),
                "version": str(org.get("Version") or ""),
            },
            checked_at=self.now(),
        )

    def _paged(self, resource: str, params: dict[str, object], since: dt.datetime | None) -> Call:
        headers = {"If-Modified-Since": payloads.format_if_modified_since(since)} if since else None
        return Call.get(resource, params=params, headers=headers)

    async def iter_vendors(self, since: dt.datetime | None = None) -> AsyncIterator[RecordPage[ERPVendor]]:
        # includeArchived: archived suppliers must come through, as deactivations (xero.md §Entities).
        call = self._paged("Contacts", {"where": "IsSupplier==true", "includeArchived": "true"}, since)
        async for page in self.pages(call, PageNumber(size=self.page_size), "Contacts"):
            yield self.to_page(page.records, payloads.vendor_from_contact, "ContactID")

    async def iter_purchase_orders(
        self, since: dt.datetime | None = None, status_filter: list[PurchaseOrderStatus] | None = None
    ) -> AsyncIterator[RecordPage[ERPPurchaseOrder]]:
        # PurchaseOrders has no `where`: one query per Xero Status (xero.md §Endpoints).
        for status in payloads.xero_po_statuses(status_filter):
            params: dict[str, object] = {"Status": status} if status else {}
            call = self._paged("PurchaseOrders", params, since)
            paginator = PageNumber(size=self.page_size)
            async for page in self.pages(call, paginator, "PurchaseOrders"):
                yield self.to_page(page.records, payloads.purchase_order_from_xero, "PurchaseOrderID")

    def iter_payment_changes(
        self, since: dt.datetime, bill_ids: Collection[str] | None = None
    ) -> AsyncIterator[RecordPage[ERPPaymentStatus]]:
        return self._payment_changes(since)

    async def _payment_changes(self, since: dt.datetime) -> AsyncIterator[RecordPage[ERPPaymentStatus]]:
        # Bills (ACCPAY invoices) changed since, paged, via If-Modified-Since (xero.md §Change detection,
        # §Paid or not); no Statuses filter and includeArchived=true, so voided and deleted bills come
        # through (as VOIDED): Xero returns them only when asked (issue 16 item 4).
        call = self._paged("Invoices", {"where": 'Type=="ACCPAY"', "includeArchived": "true"}, since)
        now = self.now()
        async for page in self.pages(call, PageNumber(size=self.page_size), "Invoices"):
            yield self.to_page(page.records, lambda raw: payloads.payment_status_from(raw, now), "InvoiceID")

    async def sync_payment_status(self, external_invoice_id: str) -> ERPPaymentStatus:
        body = await self._json(
            Call.get(f"Invoices/{external_invoice_id}"), keys={"Invoices": list}, non_empty=("Invoices",)
        )
        return payloads.payment_status_from(body["Invoices"][0], self.now())

    async def get_accounts(self) -> list[ERPAccount]:
        return await self._whole("Accounts", payloads.account_from_xero)

    async def get_tax_codes(self) -> list[ERPTaxCode]:
        return await self._whole("TaxRates", payloads.tax_code_from_xero)

    async def _whole(self, resource: str, mapper: Any) -> list[Any]:
        out: list[Any] = []
        async for page in self.pages(Call.get(resource), SinglePage(), resource):
            out.extend(self.to_page(page.records, mapper, resource))
        return out

    # ---- bills ---------------------------------------------------------------------------------
    async def export_invoice(self, invoice: ERPInvoice) -> ExportResult:
        outcome = (await self.export_invoices([invoice]))[0]
        if outcome.result is None:
            error = outcome.error
            raise ERPValidationError(
                f"Xero refused bill {invoice.invoice_number}",
                erp=self.system,
                code=error.code if error else None,
                message=error.message if error else None,
                status=200,
            )
        return outcome.result

    async def export_invoices(self, invoices: Iterable[ERPInvoice]) -> list[InvoiceExportOutcome]:
        batch = list(invoices)
        outcomes: list[InvoiceExportOutcome] = []
        for start in range(0, len(batch), EXPORT_BATCH_SIZE):
            outcomes.extend(await self._export_batch(batch[start : start + EXPORT_BATCH_SIZE]))
        return outcomes

    # ---- export's checks (sync.export.guards) ------------------------------------------------
    async def period_locks(self) -> PeriodLocks:
        return await periods.read_locks(self)

    async def find_bills(self, invoices: Sequence[ERPInvoice]) -> list[ExistingBill]:
        return await duplicates.find_bills(self, invoices)

    def use_draft_bills(self, smartap_invoice_ids: Iterable[str]) -> None:
        """Send these invoices as DRAFT bills (closed-period policy `draft`: Xero takes a draft dated in a
        locked period, periods.py); logged by the caller."""
        self._drafts.update(smartap_invoice_ids)

    async def _existing(self, invoices: Sequence[ERPInvoice]) -> dict[tuple[str, str], Any]:
        """Bills already in Xero for these (contact, number) pairs: the check before any create, skipped for
        pairs export's checks looked up moments ago (one look-up per batch, not two)."""
        unchecked = [i for i in invoices if bill_key(i.vendor_id, i.invoice_number) not in self.absent_bills]
        self.absent_bills.difference_update(bill_key(i.vendor_id, i.invoice_number) for i in invoices)
        if not unchecked:
            return {}
        return {
            (str(b["Contact"]["ContactID"]).lower(), str(b.get("InvoiceNumber"))): b
            for b in await duplicates.bills_for(self, unchecked, MAX_PAGE_SIZE)
        }

    def _payload(self, invoice: ERPInvoice) -> dict[str, Any]:
        body = payloads.bill_payload(invoice)
        if invoice.smartap_invoice_id in self._drafts:
            body["Status"] = "DRAFT"
        return body

    async def _export_batch(self, invoices: Sequence[ERPInvoice]) -> list[InvoiceExportOutcome]:
        existing = await self._existing(invoices)
        pending = [i for i in invoices if (i.vendor_id.lower(), i.invoice_number) not in existing]
        created: dict[int, Any] = {}
        if pending:
            key = payloads.idempotency_key(pending)
            drafts = sorted(
                str(i.smartap_invoice_id) for i in pending if i.smartap_invoice_id in self._drafts
            )
            if drafts:  # another body, so another key (Xero refuses a key reused with a different body)
                key = key[:100] + "-draft-" + hashlib.sha256(",".join(drafts).encode()).hexdigest()[:20]
            call = Call(
                "PUT",
                "Invoices",
                params=(("summarizeErrors", "false"),),
                headers=(("Idempotency-Key", key),),
                json={"Invoices": [self._payload(i) for i in pending]},
                idempotent=True,
            )
            elements = (await self._json(call)).get("Invoices") or []
            if len(elements) != len(pending):
                raise ERPProtocolError(
                    "Xero answered a bill batch with a different number of elements",
                    erp=self.system,
                    url="Invoices",
                    method="PUT",
                    status=200,
                )
            created = {id(inv): el for inv, el in zip(pending, elements, strict=True)}
        return [self._outcome(i, existing, created) for i in invoices]

    def _outcome(
        self, invoice: ERPInvoice, existing: dict[tuple[str, str], Any], created: dict[int, Any]
    ) -> InvoiceExportOutcome:
        common = {"invoice_number": invoice.invoice_number, "smartap_invoice_id": invoice.smartap_invoice_id}
        found = existing.get((invoice.vendor_id.lower(), invoice.invoice_number))
        element = found if found is not None else created[id(invoice)]
        if element.get("HasErrors"):
            messages = payloads.validation_messages(element) or ["Xero refused the bill"]
            error = RecordError(
                record_id=invoice.smartap_invoice_id or invoice.invoice_number,
                message="; ".join(messages),
                code="ValidationException",
            )
            return InvoiceExportOutcome(**common, error=error)
        result = ExportResult(
            external_id=str(element["InvoiceID"]),
            external_number=element.get("InvoiceNumber"),
            created=found is None,
            exported_at=self.now(),
            version=element.get("UpdatedDateUTC"),
            erp_total=money(element["Total"]) if element.get("Total") is not None else None,
        )
        return InvoiceExportOutcome(**common, result=result)
