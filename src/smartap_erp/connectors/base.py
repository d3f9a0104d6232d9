"""`ERPConnector`: the interface every ERP connector implements, and the loops written once for all.

A connector subclass declares its ERP (`system`), the credential keys it needs, its retry policy and
rate limits as data, and four construction hooks (`api_base_url`, `build_auth`, `rate_limits`,
`default_headers`); `create()` wires them into the one HTTP client (`smartap_erp.http.build_client`).
It then implements the ERP-specific methods: `test_connection`, the streaming `iter_vendors` /
`iter_purchase_orders` (pages of standard models), `export_invoice`, `sync_payment_status`,
`get_accounts`, `get_tax_codes`. The base implements `authenticate`, `export_invoices` (one by one,
record errors captured per invoice; override with the ERP's batch endpoint), `close()`, the async
context manager, and the seed's `import_vendors` / `import_purchase_orders`: a thin facade over the
same `iter_*` pages the sync engine streams, read through `LimitedPages` (the one reader of "pages up
to a limit", which `sync.imports.run.ImportRun` uses too), returning a `SyncResult[ERPVendor]` /
`SyncResult[ERPPurchaseOrder]` of typed records and per-record `RecordError`s. `limit=None` means every
record the caller asked for (all changed since `since`), held in memory: that is what the seed's call
promises, and its users are tests, scripts and previews that pass a `limit` when the ERP is large; the
product's imports never hold more than a page (they go through `ERPSyncService`). Helpers `send`,
`pages` and `to_page` give subclasses error mapping, the guarded paging loop and per-record mapping.
Connectors never build clients, sleep, retry, refresh tokens or log in themselves.
"""

from __future__ import annotations

import abc
import datetime as dt
import ssl
from collections.abc import AsyncIterator, Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Generic, Self, TypeVar
from urllib.parse import urlsplit

import httpx
from pydantic import BaseModel

from smartap_erp.connectors.credentials import ConnectorCredentials
from smartap_erp.connectors.models import ConnectionInfo, ExportResult, InvoiceExportOutcome, RecordPage
from smartap_erp.connectors.responses import (
    ErrorDetails,
    error_for_response,
    generic_error_details,
    record_error_from,
    transport_error,
)
from smartap_erp.domain.enums import ERPEntity, ERPSystem, PurchaseOrderStatus
from smartap_erp.domain.models import (
    ERPAccount,
    ERPInvoice,
    ERPPaymentStatus,
    ERPPurchaseOrder,
    ERPTaxCode,
    ERPVendor,
)
from smartap_erp.domain.results import RecordError, SyncResult
from smartap_erp.errors import ERPAuthError, ERPProtocolError, ERPRecordError
from smartap_erp.http.call import Call
from smartap_erp.http.client import build_client, close_client
from smartap_erp.http.clock import (
    Clock,
    Random,
    Sleep,
    system_clock,
    system_random,
    system_sleep,
    to_datetime,
)
from smartap_erp.http.paginate import DEFAULT_MAX_PAGES, Page, Paginator, iter_pages
from smartap_erp.http.ratelimit import LimiterRegistry, RateLimitPolicy, default_limiters
from smartap_erp.http.redact import get_logger, redact_url
from smartap_erp.http.retry import RetryPolicy
from smartap_erp.http.tokens import TokenStore

log = get_logger(__name__)

M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class ConnectorOptions:
    """How to reach the ERP and what to inject. Defaults talk to the real ERP with real time."""

    base_url: str | None = None
    token_store: TokenStore | None = None
    transport: httpx.AsyncBaseTransport | None = None
    clock: Clock = system_clock
    sleep: Sleep = system_sleep
    random: Random = system_random
    limiters: LimiterRegistry = field(default_factory=lambda: default_limiters)
    retry: RetryPolicy | None = None
    timeout: httpx.Timeout | float | None = None
    verify: ssl.SSLContext | str | bool = True


