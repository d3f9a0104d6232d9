"""The SAP connector against the SAP simulator over real HTTP on loopback (seed checklist, issue 6)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from erpsim.core import Clock
from smartap_erp.domain import (
    ERPPurchaseOrder,
    ERPVendor,
    PaymentStatus,
    PurchaseOrderStatus,
)
from smartap_erp.domain.results import SyncResult
from smartap_erp.errors import ERPAuthError
from tests.connectors.sap.conftest import Harness, make_harness, open_item_orders, po_invoice, service_invoice


def _data(result: SyncResult[ERPVendor] | SyncResult[ERPPurchaseOrder]) -> list[dict[str, Any]]:
    """The typed records read, as JSON values (what the assertions below compare with the simulator)."""
    return [row.model_dump(mode="json") for row in result.data]


def _logins(harness: Harness) -> int:
    return int(harness.sim.stats.counters.get("tokens_issued", 0))


async def test_session_authentication_and_company_info(harness: Harness) -> None:
    async with harness.connector() as sap:
        info = await sap.test_connection()
        assert await sap.authenticate()
    assert info.company_id == "SBODEMOUS"
    assert info.company_name == "OEC Computers US"
    assert (info.country, info.base_currency) == ("US", "USD")
    assert _logins(harness) == 1  # one session reused for every call
    login = next(r for r in harness.log() if r.path == "/b1s/v1/Login")
    assert login.status == 200


async def test_wrong_password_is_an_auth_failure(harness: Harness) -> None:
    creds = {**harness.creds, "password": "not-the-password"}
    async with harness.connector(creds=creds) as sap:
        assert not await sap.authenticate()
        with pytest.raises(ERPAuthError) as caught:
            await sap.get_accounts()
    assert "not-the-password" not in str(caught.value)
    assert caught.value.code == "-304"


async def test_vendor_import_across_pages(harness: Harness) -> None:
    async with harness.connector() as sap:
        sap.page_size = 25
        result = await sap.import_vendors()
    suppliers = harness.suppliers()
    assert result.success_count == len(suppliers) == 60
    by_id = {v["external_id"]: v for v in _data(result)}
    assert set(by_id) == {bp["CardCode"] for bp in suppliers}
    inactive = {bp["CardCode"] for bp in harness.suppliers(active=False)}
    assert inactive and {k for k, v in by_id.items() if not v["is_active"]} == inactive
    pages = [r for r in harness.log() if r.path == "/b1s/v1/BusinessPartners"]
    assert len(pages) == 3  # 60 suppliers at 25 per page
    sample = harness.company().get("BusinessPartners", "V10005")
    assert by_id["V10005"]["name"] == sample["CardName"]
    assert by_id["V10005"]["tax_id"] == sample["FederalTaxID"]


async def test_vendor_import_since_uses_update_date_with_overlap(harness: Harness) -> None:
    harness.clock.advance(3 * 86_400)
    since = harness.clock.now() - dt.timedelta(hours=1)
    edited = harness.sim.mutate("edit_vendors", {"count": 2})["edited"]
    harness.sim.mutate("deactivate_vendor", {"card_code": "V10030", "how": "invalid"})
    async with harness.connector() as sap:
        result = await sap.import_vendors(since=since)
    got = {v["external_id"]: v for v in _data(result)}
    assert set(got) == {*edited, "V10030"}
    assert got["V10030"]["is_active"] is False
    query = next(r for r in harness.log() if r.path == "/b1s/v1/BusinessPartners")
    assert query.status == 200


async def test_purchase_order_import_with_lines_and_status(harness: Harness) -> None:
    async with harness.connector() as sap:
        every = await sap.import_purchase_orders()
        open_only = await sap.import_purchase_orders(status_filter=[PurchaseOrderStatus.OPEN])
    docs = {str(d["DocEntry"]): d for d in harness.company().records("PurchaseOrders")}
    assert every.success_count == len(docs)
    statuses = {p["external_id"]: p["status"] for p in _data(every)}
    assert {k for k, s in statuses.items() if s == "closed"} == {
        k for k, d in docs.items() if d["DocumentStatus"] == "bost_Close"
    }
    assert {p["external_id"] for p in _data(open_only)} == {
        k for k, d in docs.items() if d["DocumentStatus"] == "bost_Open"
    }
    first = _data(every)[0]
    doc = docs[first["external_id"]]
    assert Decimal(first["total_amount"]) == doc["DocTotal"]
    assert len(first["line_items"]) == len(doc["DocumentLines"])
    assert first["po_number"] == str(doc["DocNum"])


async def test_export_without_po_is_idempotent(harness: Harness) -> None:
    vendor = harness.suppliers(active=True)[0]["CardCode"]
    invoice = service_invoice(vendor, "SUP-9001")
    async with harness.connector() as sap:
        first = await sap.export_invoice(invoice)
        again = await sap.export_invoice(invoice)
    assert first.created and not again.created
    assert first.external_id == again.external_id
    bills = harness.bills(vendor, "SUP-9001")
    assert len(bills) == 1
    bill = bills[0]
    assert bill["DocType"] == "dDocument_Service"
    assert bill["DocTotal"] == Decimal("150.50")
    assert [line["AccountCode"] for line in bill["DocumentLines"]] == ["_SYS00000000610"] * 2
    assert "inv-SUP-9001" in bill["Comments"]


async def test_export_with_po_links_lines_and_closes_po(harness: Harness) -> None:
    po = open_item_orders(harness)[0]
    invoice = po_invoice(po, "SUP-PO-77")
    async with harness.connector() as sap:
        result = await sap.export_invoice(invoice)
    bill = harness.company().get("PurchaseInvoices", int(result.external_id))
    assert [(x["BaseType"], x["BaseEntry"], x["BaseLine"]) for x in bill["DocumentLines"]] == [
        (22, po["DocEntry"], pl["LineNum"]) for pl in po["DocumentLines"]
    ]
    assert bill["DocTotal"] == po["DocTotal"]
    assert po["DocumentStatus"] == "bost_Close"


async def test_payment_status_unpaid_partial_paid(harness: Harness) -> None:
    vendor = harness.suppliers(active=True)[1]["CardCode"]
    async with harness.connector() as sap:
        exported = await sap.export_invoice(service_invoice(vendor, "SUP-PAY-1", ("200.00",)))
        entry = int(exported.external_id)
        unpaid = await sap.sync_payment_status(exported.external_id)
        harness.sim.mutate("pay_invoice", {"doc_entry": entry, "amount": "75.25"})
        partial = await sap.sync_payment_status(exported.external_id)
        harness.sim.mutate("pay_invoice", {"doc_entry": entry})
        paid = await sap.sync_payment_status(exported.external_id)
    assert (unpaid.status, unpaid.amount_paid, unpaid.amount_due) == (
        PaymentStatus.UNPAID,
        Decimal(0),
        Decimal("200"),
    )
    assert (partial.status, partial.amount_paid, partial.amount_due) == (
        PaymentStatus.PARTIAL,
        Decimal("75.25"),
        Decimal("124.75"),
    )
    assert paid.status is PaymentStatus.PAID and paid.amount_due == 0
    assert len(paid.payments) == 2 and paid.last_payment_date == dt.date(2024, 6, 3)
    assert all(r.path != "/b1s/v1/IncomingPayments" for r in harness.log())


async def test_closed_by_hand_is_not_paid_and_cancelled_is_voided(harness: Harness) -> None:
    vendor = harness.suppliers(active=True)[2]["CardCode"]
    async with harness.connector() as sap:
        closed = await sap.export_invoice(service_invoice(vendor, "SUP-CLOSE", ("50.00",)))
        harness.sim.mutate("close_invoice", {"doc_entry": int(closed.external_id)})
        status = await sap.sync_payment_status(closed.external_id)
        harness.sim.mutate("cancel_invoice", {"doc_entry": int(closed.external_id)})
        voided = await sap.sync_payment_status(closed.external_id)
    assert status.status is PaymentStatus.UNPAID and status.amount_due == Decimal("50")
    assert voided.status is PaymentStatus.VOIDED


async def test_session_expiry_mid_import_relogs_and_loses_nothing(clock: Clock) -> None:
    for harness in make_harness(clock, vendors=1000, purchase_orders=0, bills=0):
        async with harness.connector() as sap:
            sap.page_size = 100
            codes: list[str] = []
            pages = 0
            async for page in sap.iter_vendors():
                codes += [v.external_id for v in page]
                pages += 1
                if pages == 4:
                    harness.clock.advance(31 * 60)  # idle past SessionTimeout (30 min) mid-walk
        assert len(codes) == len(set(codes)) == 1000
        assert codes == sorted(codes)
        assert _logins(harness) == 2
        walk = [r for r in harness.log() if r.path in ("/b1s/v1/BusinessPartners", "/b1s/v1/Login")]
        statuses = [(r.path.rsplit("/", 1)[1], r.status) for r in walk]
        expired = statuses.index(("BusinessPartners", 401))
        assert statuses[expired + 1] == ("Login", 200)
        assert statuses[expired + 2] == ("BusinessPartners", 200)
        assert expired == 5  # Login, then pages 1-4 read, the 5th request is refused and repeated


async def test_logout_on_close(harness: Harness) -> None:
    sap = harness.connector()
    await sap.get_tax_codes()
    assert harness.sim.sessions_open() == 1
    await sap.close()
    assert harness.sim.sessions_open() == 0
    logout = [r for r in harness.log() if r.path == "/b1s/v1/Logout"]
    assert [r.status for r in logout] == [204]


async def test_commit_then_fail_leaves_exactly_one_invoice(harness: Harness) -> None:
    vendor = harness.suppliers(active=True)[3]["CardCode"]
    harness.sim.set_fault_plan(harness.sim.faults.plan.parse("commit_then_fail=1"))
    async with harness.connector() as sap:
        result = await sap.export_invoice(service_invoice(vendor, "SUP-LOST"))
        replay = await sap.export_invoice(service_invoice(vendor, "SUP-LOST"))
    assert result.created and not replay.created
    assert len(harness.bills(vendor, "SUP-LOST")) == 1
    posts = [r for r in harness.log() if r.method == "POST" and r.path == "/b1s/v1/PurchaseInvoices"]
    assert [r.fault for r in posts] == ["lost_response"]


async def test_commit_then_504_leaves_exactly_one_invoice(harness: Harness) -> None:
    vendor = harness.suppliers(active=True)[4]["CardCode"]
    harness.sim.set_fault_plan(harness.sim.faults.plan.parse("commit_then_fail=1;lost_response=504"))
    async with harness.connector() as sap:
        result = await sap.export_invoice(service_invoice(vendor, "SUP-504"))
    assert result.created
    assert len(harness.bills(vendor, "SUP-504")) == 1


async def test_second_company_through_company_db(harness: Harness) -> None:
    async with harness.connector(creds={**harness.creds, "company_db": "SBODEMOGB"}) as gb:
        info = await gb.test_connection()
        codes = await gb.get_tax_codes()
        vendors = await gb.import_vendors()
    assert (info.company_id, info.country, info.base_currency) == ("SBODEMOGB", "GB", "GBP")
    assert {c.code for c in codes} >= {"I1", "O1"}
    assert next(c for c in codes if c.code == "I1").rate == Decimal("20")
    assert not next(c for c in codes if c.code == "IX").is_active
    assert vendors.success_count == len(harness.suppliers("SBODEMOGB"))


async def test_accounts_and_us_tax_codes(harness: Harness) -> None:
    async with harness.connector() as sap:
        accounts = await sap.get_accounts()
        codes = await sap.get_tax_codes()
    by_id = {a.external_id: a for a in accounts}
    assert by_id["_SYS00000000610"].code == "61000" and by_id["_SYS00000000610"].is_active
    assert not by_id["_SYS00000000600"].is_active  # title account: no postings
    assert {c.code: c.rate for c in codes}["CA"] == Decimal("8.25")


async def test_server_overload_is_retried(harness: Harness) -> None:
    harness.sim.set_fault_plan(harness.sim.faults.plan.parse("next429=2;path=/b1s/v1/ChartOfAccounts"))
    async with harness.connector() as sap:
        accounts = await sap.get_accounts()
    assert accounts
    assert [r.status for r in harness.log("/b1s/v1/ChartOfAccounts")] == [503, 503, 200]
    assert len(harness.sleeps) == 2


async def test_v2_api_version(harness: Harness) -> None:
    async with harness.connector(creds={**harness.creds, "api_version": "v2"}) as sap:
        sap.page_size = 20
        vendors = await sap.import_vendors()
    assert vendors.success_count == 60
    assert {r.path for r in harness.log()} >= {"/b1s/v2/Login", "/b1s/v2/BusinessPartners", "/b1s/v2/Logout"}
