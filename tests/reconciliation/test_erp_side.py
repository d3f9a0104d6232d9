"""The ERP side of reconciliation on SAP Business One and NetSuite, beyond the shared report tests:
SAP's A/P invoice `PaidToDate` follows vendor payments in the simulator and gives the payment
differences (paid in full, a payment cancelled again); a Service Layer whose `$metadata` has no header
`PaidToDate` (the 2021 one) still reconciles vendors, POs and bills, with payments reported unread and
one more request; NetSuite's SuiteQL status letters read like the simulator's labels. SQLite and
PostgreSQL where a database is involved."""

from __future__ import annotations

from decimal import Decimal

import pytest

from erpsim.sap.schema import ENTITY_SETS
from smartap_erp.app.reconciliation import run_report
from smartap_erp.connectors.netsuite.reconcile import bill_row, po_row
from smartap_erp.db.models import ERPReconciliationReport
from smartap_erp.db.vault import CredentialVault
from smartap_erp.domain import ERPSystem
from tests.reconciliation.world import reconciled, requests_sent
from tests.sync.export.helpers import Factory, pay


async def _report(factory: Factory, report_id: object) -> ERPReconciliationReport:
    async with factory() as session:
        row = await session.get(ERPReconciliationReport, report_id)
        assert row is not None
        return row


async def test_sap_paid_to_date_follows_payments_and_gives_payment_differences(
    session_factory: Factory, vault: CredentialVault
) -> None:
    world, bills = await reconciled(ERPSystem.SAP, session_factory, vault)
    company = next(iter(world.harness.sim.companies.values()))
    invoice = company.get("PurchaseInvoices", int(bills[0]))
    assert invoice["PaidToDate"] == 0
    paid = pay(world.harness, bills[0], Decimal("40.00"))
    assert invoice["PaidToDate"] == Decimal("40.00") and invoice["DocumentStatus"] == "bost_Open"
    world.harness.mutate("cancel_payment", doc_entry=paid["payment_doc_entry"])
    assert invoice["PaidToDate"] == 0
    pay(world.harness, bills[2], Decimal(str(company.get("PurchaseInvoices", int(bills[2]))["DocTotal"])))

    report = await _report(
        session_factory, await run_report(world.ctx, world.connection_id, triggered_by="test")
    )

    assert report.status == "completed", report.error
    ((difference),) = report.differences
    assert (difference["object"], difference["kind"], difference["erp_id"]) == (
        "payments",
        "status_differs",
        bills[2],
    )
    assert (difference["smartap"]["status"], difference["erp"]["status"]) == ("unpaid", "paid")
    assert Decimal(difference["erp"]["amount"]) == Decimal("102.00")
    ((currency, total),) = report.objects["payments"]["erp"]["totals"].items()
    assert currency == world.currency and Decimal(total) == Decimal("102.00")


async def test_sap_without_paid_to_date_reports_payments_unread(
    session_factory: Factory, vault: CredentialVault, monkeypatch: pytest.MonkeyPatch
) -> None:
    world, bills = await reconciled(ERPSystem.SAP, session_factory, vault)
    # A Service Layer of the 2021 $metadata: no header PaidToDate on documents (sap.md §Paid or not).
    monkeypatch.delitem(ENTITY_SETS["PurchaseInvoices"].fields, "PaidToDate")
    pay(world.harness, bills[0], Decimal("10.00"))
    before = requests_sent(world)

    report = await _report(
        session_factory, await run_report(world.ctx, world.connection_id, triggered_by="test")
    )

    assert report.status == "completed", report.error
    assert report.differences == []
    assert {name for name, o in report.objects.items() if o["read"]} == {
        "vendors",
        "purchase_orders",
        "bills",
    }
    assert report.request_count == requests_sent(world) - before == 5 + 1  # the refused read, then again


def test_netsuite_status_letters_read_as_the_labels() -> None:
    currencies = {"1": "USD"}
    base = {"id": "7", "tranid": "B-7", "currency": "1", "foreigntotal": "100.00"}
    for status in ("C", "VendBill:C", "Cancelled", "E"):
        row = bill_row({**base, "type": "VendBill", "status": status, "foreignamountpaid": "0"}, currencies)
        assert (row.status, row.paid_status) == ("voided", "voided"), status
    partial = bill_row(
        {**base, "type": "VendBill", "status": "A", "foreignamountunpaid": "60.00"}, currencies
    )
    assert (partial.status, partial.paid, partial.paid_status, partial.currency) == (
        "open",
        Decimal("40.00"),
        "partial",
        "USD",
    )
    paid = bill_row({**base, "type": "VendBill", "status": "B", "foreignamountpaid": "100.00"}, currencies)
    assert paid.paid_status == "paid"
    for status, expected in (
        ("B", "open"),
        ("G", "closed"),
        ("H", "closed"),
        ("C", "cancelled"),
        ("A", "draft"),
    ):
        assert po_row({**base, "type": "PurchOrd", "status": status}, currencies).status == expected
    assert po_row({**base, "type": "PurchOrd", "status": "Fully Billed"}, currencies).status == "closed"
    assert po_row({**base, "type": "PurchOrd", "status": "B", "currency": "99"}, currencies).currency is None