def rebase_url(default_url: str, base_url: str | None) -> str:
    """`default_url` moved under `base_url` (a simulator root), keeping its path; unchanged if None.

    `rebase_url("https://identity.xero.com/connect/token", "http://127.0.0.1:8080")` is
    `"http://127.0.0.1:8080/connect/token"`: simulators serve every real path under one root.
    """
    if not base_url:
        return default_url
    parts = urlsplit(default_url)
    return base_url.rstrip("/") + parts.path + (f"?{parts.query}" if parts.query else "")


class ERPConnector(abc.ABC):
    """One ERP, reached through a ready `httpx.AsyncClient` (`self.http`)."""

    system: ClassVar[ERPSystem]
    required_credentials: ClassVar[tuple[str, ...]] = ()
    retry_policy: ClassVar[RetryPolicy] = RetryPolicy()
    max_pages: ClassVar[int] = DEFAULT_MAX_PAGES
    # How far back a `since` read can reach (a change feed's retention, e.g. QBO CDC's 30 days,
    # quickbooks.md §Change data capture); None: any `since` works. The sync engine falls back to a full read
    # past it.
    change_window: ClassVar[dt.timedelta | None] = None
    # Which `ERPAccount` field a bill line's `account_code` must carry: the ERP id by default.
    account_reference: ClassVar[str] = "external_id"

    def __init__(
        self,
        http: httpx.AsyncClient,
        credentials: Mapping[str, Any],
        options: ConnectorOptions | None = None,
    ) -> None:
        self.http = http
        self.credentials = ConnectorCredentials.of(credentials)
        self.options = options or ConnectorOptions()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={redact_url(self.http.base_url)!r})"

    # ---- construction ------------------------------------------------------------------------
    @classmethod
    def create(cls, credentials: Mapping[str, Any], options: ConnectorOptions | None = None) -> Self:
        """Check the credentials, build the HTTP client (auth, limiters, retry) and the connector."""
        options = options or ConnectorOptions()
        creds = ConnectorCredentials.of(credentials)
        creds.require(*cls.required_credentials, system=cls.system.value)
        limiters = [
            options.limiters.get(key, policy, erp=cls.system, clock=options.clock, sleep=options.sleep)
            for key, policy in cls.rate_limits(creds)
        ]
        http = build_client(
            cls.api_base_url(creds, options.base_url),
            auth=cls.build_auth(creds, options),
            headers=cls.default_headers(creds),
            transport=options.transport,
            retry=options.retry or cls.retry_policy,
            limiters=limiters,
            timeout=options.timeout,
            clock=options.clock,
            sleep=options.sleep,
            random=options.random,
            verify=options.verify,
        )
        return cls(http, creds, options)

    @classmethod
    @abc.abstractmethod
    def api_base_url(cls, credentials: ConnectorCredentials, base_url: str | None) -> str:
        """The client's base URL: the real production API by default, under `base_url` if given."""

    @classmethod
    def build_auth(cls, credentials: ConnectorCredentials, options: ConnectorOptions) -> httpx.Auth | None:
        """The auth flow (OAuth2RefreshAuth, ServiceLayerSessionAuth, OAuth1TBAAuth), or None."""
        return None

    @classmethod
    def rate_limits(cls, credentials: ConnectorCredentials) -> Sequence[tuple[str, RateLimitPolicy]]:
        """(limiter key, policy) pairs; connectors of the same key share one limiter."""
        return ()

    @classmethod
    def default_headers(cls, credentials: ConnectorCredentials) -> Mapping[str, str]:
        return {}

    # ---- the interface -----------------------------------------------------------------------
    async def authenticate(self) -> bool:
        """True if the ERP accepts the credentials (logging in or refreshing as needed)."""
        try:
            await self.test_connection()
        except ERPAuthError as exc:
            log.info("%s authentication failed: %s", self.system, exc)
            return False
        return True

    @abc.abstractmethod
    async def test_connection(self) -> ConnectionInfo:
        """Read the ERP company behind the connection (name, country, currency, id)."""

    @abc.abstractmethod
    def iter_vendors(self, since: dt.datetime | None = None) -> AsyncIterator[RecordPage[ERPVendor]]:
        """Vendors changed since `since` (all if None), one page at a time."""

    @abc.abstractmethod
    def iter_purchase_orders(
        self, since: dt.datetime | None = None, status_filter: list[PurchaseOrderStatus] | None = None
    ) -> AsyncIterator[RecordPage[ERPPurchaseOrder]]:
        """Purchase orders changed since `since`, optionally only those in `status_filter`."""

    @abc.abstractmethod
    async def export_invoice(self, invoice: ERPInvoice) -> ExportResult:
        """Create the bill for `invoice`, idempotently: a replay returns the existing bill."""

    @abc.abstractmethod
    async def sync_payment_status(self, external_invoice_id: str) -> ERPPaymentStatus:
        """How much of the bill is paid, per the ERP."""

    @abc.abstractmethod
    async def get_accounts(self) -> list[ERPAccount]: ...

    @abc.abstractmethod
    async def get_tax_codes(self) -> list[ERPTaxCode]: ...

    def iter_payment_changes(
        self, since: dt.datetime, bill_ids: Collection[str] | None = None
    ) -> AsyncIterator[RecordPage[ERPPaymentStatus]] | None:
        """Payment status of every bill changed since `since`, a page at a time, through the ERP's
        change feed; None (the default) means the ERP has no cheap feed and callers must ask per bill
        (`sync_payment_status`). `bill_ids`, if given, are the only bills the caller needs: a
        connector may skip reading others (it may also return them; callers filter)."""
        return None

    # ---- implemented once --------------------------------------------------------------------
    async def import_vendors(
        self, since: dt.datetime | None = None, limit: int | None = None
    ) -> SyncResult[ERPVendor]:
        """The seed's call, a facade over `iter_vendors`: the first `limit` vendors read (every one
        changed since `since` if None), held in memory, with the records that failed to read."""
        return await self._collect(ERPEntity.VENDOR, self.iter_vendors(since), limit)

    async def import_purchase_orders(
        self,
        since: dt.datetime | None = None,
        status_filter: list[PurchaseOrderStatus] | None = None,
        limit: int | None = None,
    ) -> SyncResult[ERPPurchaseOrder]:
        """The seed's call, a facade over `iter_purchase_orders`, as `import_vendors`."""
        pages = self.iter_purchase_orders(since, status_filter)
        return await self._collect(ERPEntity.PURCHASE_ORDER, pages, limit)

    async def export_invoices(self, invoices: Iterable[ERPInvoice]) -> list[InvoiceExportOutcome]:
        """Export one by one; a record-level refusal is captured for that invoice and the rest go on.
        Authentication, rate-limit and transient errors propagate: the whole batch is retried later
        (safely, since `export_invoice` is idempotent)."""
        outcomes = []
        for invoice in invoices:
            key = invoice.smartap_invoice_id or invoice.invoice_number
            common = {
                "invoice_number": invoice.invoice_number,
                "smartap_invoice_id": invoice.smartap_invoice_id,
            }
            try:
                result = await self.export_invoice(invoice)
            except ERPRecordError as exc:
                log.info("%s refused invoice %s: %s", self.system, key, exc)
                outcomes.append(InvoiceExportOutcome(**common, error=record_error_from(exc, key)))
                continue
            outcomes.append(InvoiceExportOutcome(**common, result=result))
        return outcomes

    async def close(self) -> None:
        """End the ERP session (SAP logout) and close the connection pool."""
        await close_client(self.http)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    # ---- helpers for subclasses --------------------------------------------------------------
    def now(self) -> dt.datetime:
        return to_datetime(self.options.clock())

    async def send(self, call: Call) -> httpx.Response:
        """Send a call through the stack and raise the typed `ERPError` for a failed response."""
        request = call.build(self.http)
        try:
            response = await self.http.send(request)
        except httpx.TransportError as exc:
            raise transport_error(self.system, request, exc) from None
        except httpx.RequestError as exc:  # undecodable body, redirect loop: not worth retrying
            raise ERPProtocolError(
                f"unreadable answer ({type(exc).__name__})",
                erp=self.system,
                url=str(request.url),
                method=request.method,
            ) from None
        self.raise_for_error(response)
        return response

    def raise_for_error(self, response: httpx.Response) -> None:
        if response.is_success:
            return
        raise error_for_response(
            self.system, response, self.error_details(response), now=self.options.clock()
        )

    def error_details(self, response: httpx.Response) -> ErrorDetails:
        """Read the ERP's error envelope. Connectors override with their own format."""
        return generic_error_details(response)

    def pages(
        self, call: Call, paginator: Paginator, records: Callable[[Any], list[Any]] | str
    ) -> AsyncIterator[Page]:
        """The guarded paging loop over `call`, errors mapped by `send`; `records` pulls a page's
        list out of the body, or names the body's key holding it (checked to be a list)."""
        return iter_pages(self.send, call, paginator, records, erp=self.system, max_pages=self.max_pages)

    def to_page(self, rows: Iterable[Any], mapper: Callable[[Any], M], id_key: str) -> RecordPage[M]:
        """Map raw ERP records to standard models; a record that fails becomes a `RecordError`."""
        outcomes: list[M | RecordError] = []
        for raw in rows:
            try:
                outcomes.append(mapper(raw))
            except (ValueError, KeyError, TypeError, AttributeError, ERPRecordError) as exc:
                record_id = raw.get(id_key) if isinstance(raw, dict) else None
                outcomes.append(record_error_from(exc, None if record_id is None else str(record_id)))
        return RecordPage(outcomes)

    async def _collect(
        self, entity: ERPEntity, pages: AsyncIterator[RecordPage[M]], limit: int | None
    ) -> SyncResult[M]:
        started = self.now()
        records: list[M] = []
        errors: list[RecordError] = []
        async with LimitedPages(pages, limit) as read:
            async for outcomes in read:
                for item in outcomes:
                    if isinstance(item, RecordError):
                        errors.append(item)
                    else:
                        records.append(item)
        return SyncResult[M].of(entity, records, errors, started_at=started, completed_at=self.now())


