"""The Xero connector against the Xero simulator over real HTTP on loopback (xero.md §API facts)."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest

from erpsim.core import Clock
from smartap_erp.domain import PaymentStatus, PurchaseOrderStatus, SyncStatus
from smartap_erp.errors import ERPRateLimitError

from .conftest import Harness, invoice_for, make_harness


async def test_connection_names_the_tenant_and_every_call_carries_it(harness: Harness) -> None:
    async with harness.connector() as xero:
        info = await xero.test_connection()
        await xero.get_accounts()
    assert info.company_id == harness.creds["tenant_id"] and info.base_currency == "USD"
    assert info.company_name == harness.sim.orgs[harness.creds["tenant_id"]].name
    api = harness.api_log()
    assert len(api) == 2 and {r.tenant for r in api} == {harness.creds["tenant_id"]}


async def test_a_tenant_not_connected_is_refused(harness: Harness) -> None:
    creds = {**harness.creds, "tenant_id": "6a6b3a1e-0000-4000-8000-000000000000"}
    async with harness.connector(creds=creds) as xero:
        assert await xero.authenticate() is False


async def test_expired_token_is_refreshed_with_rotation(harness: Harness, clock: Clock) -> None:
    async with harness.connector() as xero:
        await xero.get_tax_codes()
        clock.advance(31 * 60)
        codes = await xero.get_tax_codes()
    assert codes and harness.store.saved
    assert harness.store.token.refresh_token != harness.creds["refresh_token"]
    assert harness.sim.state()["auth"]["tokens_refreshed"] == 1


async def test_vendor_import_includes_archived_as_deactivations_and_is_incremental(
    harness: Harness, clock: Clock
) -> None:
    async with harness.connector() as xero:
        result = await xero.import_vendors()
        assert result.status is SyncStatus.COMPLETED and result.success_count == 30
        inactive = [v for v in result.data if v.is_active is False]
        assert len(inactive) == sum(
            1
            for c in harness.sim.orgs[harness.creds["tenant_id"]].contacts.values()
            if c["IsSupplier"] and c["ContactStatus"] == "ARCHIVED"
        )
        since = clock.now()
        clock.advance(10)
        harness.sim.mutate("archive_vendor", {})
        harness.sim.mutate("edit_vendors", {"count": 2})  # two other, still active suppliers
        changed = await xero.import_vendors(since=since)
    assert changed.success_count == 3
    assert sum(1 for v in changed.data if not v.is_active) == 1
    pages = [r for r in harness.api_log() if r.path.endswith("/Contacts")]
    assert all(r.status == 200 for r in pages)


async def test_purchase_orders_map_the_real_statuses(harness: Harness) -> None:
    async with harness.connector() as connector:
        everything = await connector.import_purchase_orders()
        open_only = await connector.import_purchase_orders(status_filter=[PurchaseOrderStatus.OPEN])
    org = harness.sim.orgs[harness.creds["tenant_id"]]
    assert everything.success_count == len(org.purchase_orders)
    authorised = sum(1 for p in org.purchase_orders.values() if p["Status"] == "AUTHORISED")
    assert open_only.success_count == authorised
    assert {po.status for po in open_only.data} == {PurchaseOrderStatus.OPEN}


async def test_batch_export_reports_the_bad_bill_and_exports_the_others(harness: Harness) -> None:
    vendor = harness.supplier()
    batch = [
        invoice_for(vendor, "B-1"),
        invoice_for(vendor, "B-2", account="999"),
        invoice_for(vendor, "B-3"),
    ]
    before = harness.sim.entity_counts()["Bill"]
    async with harness.connector() as xero:
        outcomes = await xero.export_invoices(batch)
        again = await xero.export_invoices(batch)
    assert [o.ok for o in outcomes] == [True, False, True]
    assert outcomes[1].error is not None and "Account code '999'" in outcomes[1].error.message
    assert outcomes[0].result is not None and outcomes[0].result.created is True
    assert [o.result.created for o in again if o.result] == [False, False]
    assert harness.sim.entity_counts()["Bill"] == before + 2
    bill = harness.sim.orgs[harness.creds["tenant_id"]].invoices[outcomes[0].result.external_id]
    assert bill["Total"] == Decimal("217.04") and bill["LineItems"][0]["TaxType"] == "TAX001"


async def test_commit_then_fail_creates_exactly_one_bill(harness: Harness) -> None:
    vendor = harness.supplier()
    harness.sim.set_fault_plan(harness.sim.faults.plan.parse("commit_then_fail=1;lost_response=drop"))
    before = harness.sim.entity_counts()["Bill"]
    async with harness.connector() as xero:
        result = await xero.export_invoice(invoice_for(vendor, "LOST-1"))
    assert harness.sim.entity_counts()["Bill"] == before + 1
    assert result.external_id in harness.sim.orgs[harness.creds["tenant_id"]].invoices
    assert harness.sim.stats.counters["idempotent_replays"] == 1


async def test_payment_status_follows_amount_due(harness: Harness) -> None:
    vendor = harness.supplier()
    async with harness.connector() as xero:
        created = await xero.export_invoice(invoice_for(vendor, "PAY-1"))
        unpaid = await xero.sync_payment_status(created.external_id)
        harness.sim.mutate("pay_bill", {"invoice_id": created.external_id, "amount": "17.04"})
        partial = await xero.sync_payment_status(created.external_id)
        harness.sim.mutate("pay_bill", {"invoice_id": created.external_id})
        paid = await xero.sync_payment_status(created.external_id)
    assert unpaid.status is PaymentStatus.UNPAID and unpaid.amount_due == Decimal("217.04")
    assert partial.status is PaymentStatus.PARTIAL and partial.amount_paid == Decimal("17.04")
    assert paid.status is PaymentStatus.PAID and paid.amount_due == 0 and len(paid.payments) == 2


async def test_accounts_and_tax_codes(harness: Harness) -> None:
    async with harness.connector() as xero:
        accounts = await xero.get_accounts()
        codes = await xero.get_tax_codes()
    assert {"429", "800"} <= {a.code for a in accounts}
    assert any(not a.is_active for a in accounts)
    assert {c.code: c.rate for c in codes}["TAX001"] == Decimal("8.25")


async def test_a_429_with_retry_after_is_honoured(harness: Harness) -> None:
    harness.sim.set_fault_plan(harness.sim.faults.plan.parse("next429=1"))
    async with harness.connector() as xero:
        accounts = await xero.get_accounts()
    assert accounts
    assert [r.status for r in harness.api_log()] == [429, 200]
    assert harness.sleeps and max(harness.sleeps) >= 1.0


async def test_spent_daily_quota_stops_with_a_clear_error(harness: Harness, clock: Clock) -> None:
    window = harness.sim.limiter._windows["tenant_day"]
    for _ in range(4999):
        window.hit(harness.creds["tenant_id"], clock.time() - 3600)
    async with harness.connector() as xero:
        await xero.get_accounts()  # the last call of the day; the answer says 0 left
        with pytest.raises(ERPRateLimitError):
            await xero.import_vendors()
    assert len(harness.api_log()) <= 2


@pytest.fixture
def big(clock: Clock) -> Iterator[Harness]:
    yield from make_harness(clock, vendors=2000, purchase_orders=0, bills=0)


async def test_a_2000_supplier_import_stays_within_5_in_flight_and_60_a_minute(
    big: Harness, clock: Clock
) -> None:
    start = clock.time()
    async with big.connector() as xero:
        xero.page_size = 20  # 100 pages: more than one minute's quota
        result = await xero.import_vendors()
    assert result.success_count == 2000
    log = [r for r in big.api_log() if r.status is not None]
    assert all(r.status == 200 for r in log) and len(log) >= 100
    state = big.sim.state()
    assert state["responses"]["throttled_429"] == 0
    assert state["concurrency"]["peak_by_tenant"][big.creds["tenant_id"]] <= 5
    starts = sorted(r.start for r in log)
    assert max(sum(1 for s in starts if t <= s < t + 60) for t in starts) <= 60
    assert clock.time() - start >= 60  # the limiter slowed down on the simulated clock
