"""The QuickBooks connector against the QuickBooks simulator: the seed's test_quickbooks_connector list."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import httpx
import pytest

from erpsim.core.faults import FaultPlan
from smartap_erp.connectors.quickbooks import export
from smartap_erp.domain import ERPInvoice, PaymentStatus, PurchaseOrderStatus, SyncStatus
from smartap_erp.errors import ERPAuthError, ERPDuplicateError, ERPProtocolError, ERPValidationError
from tests.connectors.quickbooks.conftest import Harness, opened


def set_faults(qbo: Harness, spec: str) -> None:
    qbo.sim.faults.set_plan(FaultPlan.parse(spec))


def invoice(
    number: str = "SUP-1001", *, vendor_id: str = "1", total: str = "250.10", **extra: object
) -> ERPInvoice:
    lines = extra.pop("line_items", None) or [
        {"amount": "200.10", "account_code": "8", "description": "Office supplies"},
        {"amount": "50.00", "item_code": "1", "quantity": "5", "unit_price": "10"},
    ]
    return ERPInvoice.model_validate(
        {
            "invoice_number": number,
            "vendor_id": vendor_id,
            "invoice_date": "2024-05-20",
            "due_date": "2024-06-19",
            "currency": "USD",
            "total_amount": total,
            "line_items": lines,
            "smartap_invoice_id": f"inv-{number}",
            **extra,
        }
    )


async def test_test_connection_reads_company_info(qbo: Harness) -> None:
    async with opened(qbo) as connector:
        info = await connector.test_connection()
        assert await connector.authenticate() is True
    assert info.company_id == qbo.creds["realm_id"] and info.company_name
    assert info.country == "US" and info.base_currency == "USD"


async def test_expired_access_token_is_refreshed_and_rotation_saved(qbo: Harness) -> None:
    async with opened(qbo) as connector:
        await connector.test_connection()
        qbo.clock.advance(3601)  # the access token is an hour old now (quickbooks.md §OAuth 2.0 tokens)
        await connector.test_connection()
    assert qbo.store is not None and len(qbo.store.saved) == 1
    assert qbo.store.token.refresh_token != qbo.creds["refresh_token"]  # rotated and kept
    assert (await qbo.state())["auth"]["tokens_refreshed"] == 1


async def test_superseded_refresh_token_is_an_auth_error(qbo: Harness) -> None:
    async with opened(qbo) as first:
        qbo.clock.advance(3601)
        await first.test_connection()  # rotates R1 -> R2
        qbo.clock.advance(3601)
        await first.test_connection()  # uses R2: from now on R1 is refused (quickbooks.md §OAuth 2.0 tokens)
    async with opened(qbo) as stale:  # a second copy still holding the original pair
        qbo.clock.advance(1)
        with pytest.raises(ERPAuthError) as caught:
            await stale.test_connection()
        assert await stale.authenticate() is False
    assert qbo.creds["refresh_token"] not in str(caught.value)


async def test_vendor_import_all_with_since_and_with_limit(qbo: Harness) -> None:
    before_edit = qbo.clock.now()
    await qbo.mutate("deactivate_vendor", vendor_id="3")
    qbo.clock.advance(60)
    await qbo.mutate("edit_vendors", count=4)
    async with opened(qbo) as connector:
        everything = await connector.import_vendors()
        changed = await connector.import_vendors(since=before_edit + dt.timedelta(seconds=1))
        limited = await connector.import_vendors(limit=7)
    assert everything.status == SyncStatus.COMPLETED and everything.total_count == 40
    assert "3" in {v.external_id for v in everything.data if not v.is_active}  # deactivation seen
    assert 4 <= changed.total_count < 40
    assert limited.total_count == 7 and limited.success_count == 7


async def test_vendor_import_across_many_pages_in_batches_read_ahead_within_limits(  # type: ignore[no-untyped-def]
    harness_factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A result of more than STREAM_BATCH_FROM pages travels as Query items of /batch requests
    (walks.py): after a plain COUNT, its 5 pages and the one past the count 2 to a batch, the next
    batch sent while one is handed out."""
    from smartap_erp.connectors.quickbooks import walks as qbo_walks

    monkeypatch.setattr(qbo_walks, "STREAM_BATCH_FROM", 2)
    monkeypatch.setattr(qbo_walks, "STREAM_PAGES_PER_BATCH", 2)
    qbo = harness_factory(vendors=5000, latency_ms=20)  # latency lets requests overlap in-process
    async with opened(qbo) as connector:
        result = await connector.import_vendors()
    state = await qbo.state()
    ids = [v.external_id for v in result.data]
    assert result.total_count == 5000 and len(set(ids)) == 5000
    assert ids == sorted(ids, key=int)  # pages handed out in order
    assert state["responses"]["throttled_429"] == 0
    assert state["concurrency"]["peak"] == 2  # one batch ahead
    assert state["requests"]["by_endpoint"] == {
        "GET /v3/company/{realmId}/query": 1,
        "POST /v3/company/{realmId}/batch": 3,
    }


