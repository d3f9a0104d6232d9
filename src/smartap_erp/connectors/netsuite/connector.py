"""`NetSuiteConnector`: NetSuite through the shipped RESTlets or through SuiteTalk REST web services.

A connection picks its mode with the optional credential `mode` (`restlet`, the default, or `rest`);
the public behaviour is the same. Both are signed by the toolkit's TBA flow (`OAuth1TBAAuth`,
netsuite-connector.md §Token-based authentication), retried by the toolkit's loop (RESTlets signal the account
concurrency limit with HTTP 400 `SSS_REQUEST_LIMIT_EXCEEDED`, REST with 429,
netsuite-connector.md §Concurrency; `limits.RETRY_POLICY`), and held under the account's concurrency
semaphore (`policies.netsuite_limits`, credential `concurrency_limit`, default 2 so other integrations keep
their share). RESTlet mode reads pages of full records with `since`/`offset`/`limit`; REST mode pages ids out
of SuiteQL (`Prefer: transient`, up to 1,000 rows, ordered by lastmodifieddate then id,
netsuite-connector.md §SuiteQL) and reads each record with `expandSubResources`. Bills are exported
idempotently by `externalId` (RESTlet POST returns the existing bill; REST looks it up by `eid:` and upserts
with `PUT .../vendorBill/eid:<id>`, netsuite-connector.md §REST record API); RESTlet mode exports many bills
in batch POSTs of up to 100 (export.py), REST mode one bill at a time. Currency codes: a currency
reference's `refName` is a display name ("US Dollar"); the RESTlets add the ISO code as `symbol`, and REST
mode reads it once per currency from `GET /record/v1/currency/<id>` (field `symbol`), cached for the
connector's lifetime. Export's checks read accounting periods (`period_locks`, periods.py) and look bills up
by `tranid` (`find_bills`, duplicates.py), both through SuiteQL.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator, Collection, Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any, ClassVar

import httpx

from smartap_erp.connectors.base import ConnectorOptions, ERPConnector, rebase_url
from smartap_erp.connectors.credentials import ConnectorCredentials
from smartap_erp.connectors.ledger import ExistingBill, PeriodLocks
from smartap_erp.connectors.models import ConnectionInfo, ExportResult, InvoiceExportOutcome, RecordPage
from smartap_erp.connectors.netsuite import deletions, duplicates, export, payloads, payments, periods
from smartap_erp.connectors.netsuite.provider import PROVIDER
from smartap_erp.connectors.registry import register_connector
from smartap_erp.connectors.removals import ERPRemoval, MappedIds
from smartap_erp.connectors.responses import ErrorDetails
from smartap_erp.domain.enums import ERPEntity, ERPSystem, PurchaseOrderStatus
from smartap_erp.domain.models import (
    ERPAccount,
    ERPInvoice,
    ERPPaymentStatus,
    ERPPurchaseOrder,
    ERPTaxCode,
    ERPVendor,
)
from smartap_erp.errors import (
    ConfigurationError,
    ERPConfigurationError,
    ERPDuplicateError,
    ERPNotFoundError,
    ERPValidationError,
)
from smartap_erp.http.call import Call, json_body, read_json
from smartap_erp.http.oauth1 import OAuth1TBAAuth
from smartap_erp.http.paginate import OffsetLimit
from smartap_erp.http.ratelimit import RateLimitPolicy

RESTLET_PATH = "/app/site/hosting/restlet.nl"
RECORD = "/services/rest/record/v1"
SUITEQL = "/services/rest/query/v1/suiteql"
PAGE_SIZE = 1000  # RESTlet max and SuiteQL max (netsuite-connector.md §REST record API, §SuiteQL)
# record family -> (credential key overriding the script id, default script id, default deploy id)
SCRIPTS = {
    "vendor": ("customscript_smartap_vendor", "customdeploy_smartap_vendor"),
    "po": ("customscript_smartap_po", "customdeploy_smartap_po"),
    "bill": ("customscript_smartap_bill", "customdeploy_smartap_bill"),
    "account": ("customscript_smartap_account", "customdeploy_smartap_account"),
    "taxcode": ("customscript_smartap_taxcode", "customdeploy_smartap_taxcode"),
}
_VALIDATION_CODES = frozenset(
    {"INVALID_FIELD_VALUE", "MISSING_REQUIRED_FIELD", "INVALID_KEY_OR_REF", "INVALID_PARAMETER"}
)


def host_form(account_id: str) -> str:
    """`1234567_SB1` -> `1234567-sb1` for host names (netsuite-connector.md §Hosts and realm)."""
    return account_id.strip().replace("_", "-").lower()


def suiteql_timestamp(when: dt.datetime) -> str:
    moment = when.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S")
    return f"TO_TIMESTAMP('{moment}', 'YYYY-MM-DD HH24:MI:SS')"


@register_connector
class NetSuiteConnector(ERPConnector):
    system = ERPSystem(PROVIDER.system)
    required_credentials: ClassVar[tuple[str, ...]] = PROVIDER.required_credentials
    retry_policy = PROVIDER.retry
    # lines take their tax as an editable tax1Amt (netsuite-connector.md §Record fields)
    bill_tax: ClassVar[str] = "amounts"
    page_size: ClassVar[int] = PAGE_SIZE
    restlet_path: ClassVar[str] = RESTLET_PATH
    # bills per export_invoices call, which the export run records as soon as it is answered: one
    # RESTlet batch POST (export.py; REST mode sends them one by one)
    export_batch_size: ClassVar[int] = export.BATCH_SIZE

    def __init__(
        self, http: httpx.AsyncClient, credentials: Mapping[str, Any], options: ConnectorOptions | None = None
    ) -> None:
        super().__init__(http, credentials, options)
        # currency internal id -> ISO code ("" when the record has none); REST mode only.
        self._currency_codes: dict[str, str] = {}
        self._currency_lock = asyncio.Lock()

    # ---- construction ------------------------------------------------------------------------
    @classmethod
    def mode_of(cls, credentials: Mapping[str, Any]) -> str:
        mode = str(credentials.get("mode") or "restlet").lower()
        if mode not in ("restlet", "rest"):
            raise ConfigurationError(f"netsuite mode must be 'restlet' or 'rest', not {mode!r}")
        return mode

    @classmethod
    def api_base_url(cls, credentials: ConnectorCredentials, base_url: str | None) -> str:
        service = "restlets" if cls.mode_of(credentials) == "restlet" else "suitetalk"
        real = f"https://{host_form(str(credentials['account_id']))}.{service}.api.netsuite.com"
        return rebase_url(real, base_url)

    @classmethod
    def build_auth(cls, credentials: ConnectorCredentials, options: ConnectorOptions) -> httpx.Auth | None:
        account, key, secret, token, token_secret = credentials.require(*cls.required_credentials)
        return OAuth1TBAAuth(
            account_id=account,
            consumer_key=key,
            consumer_secret=secret,
            token_id=token,
            token_secret=token_secret,
            clock=options.clock,
        )

    @classmethod
    def rate_limits(cls, credentials: ConnectorCredentials) -> Sequence[tuple[str, RateLimitPolicy]]:
        return PROVIDER.rate_limits(credentials)

    @classmethod
    def default_headers(cls, credentials: ConnectorCredentials) -> Mapping[str, str]:
        return {"Content-Type": "application/json", "Accept": "application/json"}

    @property
    def mode(self) -> str:
        return self.mode_of(self.credentials)

    # ---- errors ------------------------------------------------------------------------------
    def error_details(self, response: httpx.Response) -> ErrorDetails:
        try:
            body = read_json(response)
        except ValueError:
            return ErrorDetails(message=response.text[:200] or None)
        body = body if isinstance(body, dict) else {}
        if isinstance(body.get("error"), dict):  # RESTlet: {"error": {"code", "message"}}
            code, message = body["error"].get("code"), body["error"].get("message")
            field = None
        else:  # REST: {"o:errorDetails": [{"detail", "o:errorCode", "o:errorPath"}]}
            detail = (body.get("o:errorDetails") or [{}])[0]
            code, message, field = detail.get("o:errorCode"), detail.get("detail"), detail.get("o:errorPath")
        return ErrorDetails(
            code=code, message=message, field=field, error_class=self._error_class(response.status_code, code)
        )

    @staticmethod
    def _error_class(status: int, code: str | None) -> type[Any] | None:
        if code == "NOT_FOUND":  # RESTlets throw NOT_FOUND with HTTP 400
            return ERPNotFoundError
        if code == "DUP_RCRD":
            return ERPDuplicateError
        if status == 400 and code in _VALIDATION_CODES:
            return ERPValidationError
        return None

    error_class = _error_class  # the class of a RESTlet error code (batch answers, export.py)

    # ---- low-level reads ---------------------------------------------------------------------
    def _restlet(self, family: str, params: Mapping[str, object] | None = None) -> Call:
        script, deploy = SCRIPTS[family]
        script = self.credentials.text(f"{family}_script_id", script) or script
        deploy = self.credentials.text(f"{family}_deploy_id", deploy) or deploy
        return Call.get(RESTLET_PATH, {"script": script, "deploy": deploy, **(params or {})})

    def restlet_params(self, family: str) -> tuple[tuple[str, str], ...]:
        """The `script` / `deploy` query of a RESTlet family (`vendor`, `po`, `bill`, ...)."""
        return self._restlet(family).params

    async def json_answer(self, call: Call, keys: Mapping[str, type] | None = None) -> Any:
        return await self._json(call, keys)

    async def _json(self, call: Call, keys: Mapping[str, type] | None = None) -> Any:
        """The answer's JSON object, checked (`json_body`): never an empty or non-JSON 200."""
        return json_body(await self.send(call), self.system, keys=keys)

    async def _restlet_pages(self, family: str, params: Mapping[str, object]) -> AsyncIterator[list[Any]]:
        call = self._restlet(family, params)
        async for page in self.pages(call, OffsetLimit(limit=self.page_size), "items"):
            yield page.records

    @property
    def host(self) -> str:
        return host_form(str(self.credentials["account_id"]))

    def suiteql_call(self, query: str) -> Call:
        return self._suiteql(query)

    def iter_removals(
        self, entity: ERPEntity, since: dt.datetime | None, mapped: MappedIds
    ) -> AsyncIterator[list[ERPRemoval]] | None:
        """Deleted vendors, purchase orders and bills from SuiteQL's DeletedRecord (`deletions.py`)."""
        if entity not in deletions.RECORD_TYPE:
            return None
        literal = suiteql_timestamp(since) if since is not None else None
        return deletions.deleted_records(self, entity, suiteql_path=SUITEQL, since_literal=literal)

    def _suiteql(self, query: str) -> Call:
        # netsuite-connector.md §SuiteQL: POST with `Prefer: transient`; a read, so replaying it is safe.
        return Call(
            "POST",
            SUITEQL,
            headers=(("Prefer", "transient"),),
            content=payloads.dumps({"q": query}),
            idempotent=True,
        )

    async def suiteql_rows(self, query: str) -> AsyncIterator[list[Any]]:
        async for page in self.pages(self._suiteql(query), OffsetLimit(limit=self.page_size), "items"):
            yield page.records

    async def _record(self, record_type: str, key: str) -> Any:
        return await self._json(Call.get(f"{RECORD}/{record_type}/{key}", {"expandSubResources": "true"}))

    async def currency_codes(self, ids: set[str]) -> dict[str, str]:
        """ISO codes of currencies by internal id, each read once per connector (REST record API)."""
        async with self._currency_lock:  # concurrent pages wait for one read instead of repeating it
            missing = sorted(ids - self._currency_codes.keys())
            found = await asyncio.gather(*(self._read_currency_code(cid) for cid in missing))
            self._currency_codes.update(zip(missing, found, strict=True))
        return {cid: self._currency_codes[cid] for cid in ids}

    async def _read_currency_code(self, currency_id: str) -> str:
        try:
            record = await self._json(Call.get(f"{RECORD}/currency/{currency_id}"))
        except ERPNotFoundError:
            return ""  # the mapping then reports the record's currency as unusable
        return str(record.get("symbol") or "")

    async def _with_currency_codes(self, records: Sequence[Any]) -> list[Any]:
        """REST records with the ISO code added to their currency reference as `symbol`."""
        ids = {cid for r in records if isinstance(r, Mapping) and (cid := payloads.currency_id(r))}
        if not ids:
            return list(records)
        codes = await self.currency_codes(ids)
        return [payloads.with_currency_code(r, codes) if isinstance(r, Mapping) else r for r in records]

    async def _records_since(
        self, record_type: str, table: str, since: dt.datetime | None, extra: str = ""
    ) -> AsyncIterator[list[Any]]:
        conditions = [extra] if extra else []
        if since is not None:
            conditions.append(f"lastmodifieddate >= {suiteql_timestamp(since)}")
        where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
        query = f"SELECT id FROM {table}{where} ORDER BY lastmodifieddate, id"  # noqa: S608 (no user input)
        async for rows in self.suiteql_rows(query):
            # The account semaphore (rate_limits) bounds these concurrent reads.
            records = await asyncio.gather(*(self._record(record_type, row["id"]) for row in rows))
            yield await self._with_currency_codes(records)

    # ---- export's checks (sync.export.guards) ------------------------------------------------
    async def period_locks(self) -> PeriodLocks:
        return await periods.read_locks(self)

    async def find_bills(self, invoices: Sequence[ERPInvoice]) -> list[ExistingBill]:
        return await duplicates.find_bills(self, invoices)

    # ---- the interface -----------------------------------------------------------------------
    async def test_connection(self) -> ConnectionInfo:
        if self.mode == "restlet":
            await self._json(self._restlet("account", {"limit": 1}), {"items": list})
        else:
            query = self._suiteql("SELECT id FROM account ORDER BY id").with_params({"limit": 1})
            await self._json(query, {"items": list})
        account = str(self.credentials["account_id"])
        return ConnectionInfo(
            system=self.system,
            company_name=f"NetSuite account {account}",
            company_id=account,
            details={"mode": self.mode},
            checked_at=self.now(),
        )

    async def iter_vendors(self, since: dt.datetime | None = None) -> AsyncIterator[RecordPage[ERPVendor]]:
        pages = (
            self._restlet_pages("vendor", self._since(since))
            if self.mode == "restlet"
            else self._records_since("vendor", "vendor", since)
        )
        async for records in pages:
            yield self.to_page(records, payloads.vendor_from_netsuite, "id")

    async def iter_purchase_orders(
        self, since: dt.datetime | None = None, status_filter: list[PurchaseOrderStatus] | None = None
    ) -> AsyncIterator[RecordPage[ERPPurchaseOrder]]:
        wanted = set(status_filter or ())
        if self.mode == "restlet":
            params = self._since(since)
            if wanted:
                params["status"] = ",".join(sorted(s.value for s in wanted))
            pages = self._restlet_pages("po", params)
        else:
            pages = self._records_since("purchaseOrder", "transaction", since, "type = 'PurchOrd'")
        async for records in pages:
            page = self.to_page(records, payloads.purchase_order_from_netsuite, "id")
            if wanted and self.mode == "rest":
                page = RecordPage(
                    o for o in page.outcomes if not isinstance(o, ERPPurchaseOrder) or o.status in wanted
                )
            yield page

    @staticmethod
    def _since(since: dt.datetime | None) -> dict[str, object]:
        if since is None:
            return {}
        return {"since": since.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")}

    async def export_invoice(self, invoice: ERPInvoice) -> ExportResult:
        if self.mode == "restlet":
            body = payloads.bill_body(invoice, rest=False)
            # Idempotent by externalId (the script returns the existing bill), so safe to replay.
            call = Call(
                "POST",
                RESTLET_PATH,
                params=self._restlet("bill").params,
                content=payloads.dumps(body),
                idempotent=True,
            )
            result = await self._json(call)
            return ExportResult(
                external_id=str(result["id"]),
                external_number=result.get("tranId"),
                created=bool(result["created"]),
                exported_at=self.now(),
                version=result.get("bill", {}).get("lastModifiedDate"),
                erp_total=_total(result.get("bill") or {}),
            )
        return await self._export_rest(invoice)

    async def export_invoices(self, invoices: Iterable[ERPInvoice]) -> list[InvoiceExportOutcome]:
        """RESTlet mode: batches of up to 100 bills a POST (export.py). REST mode: one upsert per bill, the
        record API having no bulk create (netsuite-connector.md §REST record API)."""
        if self.mode == "restlet":
            return await export.restlet_batches(self, list(invoices))
        return await super().export_invoices(invoices)

    async def _export_rest(self, invoice: ERPInvoice) -> ExportResult:
        external = payloads.bill_external_id(invoice)
        try:
            existing = await self._json(Call.get(f"{RECORD}/vendorBill/eid:{external}"))
        except ERPNotFoundError:
            existing = None
        if existing is not None:
            return ExportResult(
                external_id=str(existing["id"]),
                external_number=existing.get("tranId"),
                created=False,
                exported_at=self.now(),
                version=existing.get("lastModifiedDate"),
                erp_total=_total(existing),
            )
        body = payloads.bill_body(invoice, rest=True)
        body.pop("externalId")
        # Upsert by external id (netsuite-connector.md §REST record API): a replay after a lost response
        # updates the same bill.
        response = await self.send(
            Call("PUT", f"{RECORD}/vendorBill/eid:{external}", content=payloads.dumps(body), idempotent=True)
        )
        new_id = response.headers.get("Location", "").rstrip("/").rsplit("/", 1)[-1]
        # 204 has no body (netsuite-connector.md §REST record API): read the bill back for the total NetSuite
        # computed.
        stored = await self._json(Call.get(f"{RECORD}/vendorBill/{new_id}"))
        return ExportResult(
            external_id=new_id,
            external_number=invoice.invoice_number,
            created=True,
            exported_at=self.now(),
            erp_total=_total(stored),
        )

    def iter_payment_changes(
        self, since: dt.datetime, bill_ids: Collection[str] | None = None
    ) -> AsyncIterator[RecordPage[ERPPaymentStatus]]:
        return self._payment_changes(since, None if bill_ids is None else set(bill_ids))

    async def _payment_changes(
        self, since: dt.datetime, wanted: set[str] | None
    ) -> AsyncIterator[RecordPage[ERPPaymentStatus]]:
        """Bills changed since `since` (lastModifiedDate): RESTlet mode lists whole bills with their
        payments; REST mode reads them with their payments in one paged SuiteQL query (payments.py)."""
        now = self.now()
        if self.mode == "restlet":
            async for records in self._restlet_pages("bill", self._since(since)):
                yield self.to_page(
                    records,
                    lambda bill: payloads.payment_status_from_netsuite(
                        bill, bill.get("payments") or [], checked_at=now
                    ),
                    "id",
                )
            return
        async for page in payments.changed_since(self, suiteql_timestamp(since), wanted, now):
            yield page

    async def sync_payment_status(self, external_invoice_id: str) -> ERPPaymentStatus:
        if self.mode == "restlet":
            bill = await self._json(self._restlet("bill", {"id": external_invoice_id}))
            return self.status_of(bill, bill.get("payments") or [])
        return await payments.one(self, external_invoice_id)

    def status_of(self, bill: Any, payments: Sequence[Any]) -> ERPPaymentStatus:
        try:
            return payloads.payment_status_from_netsuite(bill, payments, checked_at=self.now())
        except payloads.CurrencyCodeError as exc:
            # Not this bill's fault: outdated RESTlets, or a currency record without an ISO code.
            raise ERPConfigurationError(str(exc), erp=self.system) from None

    async def get_accounts(self) -> list[ERPAccount]:
        query = (
            "SELECT id, acctnumber, accountsearchdisplayname, accttype, isinactive FROM account ORDER BY id"
        )
        pages = await self._reference("account", query)
        return [a for page in pages for a in self.to_page(page, payloads.account_from_netsuite, "id")]

    async def get_tax_codes(self) -> list[ERPTaxCode]:
        # The salestaxitem table depends on the account's tax setup (netsuite-connector.md §REST record API,
        # UNCERTAIN).
        query = "SELECT id, itemid, description, rate, isinactive FROM salestaxitem ORDER BY id"
        pages = await self._reference("taxcode", query)
        return [t for page in pages for t in self.to_page(page, payloads.tax_code_from_netsuite, "id")]

    async def _reference(self, family: str, query: str) -> list[list[Any]]:
        pages = self._restlet_pages(family, {}) if self.mode == "restlet" else self.suiteql_rows(query)
        return [records async for records in pages]


def _total(bill: Mapping[str, Any]) -> Decimal | None:
    """The bill's `total` as NetSuite computed it (lines plus tax), if the record carries one."""
    value = bill.get("total")
    return None if value is None else Decimal(str(value))
