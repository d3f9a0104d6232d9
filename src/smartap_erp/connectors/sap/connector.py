"""`SAPConnector`: the connector base implemented the SAP Business One Service Layer way (sap.md §API facts).

The server is self-hosted: its root comes from `base_url` (a simulator or an explicit server), the
connection's `service_layer_url` credential, or `SAP_SERVICE_LAYER_URL`, in that order; the API is
`/b1s/v1/` (OData 3) unless the `api_version` credential says `v2`. Auth is the toolkit's
`ServiceLayerSessionAuth`: `POST /Login` with `CompanyDB` (one company database per connection, so
multi-company is one connection per `company_db`), the `B1SESSION` + `ROUTEID` cookies, a fresh login
and a repeat of the same request when a session times out (also in the middle of a nextLink walk,
sap.md §Login and session cookies), and `POST /Logout` on close. TLS verification follows `SAP_VERIFY_SSL` (or
an explicit `verify`, e.g. a CA bundle for a self-signed server); a refused certificate is a configuration
error that says so. Reads ask for big pages with `Prefer: odata.maxpagesize` (the default is 20,
sap.md §Paging), order by key and follow `odata.nextLink`; incremental reads filter `UpdateDate ge` a day
before `since` (date-only field, sap.md §Query options). SAP has no idempotency key, so a bill is looked up by
`CardCode` + `NumAtCard` before it is created (once per batch: export's checks, `find_bills` in duplicates.py,
remember the pairs they found absent), and again after a create whose answer was lost (erp-facts.md
§Idempotent export). Many bills go through the Service Layer's `$batch` (`export_invoices`, export.py and
batch.py). Posting periods and their status are read by `period_locks` (periods.py).
"""

from __future__ import annotations

import datetime as dt
import ssl
from collections.abc import AsyncIterator, Callable, Collection, Iterable, Mapping, Sequence
from functools import partial
from typing import Any, ClassVar

import httpx

from smartap_erp.connectors.base import ConnectorOptions, ERPConnector
from smartap_erp.connectors.common import MappingError, money
from smartap_erp.connectors.credentials import ConnectorCredentials
from smartap_erp.connectors.ledger import ExistingBill, PeriodLocks, bill_key
from smartap_erp.connectors.models import ConnectionInfo, ExportResult, InvoiceExportOutcome, RecordPage
from smartap_erp.connectors.registry import register_connector
from smartap_erp.connectors.removals import ERPRemoval, MappedIds
from smartap_erp.connectors.responses import ErrorDetails
from smartap_erp.connectors.sap import deletions, duplicates, export, payloads, payments, periods
from smartap_erp.connectors.sap.provider import PROVIDER
from smartap_erp.domain import (
    ERPAccount,
    ERPInvoice,
    ERPPaymentStatus,
    ERPPurchaseOrder,
    ERPTaxCode,
    ERPVendor,
    PurchaseOrderStatus,
)
from smartap_erp.domain.enums import ERPEntity, ERPSystem
from smartap_erp.errors import (
    ConfigurationError,
    ERPConfigurationError,
    ERPNotFoundError,
    ERPProtocolError,
    ERPRecordError,
    ERPTransientError,
    ERPValidationError,
)
from smartap_erp.http.call import Call, json_body
from smartap_erp.http.paginate import NextLink
from smartap_erp.http.ratelimit import RateLimitPolicy
from smartap_erp.http.redact import get_logger
from smartap_erp.http.retry import RetryPolicy
from smartap_erp.http.session import ServiceLayerSessionAuth, parse_service_layer_error

log = get_logger(__name__)

API_VERSIONS = ("v1", "v2")
NOT_FOUND_CODE = "-2028"  # "No matching records found (ODBC -2028)"
_VENDOR_FIELDS = (
    "CardCode,CardName,CardType,FederalTaxID,EmailAddress,Phone1,Address,City,ZipCode,Country,"
    "PayTermsGrpCode,Currency,Valid,Frozen,UpdateDate,UpdateTime,BPAddresses"
)
_BILL_KEY_FIELDS = "DocEntry,DocNum,DocTotal,UpdateDate,UpdateTime"
_INVOICE_STATUS_FIELDS = "DocEntry,DocNum,CardCode,DocTotal,DocCurrency,DocumentStatus,Cancelled"
_PAYMENT_FIELDS = (
    "DocEntry,DocNum,DocDate,DocCurrency,CashSum,TransferSum,TransferReference,Cancelled,PaymentInvoices"
)