async def test_a_large_read_goes_on_with_plain_pages_after_its_burst_of_batches(  # type: ignore[no-untyped-def]
    harness_factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After `STREAM_BATCHED_PAGES` pages in batches, the rest of the read is plain query pages, read
    ahead in parallel up to the count, then one past it: nothing skipped, nothing read twice."""
    from smartap_erp.connectors.quickbooks import walks as qbo_walks

    monkeypatch.setattr(qbo_walks, "STREAM_BATCH_FROM", 2)
    monkeypatch.setattr(qbo_walks, "STREAM_PAGES_PER_BATCH", 2)
    monkeypatch.setattr(qbo_walks, "STREAM_BATCHED_PAGES", 2)
    qbo = harness_factory(vendors=5000, latency_ms=20)
    async with opened(qbo) as connector:
        result = await connector.import_vendors()
    state = await qbo.state()
    ids = [v.external_id for v in result.data]
    assert len(ids) == 5000 and ids == sorted(set(ids), key=int)
    endpoints = state["requests"]["by_endpoint"]
    # the COUNT, pages 1-2 in one batch, pages 3-5 (up to the count) and the empty 6th plain
    assert endpoints == {"POST /v3/company/{realmId}/batch": 1, "GET /v3/company/{realmId}/query": 5}


async def test_purchase_orders_with_status_filter_and_lines(qbo: Harness) -> None:
    async with opened(qbo) as connector:
        everything = [po async for page in connector.iter_purchase_orders() for po in page]
        open_only = [
            po
            async for page in connector.iter_purchase_orders(status_filter=[PurchaseOrderStatus.OPEN])
            for po in page
        ]
        none = [
            po
            async for page in connector.iter_purchase_orders(status_filter=[PurchaseOrderStatus.DRAFT])
            for po in page
        ]
    assert len(everything) == 20 and none == []
    assert open_only and all(po.status == PurchaseOrderStatus.OPEN for po in open_only)
    assert len(open_only) == sum(po.status == PurchaseOrderStatus.OPEN for po in everything)
    assert all(
        po.line_items and po.total_amount == sum(li.amount for li in po.line_items) for po in everything
    )


async def test_bill_created_with_account_and_item_lines_and_po_link(qbo: Harness) -> None:
    async with opened(qbo) as connector:
        pos = [
            p
            async for page in connector.iter_purchase_orders(status_filter=[PurchaseOrderStatus.OPEN])
            for p in page
        ]
    po = pos[0]
    line = po.line_items[0]
    bill_invoice = invoice(
        vendor_id=po.vendor_id,
        total=str(line.amount + Decimal("12.00")),
        purchase_order_id=po.external_id,
        line_items=[
            {"amount": "12.00", "account_code": "8"},
            {
                "amount": str(line.amount),
                "item_code": line.item_code,
                "quantity": str(line.quantity),
                "unit_price": str(line.unit_price),
                "po_line_id": line.line_id,
            },
        ],
    )
    async with opened(qbo) as connector:
        result = await connector.export_invoice(bill_invoice)
    stored = qbo.sim.store.get("Bill", result.external_id)
    assert result.created and result.external_number == "SUP-1001"
    assert [ln["DetailType"] for ln in stored["Line"]] == [
        "AccountBasedExpenseLineDetail",
        "ItemBasedExpenseLineDetail",
    ]
    assert stored["Line"][1]["LinkedTxn"][0] == {
        "TxnId": po.external_id,
        "TxnType": "PurchaseOrder",
        "TxnLineId": line.line_id,
    }
    assert Decimal(str(stored["TotalAmt"])) == bill_invoice.total_amount


async def test_payment_status_unpaid_partial_paid(qbo: Harness) -> None:
    async with opened(qbo) as connector:
        bill = await connector.export_invoice(invoice())
        unpaid = await connector.sync_payment_status(bill.external_id)
        await qbo.mutate("pay_bill", bill_id=bill.external_id, amount="100.10")
        partial = await connector.sync_payment_status(bill.external_id)
        await qbo.mutate("pay_bill", bill_id=bill.external_id, amount="150.00")
        paid = await connector.sync_payment_status(bill.external_id)
    assert (unpaid.status, unpaid.amount_due) == (PaymentStatus.UNPAID, Decimal("250.10"))
    assert (partial.status, partial.amount_paid, partial.amount_due) == (
        PaymentStatus.PARTIAL,
        Decimal("100.10"),
        Decimal("150.00"),
    )
    assert paid.status == PaymentStatus.PAID and paid.amount_due == 0
    assert [p.amount for p in paid.payments] == [Decimal("100.10"), Decimal("150.00")]


async def test_accounts_and_tax_codes(qbo: Harness) -> None:
    async with opened(qbo) as connector:
        accounts = await connector.get_accounts()
        tax_codes = await connector.get_tax_codes()
    assert any(a.account_type == "Accounts Payable" for a in accounts)
    assert any(a.account_type == "Expense" for a in accounts)
    assert len(tax_codes) == (await qbo.state())["entities"]["TaxCode"]
    assert {"NON", "TAX"} <= {code.code for code in tax_codes}
    # Only purchase-side rates count for bills (quickbooks.md §Entities); the seeded codes are sales-tax
    # codes.
    assert all(code.rate is None for code in tax_codes if code.code in {"NON", "TAX"})


async def test_validation_fault_is_a_record_error_naming_the_field(qbo: Harness) -> None:
    bad = invoice(line_items=[{"amount": "250.10", "account_code": "99999"}])
    async with opened(qbo) as connector:
        with pytest.raises(ERPValidationError) as caught:
            await connector.export_invoice(bad)
        outcomes = await connector.export_invoices([bad, invoice("SUP-2")])
    assert (caught.value.code, caught.value.status) == ("2500", 400)
    assert caught.value.field == "Line.AccountBasedExpenseLineDetail.AccountRef"
    assert outcomes[0].error is not None and outcomes[0].result is None
    assert outcomes[0].error.field == "Line.AccountBasedExpenseLineDetail.AccountRef"
    assert outcomes[0].error.record_id == "inv-SUP-1001"
    assert outcomes[1].result is not None and outcomes[1].result.created


async def test_too_long_doc_number_refused_before_any_request(qbo: Harness) -> None:
    async with opened(qbo) as connector:
        await connector.test_connection()
        before = sum((await qbo.state())["requests"]["by_endpoint"].values())
        with pytest.raises(ERPValidationError, match="DocNumber holds at most 21"):
            await connector.export_invoice(invoice("X" * 22))
    assert sum((await qbo.state())["requests"]["by_endpoint"].values()) == before


async def test_server_errors_are_retried(qbo: Harness) -> None:
    set_faults(qbo, "next5xx=2")
    async with opened(qbo) as connector:
        info = await connector.test_connection()
    assert info.company_name and len(qbo.sleeps) == 2


async def test_throttle_waits_the_60_seconds_intuit_asks(qbo: Harness) -> None:
    set_faults(qbo, "next429=1")
    async with opened(qbo) as connector:
        await connector.test_connection()
    assert qbo.sleeps == [60.0]


async def test_commit_then_fail_creates_exactly_one_bill(harness_factory) -> None:  # type: ignore[no-untyped-def]
    qbo = harness_factory(live=True)
    bills_before = (await qbo.state())["entities"]["Bill"]
    set_faults(qbo, "commit_then_fail=1")
    async with opened(qbo) as connector:
        result = await connector.export_invoice(invoice())
        again = await connector.export_invoice(invoice())  # a later retry of the whole export
    state = await qbo.state()
    assert state["entities"]["Bill"] == bills_before + 1
    assert again.external_id == result.external_id
    assert state["extra"]["requestid_replays"] >= 1


async def test_forgotten_requestid_falls_back_to_doc_number_lookup(qbo: Harness) -> None:
    async with opened(qbo) as connector:
        first = await connector.export_invoice(invoice())
        # Same bill under another SmartAP id: a new requestid, so QuickBooks answers 6140.
        again = await connector.export_invoice(invoice(smartap_invoice_id="other-id"))
        with pytest.raises(ERPDuplicateError, match="different bill"):
            await connector.export_invoice(
                invoice(
                    smartap_invoice_id="third",
                    total="9.99",
                    line_items=[{"amount": "9.99", "account_code": "8"}],
                )
            )
    assert (again.external_id, again.created) == (first.external_id, False)


async def test_batch_export_reports_each_bill(qbo: Harness) -> None:
    count = export.BATCH_SIZE + 2  # a full /batch and one of two
    invoices = [invoice(f"B-{i}") for i in range(count)]
    invoices[4] = invoice("B-4", line_items=[{"amount": "250.10", "account_code": "99999"}])
    async with opened(qbo) as connector:
        outcomes = await connector.export_invoices(invoices)
        replay = await connector.export_invoices(invoices)
    state = await qbo.state()
    assert [o.invoice_number for o in outcomes] == [f"B-{i}" for i in range(count)]
    assert [o.error is not None for o in outcomes] == [i == 4 for i in range(count)]
    batch_calls = sum(n for endpoint, n in state["requests"]["by_endpoint"].items() if "batch" in endpoint)
    assert batch_calls == 4  # BATCH_SIZE + 2 per run, twice
    assert {o.result.external_id for o in replay if o.result} == {
        o.result.external_id for o in outcomes if o.result
    }


async def test_secrets_never_in_errors_or_reprs(qbo: Harness) -> None:
    async with opened(
        qbo, credentials={**qbo.creds, "access_token": "bogus", "refresh_token": "bogus-rt"}
    ) as c:
        with pytest.raises(ERPAuthError) as caught:
            await c.test_connection()
        assert "bogus" not in repr(c) and "bogus" not in repr(c.credentials)
    assert qbo.creds["client_secret"] not in str(caught.value) and "bogus-rt" not in str(caught.value)


def test_transport_type_is_real_httpx() -> None:
    assert issubclass(httpx.ASGITransport, httpx.AsyncBaseTransport)


@pytest.mark.parametrize("endpoint", ["bill", "batch"])
@pytest.mark.parametrize("style", ["empty", "html", "shape"])
async def test_a_broken_200_to_a_bill_create_is_a_protocol_error(
    qbo: Harness, endpoint: str, style: str
) -> None:
    """Never a KeyError on `Bill` / `bId`, never an outcome silently missing (issue 12 item 10)."""
    set_faults(qbo, f"nextmalformed=1;malformed={style};path=/v3/company/{qbo.creds['realm_id']}/{endpoint}")
    async with opened(qbo) as connector:
        export = (
            connector.export_invoice(invoice())
            if endpoint == "bill"
            else connector.export_invoices([invoice("SUP-1"), invoice("SUP-2")])
        )
        with pytest.raises(ERPProtocolError) as caught:
            await export
    assert qbo.sim.faults.injected == {"malformed": 1}
    assert "QuickBooks Online sent an unexpected answer" in str(caught.value)