class LimitedPages(Generic[T]):
    """The one reader of "a connector's pages, up to a limit", used by the import facade above and by
    the sync engine's `ImportRun`: `async with LimitedPages(pages, limit) as read: async for outcomes
    in read: ...` yields each page's outcomes (records and `RecordError`s), at most `limit` in all
    (None: every page). Reaching the limit sets `cut` (more may remain, so a cursor must not move) and
    stops: the connector's paging is closed on leaving the block, so no page past the limit is asked
    for, nor any after an error in the caller's loop."""

    def __init__(self, pages: AsyncIterator[RecordPage[T]], limit: int | None) -> None:
        if limit is not None and limit < 0:
            raise ValueError(f"limit must be None or >= 0, not {limit}")
        self.pages, self.limit = pages, limit
        self.read = 0  # outcomes handed out
        self.cut = limit == 0

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        close = getattr(self.pages, "aclose", None)
        if close is not None:
            await close()

    async def __aiter__(self) -> AsyncIterator[list[T | RecordError]]:
        while not self.cut:
            page = await anext(self.pages, None)
            if page is None:
                return
            outcomes = list(page.outcomes)
            if self.limit is not None and self.read + len(outcomes) >= self.limit:
                outcomes, self.cut = outcomes[: self.limit - self.read], True
            self.read += len(outcomes)
            yield outcomes