def _service_root(credentials: ConnectorCredentials, base_url: str | None) -> str:
    # SAP_SERVICE_LAYER_URL reaches here as the service_layer_url credential (the provider fills it).
    root = base_url or credentials.text("service_layer_url")
    if not root:
        raise ConfigurationError(
            "no SAP Service Layer URL: set SAP_SERVICE_LAYER_URL (e.g. https://sap-server:50000) "
            "or the connection's service_layer_url"
        )
    root = root.rstrip("/")
    for version in API_VERSIONS:  # accept a URL that already names the service root
        root = root.removesuffix(f"/b1s/{version}")
    version = (credentials.text("api_version") or "v1").lower()
    if version not in API_VERSIONS:
        raise ConfigurationError(f"SAP api_version must be v1 or v2, not {version!r}")
    return f"{root}/b1s/{version}"


def _certificate_refused(exc: BaseException | None) -> bool:
    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, ssl.SSLCertVerificationError) or "CERTIFICATE_VERIFY_FAILED" in str(exc):
            return True
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return False


@register_connector
class SAPConnector(ERPConnector):
    system: ClassVar[ERPSystem] = ERPSystem(PROVIDER.system)
    # SAP computes line tax from TaxCode / VatGroup (sap.md §Entities, §Accounts and tax codes)
    bill_tax: ClassVar[str] = "rates"
    required_credentials: ClassVar[tuple[str, ...]] = PROVIDER.required_credentials
    retry_policy: ClassVar[RetryPolicy] = PROVIDER.retry
    page_size: int = 500  # no documented maximum (sap.md §Paging); big pages, bounded memory
    since_overlap: dt.timedelta = dt.timedelta(days=1)
    # Export (sync/export/run.py): bills a `$batch` carries, sent and recorded that many at a time; and
    # invoices a step, all looked up in one request before any is created (export.py, duplicates.py).
    export_batch_size: ClassVar[int] = export.EXPORT_BATCH_SIZE
    export_step_size: ClassVar[int] = export.STEP_SIZE

    def __init__(
        self, http: httpx.AsyncClient, credentials: Mapping[str, Any], options: ConnectorOptions | None = None
    ) -> None:
        super().__init__(http, credentials, options)
        self._terms: dict[int, str] | None = None
        self._tax_field: str | None = None
        self.absent_bills: set[tuple[str, str]] = set()  # looked up, no bill there (duplicates.py)

    # ---- construction (SAP_VERIFY_SSL reaches `options.verify` through the provider) ------------
    @classmethod
    def api_base_url(cls, credentials: ConnectorCredentials, base_url: str | None) -> str:
        return _service_root(credentials, base_url) + "/"

    @classmethod
    def build_auth(cls, credentials: ConnectorCredentials, options: ConnectorOptions) -> httpx.Auth | None:
        company_db, username, password = credentials.require(
            "company_db", "username", "password", system="sap"
        )
        return ServiceLayerSessionAuth(
            service_root=_service_root(credentials, options.base_url),
            company_db=company_db,
            username=username,
            password=password,
        )

    @classmethod
    def rate_limits(cls, credentials: ConnectorCredentials) -> Sequence[tuple[str, RateLimitPolicy]]:
        return PROVIDER.rate_limits(credentials)

    @property
    def company_db(self) -> str:
        return str(self.credentials["company_db"])

    def error_details(self, response: httpx.Response) -> ErrorDetails:
        """The Service Layer envelope, v1 or v2 (sap.md §Error bodies); -2028 is a missing record."""
        code, message = parse_service_layer_error(response)
        if code is None and message is None:
            return ErrorDetails(message=f"HTTP {response.status_code} {response.reason_phrase}".strip())
        error_class = ERPNotFoundError if code == NOT_FOUND_CODE else None
        return ErrorDetails(code=code, message=message, error_class=error_class)

    async def send(self, call: Call) -> httpx.Response:
        try:
            return await super().send(call)
        except ERPTransientError as exc:
            if _certificate_refused(exc.__context__):
                raise ERPConfigurationError(
                    "the SAP server's TLS certificate was refused; give its CA bundle as `verify` "
                    "or, on a trusted network only, set SAP_VERIFY_SSL=false",
                    erp=self.system,
                    url=exc.url,
                    method=exc.method,
                ) from None
            raise

    # ---- helpers -------------------------------------------------------------------------------
    async def _json(self, call: Call, keys: Mapping[str, type] | None = None) -> Any:
        """The answer's JSON object, checked (`json_body`): never an empty or non-JSON 200."""
        return json_body(await self.send(call), self.system, keys=keys)

    def _query(
        self,
        resource: str,
        *,
        filter_: str | None = None,
        select: str | None = None,
        orderby: str | None = None,
        top: int | None = None,
    ) -> Call:
        params: dict[str, object] = {}
        if filter_:
            params["$filter"] = filter_
        if select:
            params["$select"] = select
        if orderby:
            params["$orderby"] = orderby
        if top is not None:
            params["$top"] = top
        return Call.get(resource, params=params, headers={"Prefer": f"odata.maxpagesize={self.page_size}"})

    def query_call(self, resource: str, **options: str) -> Call:
        return self._query(resource, **options)  # type: ignore[arg-type]

    def iter_removals(
        self, entity: ERPEntity, since: dt.datetime | None, mapped: MappedIds
    ) -> AsyncIterator[list[ERPRemoval]] | None:
        """Removed suppliers by key-list comparison (`deletions.py`); documents are only cancelled."""
        if entity is not ERPEntity.VENDOR:
            return None
        return deletions.missing_partners(self, mapped)

    async def _walk(
        self, call: Call, mapper: Callable[[Any], Any], id_key: str
    ) -> AsyncIterator[RecordPage[Any]]:
        async for page in self.pages(call, NextLink(), "value"):
            yield self.to_page(page.records, mapper, id_key)

    async def _rows(self, call: Call) -> list[Any]:
        rows: list[Any] = []
        async for page in self.pages(call, NextLink(), "value"):
            rows.extend(page.records)
        return rows

    async def _payment_terms(self) -> dict[int, str]:
        if self._terms is None:
            rows = await self._rows(
                self._query("PaymentTermsTypes", select="GroupNumber,PaymentTermsGroupName")
            )
            self._terms = {int(r["GroupNumber"]): str(r["PaymentTermsGroupName"]) for r in rows}
        return self._terms

    async def _line_tax_field(self) -> str:
        """`VatGroup` in VAT localisations, `TaxCode` in US/CA ones (sap.md §Accounts and tax codes)."""
        if self._tax_field is None:
            try:
                vat = await self._rows(self._query("VatGroups", select="Code", top=1))
            except ERPRecordError:
                vat = []
            self._tax_field = "VatGroup" if vat else "TaxCode"
        return self._tax_field

    # ---- reads -----------------------------------------------------------------------------------
    async def test_connection(self) -> ConnectionInfo:
        info = await self._json(
            Call("POST", "CompanyService_GetCompanyInfo", idempotent=True), {"CompanyName": str}
        )
        admin = await self._json(
            Call("POST", "CompanyService_GetAdminInfo", idempotent=True), {"LocalCurrency": str}
        )
        return ConnectionInfo(
            system=self.system,
            company_name=str(info.get("CompanyName") or self.company_db),
            company_id=self.company_db,
            country=admin.get("Country"),
            base_currency=admin.get("LocalCurrency"),
            details={"version": str(info.get("Version") or "")},
            checked_at=self.now(),
        )

    async def iter_vendors(self, since: dt.datetime | None = None) -> AsyncIterator[RecordPage[ERPVendor]]:
        # Suppliers only (CardType S); frozen and invalid ones come through as deactivations.
        clauses = ["CardType eq 'cSupplier'", payloads.since_filter(since, self.since_overlap)]
        call = self._query(
            "BusinessPartners",
            filter_=" and ".join(c for c in clauses if c),
            select=_VENDOR_FIELDS,
            orderby="CardCode",
        )
        async for page in self.pages(call, NextLink(), "value"):
            # the terms are read once, and only when there is a vendor to name them for
            terms = await self._payment_terms() if page.records else {}
            yield self.to_page(page.records, partial(payloads.vendor_from_partner, terms=terms), "CardCode")

    async def iter_purchase_orders(
        self, since: dt.datetime | None = None, status_filter: list[PurchaseOrderStatus] | None = None
    ) -> AsyncIterator[RecordPage[ERPPurchaseOrder]]:
        status = payloads.po_status_filter(status_filter)
        clauses = [f"({status})" if status else None, payloads.since_filter(since, self.since_overlap)]
        call = self._query(
            "PurchaseOrders", filter_=" and ".join(c for c in clauses if c), orderby="DocEntry"
        )
        async for page in self._walk(call, payloads.purchase_order_from_document, "DocEntry"):
            yield page

    async def get_accounts(self) -> list[ERPAccount]:
        call = self._query(
            "ChartOfAccounts",
            orderby="Code",
            select="Code,Name,FormatCode,ActiveAccount,AccountType,AcctCurrency,FrozenFor",
        )
        return [a async for page in self._walk(call, payloads.account_from_sap, "Code") for a in page]

    async def get_tax_codes(self) -> list[ERPTaxCode]:
        """VAT groups and US/CA sales-tax codes; a localisation without one of them is skipped."""
        codes: list[ERPTaxCode] = []
        sources: list[tuple[str, Callable[[Any], ERPTaxCode]]] = [
            ("VatGroups", payloads.tax_code_from_vat_group),
            ("SalesTaxCodes", payloads.tax_code_from_sales_tax),
        ]
        for resource, mapper in sources:
            try:
                codes.extend(
                    [
                        c
                        async for page in self._walk(self._query(resource, orderby="Code"), mapper, "Code")
                        for c in page
                    ]
                )
            except ERPNotFoundError:
                log.info("SAP company %s has no %s", self.company_db, resource)
        return codes

    # ---- payment status ------------------------------------------------------------------------
    async def sync_payment_status(self, external_invoice_id: str) -> ERPPaymentStatus:
        doc_entry = _doc_entry(external_invoice_id)
        invoice = await self._json(
            Call.get(
                f"PurchaseInvoices({doc_entry})",
                params={"$select": _INVOICE_STATUS_FIELDS},
            ),
            {"CardCode": str},
        )
        # VendorPayments (OVPM, object 46), never IncomingPayments (erp-facts.md §Seed corrections); the
        # PaymentInvoices collection cannot be filtered server-side in v3, so filter by supplier and match
        # here.
        card = payloads.odata_string(str(invoice["CardCode"]))
        payments = await self._rows(
            self._query(
                "VendorPayments",
                filter_=f"CardCode eq {card} and Cancelled eq 'tNO'",
                select=_PAYMENT_FIELDS,
                orderby="DocEntry",
            )
        )
        try:
            return payloads.payment_status_from(invoice, payments, self.now())
        except (payloads.SAPMappingError, ValueError) as exc:
            raise ERPProtocolError(
                f"unreadable payment data for A/P invoice {doc_entry}: {exc}", erp=self.system
            ) from None

    def iter_payment_changes(
        self, since: dt.datetime, bill_ids: Collection[str] | None = None
    ) -> AsyncIterator[RecordPage[ERPPaymentStatus]] | None:
        """No change feed in the Service Layer (payments carry no UpdateDate, erp-facts.md §3.7), so the
        status of the bills asked for is read by DocEntry runs in large pages, with their suppliers'
        payments (`payments.py`): a bounded number of requests, never one per bill."""
        if bill_ids is None:
            return None
        return payments.statuses(self, [_doc_entry(value) for value in bill_ids])

    # ---- export's checks (sync.export.guards) ------------------------------------------------
    async def period_locks(self) -> PeriodLocks:
        return await periods.read_locks(self)

    async def find_bills(self, invoices: Sequence[ERPInvoice]) -> list[ExistingBill]:
        return await duplicates.find_bills(self, invoices)

    # ---- bills ---------------------------------------------------------------------------------
    async def _find_bill(self, invoice: ERPInvoice) -> dict[str, Any] | None:
        """The live A/P invoice with this supplier and supplier reference, if any (our idempotency key)."""
        clause = (
            f"CardCode eq {payloads.odata_string(invoice.vendor_id)} and "
            f"NumAtCard eq {payloads.odata_string(invoice.invoice_number)} and Cancelled eq 'tNO'"
        )
        rows = await self._rows(
            self._query("PurchaseInvoices", filter_=clause, select=_BILL_KEY_FIELDS, orderby="DocEntry")
        )
        return dict(rows[0]) if rows else None

    def bill_result(self, doc: Mapping[str, Any], created: bool) -> ExportResult:
        stamp = payloads.parse_stamp(doc.get("UpdateDate"), doc.get("UpdateTime"))
        return ExportResult(
            external_id=str(doc["DocEntry"]),
            external_number=None if doc.get("DocNum") is None else str(doc["DocNum"]),
            created=created,
            exported_at=self.now(),
            version=None if stamp is None else stamp.isoformat(),
            # The total SAP computed (lines + VatSum); the exporter compares it with the invoice's.
            erp_total=None if doc.get("DocTotal") is None else money(doc["DocTotal"], "DocTotal"),
        )

    async def purchase_order(self, purchase_order_id: str) -> Any:
        return await self._json(Call.get(f"PurchaseOrders({_doc_entry(purchase_order_id)})"))

    async def bill_body(self, invoice: ERPInvoice, po: Mapping[str, Any] | None) -> dict[str, Any]:
        """The A/P invoice to POST (payloads.py); a mapping problem is that invoice's validation error."""
        try:
            return payloads.document_from_invoice(invoice, po, tax_field=await self._line_tax_field())
        except MappingError as exc:
            raise ERPValidationError(
                f"invoice {invoice.invoice_number} cannot be sent to SAP: {exc}",
                erp=self.system,
                field=exc.field,
            ) from None

    async def export_invoice(self, invoice: ERPInvoice) -> ExportResult:
        key = bill_key(invoice.vendor_id, invoice.invoice_number)
        if key in self.absent_bills:  # export's checks looked it up moments ago (one look-up per batch)
            self.absent_bills.discard(key)
            existing = None
        else:
            existing = await self._find_bill(invoice)
        if existing is not None:
            log.info("SAP already has A/P invoice %s for %s", existing["DocEntry"], invoice.vendor_id)
            return self.bill_result(existing, created=False)
        po = await self.purchase_order(invoice.purchase_order_id) if invoice.purchase_order_id else None
        body = await self.bill_body(invoice, po)
        try:
            created = await self._json(Call("POST", "PurchaseInvoices", json=body))
        except ERPTransientError:
            # Lost answer ("commit then fail"): the bill may exist. Look before anyone retries.
            found = await self._find_bill(invoice)
            if found is None:
                raise
            log.warning("SAP stored A/P invoice %s but its answer was lost", found["DocEntry"])
            return self.bill_result(found, created=True)
        return self.bill_result(created, created=True)

    async def export_invoices(self, invoices: Iterable[ERPInvoice]) -> list[InvoiceExportOutcome]:
        """Many bills in `$batch` requests, with the guarantees of `export_invoice` (export.py)."""
        return await export.export_invoices(self, list(invoices))


def _doc_entry(value: str) -> int:
    text = str(value).strip()
    if not text.isdigit():
        raise ERPValidationError(f"{value!r} is not an SAP DocEntry", erp=ERPSystem.SAP, field="DocEntry")
    return int(text)
