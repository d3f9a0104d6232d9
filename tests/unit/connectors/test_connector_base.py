"""The connector base on a fake ERP: imports counted with limits and per-record errors, batch export
with per-invoice outcomes, error mapping, authenticate, close, and credentials that never show."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal

import httpx
import pytest

from smartap_erp.connectors import (
    ConnectorCredentials,
    ConnectorRegistry,
    RecordPage,
    build_connector,
    rebase_url,
)
from smartap_erp.connectors.base import ConnectorOptions
from smartap_erp.domain import ERPInvoice, ERPInvoiceLine, ERPVendor, PurchaseOrderStatus, RecordError
from smartap_erp.domain.enums import ERPEntity, ERPSystem, SyncStatus
from smartap_erp.errors import (
    ERPAuthError,
    ERPDuplicateError,
    ERPNotFoundError,
    ERPRateLimitError,
    ERPTransientError,
    ERPValidationError,
)
from smartap_erp.http import ManualClock, RetryPolicy, ServiceLayerSessionAuth
from tests.unit.connectors.conftest import CREDENTIALS
from tests.unit.connectors.fake_erp import FakeERPConnector, FakeERPServer

Make = Callable[..., FakeERPConnector]


def data_requests(server: FakeERPServer, resource: str) -> list[httpx.Request]:
    return [r for r in server.requests if r.url.path.endswith(f"/{resource}")]


def invoice(number: str, total: str = "100.00") -> ERPInvoice:
    return ERPInvoice(
        invoice_number=number,
        vendor_id="v1",
        invoice_date=dt.date(2026, 5, 1),
        currency="USD",
        total_amount=Decimal(total),
        line_items=(ERPInvoiceLine(amount=Decimal(total), account_code="400"),),
        smartap_invoice_id=f"inv-{number}",
    )


async def test_import_vendors_counts_records_and_collects_the_bad_one(
    make_connector: Make, server: FakeERPServer
) -> None:
    async with make_connector() as connector:
        result = await connector.import_vendors()
    assert (result.entity_type, result.status) == (ERPEntity.VENDOR, SyncStatus.PARTIAL)
    assert (result.total_count, result.success_count, result.error_count) == (25, 24, 1)
    error = result.errors[0]
    assert (error.record_id, error.field, error.code) == ("v7", "name", "missing_field")
    assert [v.external_id for v in result.data] == [f"v{i}" for i in range(25) if i != 7]
    assert len(data_requests(server, "vendors")) == 3  # pages of 10: 10, 10, 5
    assert result.started_at is not None and result.completed_at is not None


@pytest.mark.parametrize(("limit", "pages_read", "errors"), [(5, 1, 0), (12, 2, 1), (10, 1, 1), (0, 0, 0)])
async def test_import_vendors_honours_limit_and_stops_paging(
    make_connector: Make, server: FakeERPServer, limit: int, pages_read: int, errors: int
) -> None:
    async with make_connector() as connector:
        result = await connector.import_vendors(limit=limit)
    assert result.total_count == limit
    assert result.error_count == errors
    assert len(data_requests(server, "vendors")) == pages_read


async def test_import_vendors_passes_since(make_connector: Make, server: FakeERPServer) -> None:
    since = dt.datetime(2026, 5, 1, 10, 0, tzinfo=dt.UTC)
    async with make_connector() as connector:
        await connector.import_vendors(since=since, limit=1)
    assert data_requests(server, "vendors")[0].url.params["modifiedSince"] == "2026-05-01T10:00:00+00:00"


async def test_import_where_every_record_fails_is_failed(make_connector: Make, server: FakeERPServer) -> None:
    server.vendors = [{"id": "bad-1"}, {"id": "bad-2"}]
    async with make_connector() as connector:
        result = await connector.import_vendors()
    assert (result.status, result.total_count, result.error_count) == (SyncStatus.FAILED, 2, 2)


async def test_empty_import_is_completed(make_connector: Make, server: FakeERPServer) -> None:
    server.vendors = []
    async with make_connector() as connector:
        result = await connector.import_vendors()
    assert (result.status, result.total_count) == (SyncStatus.COMPLETED, 0)


async def test_import_purchase_orders_with_status_filter_and_decimal_amounts(
    make_connector: Make, server: FakeERPServer
) -> None:
    async with make_connector() as connector:
        result = await connector.import_purchase_orders(status_filter=[PurchaseOrderStatus.OPEN])
    assert (result.entity_type, result.status, result.success_count) == (
        ERPEntity.PURCHASE_ORDER,
        SyncStatus.COMPLETED,
        3,
    )
    assert data_requests(server, "orders")[0].url.params["status"] == "open"
    assert result.data[0].total_amount == Decimal("12.5")  # a Decimal, exactly as the ERP wrote it


async def test_iter_vendors_streams_pages_of_standard_models(make_connector: Make) -> None:
    async with make_connector() as connector:
        pages = [page async for page in connector.iter_vendors()]
    assert [len(page) for page in pages] == [9, 10, 5]
    assert all(isinstance(vendor, ERPVendor) for page in pages for vendor in page)
    assert [len(page.errors) for page in pages] == [1, 0, 0]
    assert isinstance(pages[0].outcomes[7], RecordError)


def test_record_page_keeps_erp_order() -> None:
    error = RecordError(record_id="2", message="bad")
    page: RecordPage[str] = RecordPage(["a", error, "b"])
    assert list(page) == ["a", "b"]
    assert page.outcomes == ("a", error, "b")
    assert page.errors == [error]


async def test_export_invoices_captures_record_errors_and_carries_on(
    make_connector: Make, server: FakeERPServer
) -> None:
    batch = [invoice("B-1"), invoice("B-2"), invoice("B-3")]
    server.bills["b0"] = {"id": "b0", "number": "B-2", "total": "1"}  # B-2 already used by someone else
    async with make_connector() as connector:
        outcomes = await connector.export_invoices(batch)
    assert [o.ok for o in outcomes] == [True, False, True]
    assert [o.result.external_number for o in outcomes if o.result] == ["B-1", "B-3"]
    failed = outcomes[1]
    assert failed.error is not None
    assert (failed.invoice_number, failed.smartap_invoice_id, failed.error.record_id) == (
        "B-2",
        "inv-B-2",
        "inv-B-2",
    )
    assert failed.error.code == "DUPLICATE"
    assert "number already used" in failed.error.message


async def test_export_invoice_is_idempotent_through_the_key(make_connector: Make) -> None:
    async with make_connector() as connector:
        first = await connector.export_invoice(invoice("B-7"))
        again = await connector.export_invoice(invoice("B-7"))
    assert (first.created, again.created) == (True, False)
    assert first.external_id == again.external_id


async def test_export_invoices_propagates_authentication_errors(
    make_connector: Make, server: FakeERPServer
) -> None:
    server.valid_access = set()
    server.refresh_ok = False
    async with make_connector() as connector:
        with pytest.raises(ERPAuthError):
            await connector.export_invoices([invoice("B-1")])


async def test_validation_error_carries_field_and_erp_details(
    make_connector: Make, server: FakeERPServer
) -> None:
    server.fail_next = [
        httpx.Response(
            400, json={"error": {"code": "INVALID", "message": "bad tax", "field": "lines[0].tax"}}
        )
    ]
    async with make_connector() as connector:
        with pytest.raises(ERPValidationError) as caught:
            await connector.export_invoice(invoice("B-9"))
    error = caught.value
    assert (error.erp, error.status, error.code, error.field, error.method) == (
        ERPSystem.SAGE,
        400,
        "INVALID",
        "lines[0].tax",
        "POST",
    )
    assert error.url == "https://api.fake-erp.test/v1/companies/c-1/bills"


async def test_connector_error_hook_can_choose_a_finer_class(
    make_connector: Make, server: FakeERPServer
) -> None:
    server.fail_next = [httpx.Response(409, json={"error": {"code": "DUPLICATE", "message": "dup"}})]
    async with make_connector() as connector:
        with pytest.raises(ERPDuplicateError):
            await connector.export_invoice(invoice("B-1"))


async def test_not_found_maps_to_record_error(make_connector: Make) -> None:
    async with make_connector() as connector:
        with pytest.raises(ERPNotFoundError) as caught:
            await connector.sync_payment_status("b404")
    assert caught.value.code == "NOT_FOUND"


async def test_rate_limit_after_retries_carries_retry_after(
    make_connector: Make, server: FakeERPServer, clock: ManualClock
) -> None:
    server.fail_next = [httpx.Response(429, headers={"Retry-After": "300"})]
    async with make_connector() as connector:
        with pytest.raises(ERPRateLimitError) as caught:
            await connector.test_connection()
    assert caught.value.retry_after == 300.0
    assert clock.sleeps == []  # longer than we wait inside a request


async def test_server_errors_are_retried_then_transient(
    make_connector: Make, server: FakeERPServer, clock: ManualClock
) -> None:
    server.fail_next = [httpx.Response(503)] * 3
    async with make_connector(retry=RetryPolicy(max_attempts=3)) as connector:
        with pytest.raises(ERPTransientError):
            await connector.test_connection()
    assert len(clock.sleeps) == 2


async def test_connection_failures_become_transient_errors(make_connector: Make) -> None:
    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    async with make_connector(
        transport=httpx.MockTransport(down), retry=RetryPolicy(max_attempts=2)
    ) as connector:
        with pytest.raises(ERPTransientError, match="no answer from the ERP"):
            await connector.test_connection()


async def test_test_connection_and_authenticate(make_connector: Make, server: FakeERPServer) -> None:
    async with make_connector() as connector:
        info = await connector.test_connection()
        assert await connector.authenticate() is True
        server.valid_access, server.refresh_ok = set(), False
        assert await connector.authenticate() is False
    assert (info.company_name, info.country, info.base_currency, info.company_id) == (
        "Fake Trading Ltd",
        "GB",
        "GBP",
        "c-1",
    )


async def test_accounts_through_a_single_page(make_connector: Make) -> None:
    async with make_connector() as connector:
        accounts = await connector.get_accounts()
    assert [(a.external_id, a.account_type) for a in accounts] == [("400", "Expense")]


async def test_close_closes_the_client(make_connector: Make) -> None:
    connector = make_connector()
    async with connector:
        pass
    assert connector.http.is_closed


def test_credentials_never_show_their_values(make_connector: Make) -> None:
    connector = make_connector()
    shown = f"{connector!r} {connector.credentials!r} {connector.credentials}"
    assert "Sentinel-Fake-Client-Secret-55" not in shown
    assert "client_secret" in repr(connector.credentials)
    assert dict(connector.credentials)["client_secret"] == "Sentinel-Fake-Client-Secret-55"
    assert ConnectorCredentials.of(connector.credentials) is connector.credentials


async def test_a_record_the_standard_model_refuses_names_the_field(
    make_connector: Make, server: FakeERPServer
) -> None:
    server.vendors = [{"id": "v1", "name": "Acme"}, {"id": "v2", "name": "Bolt", "currency": "dollars"}]
    async with make_connector() as connector:
        result = await connector.import_vendors()
    assert (result.success_count, result.error_count) == (1, 1)
    error = result.errors[0]
    assert (error.record_id, error.field, error.code) == ("v2", "currency", "invalid_record")
    assert "ISO 4217" in error.message


class SessionFakeConnector(FakeERPConnector):
    """The fake ERP behind an SAP-style session login, to check that close() logs out."""

    @classmethod
    def build_auth(cls, credentials: ConnectorCredentials, options: ConnectorOptions) -> httpx.Auth:
        root = rebase_url("https://sap.fake-erp.test/b1s/v1", options.base_url)
        return ServiceLayerSessionAuth(
            service_root=root, company_db="SBODEMOUS", username="manager", password="pw-123456"
        )


async def test_close_ends_the_erp_session(clock: ManualClock) -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(f"{request.method} {request.url.path}")
        if request.url.path.endswith("/Login"):
            return httpx.Response(200, headers={"Set-Cookie": "B1SESSION=abc-session-1"}, json={})
        if request.url.path.endswith("/Logout"):
            return httpx.Response(204)
        return httpx.Response(200, json={"name": "SAP Co", "country": "DE", "currency": "EUR"})

    registry = ConnectorRegistry(builtin_providers={})
    registry.register(SessionFakeConnector)
    connector = build_connector(
        "sage", CREDENTIALS, transport=httpx.MockTransport(handler), connectors=registry, clock=clock
    )
    async with connector:
        assert (await connector.test_connection()).company_name == "SAP Co"
    assert seen == ["POST /b1s/v1/Login", "GET /v1/companies/c-1/company", "POST /b1s/v1/Logout"]
    assert connector.http.is_closed
