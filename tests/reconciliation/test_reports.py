"""Reconciliation reports against the simulators, SQLite and PostgreSQL: a connection SmartAP and the
ERP agree on reconciles with no difference, within the stated request budget (counted by the report
and by the simulator alike); a vendor missing on one side, a bill whose amount was changed in the ERP
and a bill paid in the ERP but not yet in SmartAP are each listed; a scheduled run with differences
records `reconciliation.drift`. All four ERPs cover all four objects."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import delete, select

from smartap_erp.app.reconciliation import run_report
from smartap_erp.db.models import ERPEvent, ERPReconciliationReport, ERPVendorLink
from smartap_erp.db.vault import CredentialVault
from smartap_erp.domain import ERPSystem
from tests.reconciliation.world import change_bill_amount, reconciled, requests_sent
from tests.sync.export.helpers import Factory, pay

ALL = [ERPSystem.QUICKBOOKS, ERPSystem.XERO, ERPSystem.SAP, ERPSystem.NETSUITE]
# Requests of a run whose objects each fit one page (docs/sync.md §Reconciliation): QuickBooks
# companyinfo + (COUNT + 1 page) x 3; Xero one page x 3; SAP Login + one page x 3 + Logout;
# NetSuite one SuiteQL page of vendors + one of POs and bills + one currency read.
BUDGET = {ERPSystem.QUICKBOOKS: 7, ERPSystem.XERO: 3, ERPSystem.SAP: 5, ERPSystem.NETSUITE: 3}
READ = {"vendors", "purchase_orders", "bills", "payments"}


async def _report(factory: Factory, report_id: object) -> ERPReconciliationReport:
    async with factory() as session:
        row = await session.get(ERPReconciliationReport, report_id)
        assert row is not None
        return row


async def _drift_events(factory: Factory) -> list[ERPEvent]:
    async with factory() as session:
        return list(await session.scalars(select(ERPEvent).where(ERPEvent.type == "reconciliation.drift")))


@pytest.mark.parametrize("system", ALL)
async def test_a_clean_connection_reconciles_with_no_difference(
    system: ERPSystem, session_factory: Factory, vault: CredentialVault
) -> None:
    world, _ = await reconciled(system, session_factory, vault)
    before = requests_sent(world)
    report_id = await run_report(world.ctx, world.connection_id, triggered_by="test")
    sent = requests_sent(world) - before

    report = await _report(session_factory, report_id)
    assert report.status == "completed", report.error
    assert report.differences == [] and report.difference_count == 0
    assert report.request_count == sent == BUDGET[system]
    assert {name for name, o in report.objects.items() if o["read"]} == READ
    vendors = report.objects["vendors"]
    assert vendors["smartap"]["count"] == vendors["erp"]["count"] >= 8
    bill_figures = report.objects["bills"]
    assert bill_figures["smartap"]["count"] == 3
    assert bill_figures["erp"]["count"] == 3 + bill_figures["erp_only"]
    assert bill_figures["erp_only"] >= 1  # the simulator's own bills: counted, never drift
    ((currency, total),) = bill_figures["smartap"]["totals"].items()
    assert currency == world.currency and Decimal(total) == Decimal("303.00")  # 100 + 101 + 102
    orders = report.objects["purchase_orders"]
    assert orders["smartap"]["totals"] == orders["erp"]["totals"] != {}
    assert await _drift_events(session_factory) == []


@pytest.mark.parametrize("system", ALL)
async def test_differences_are_listed_and_a_scheduled_run_raises_drift(
    system: ERPSystem, session_factory: Factory, vault: CredentialVault
) -> None:
    world, bills = await reconciled(system, session_factory, vault)
    async with session_factory() as session, session.begin():
        dropped = await session.scalar(
            select(ERPVendorLink.erp_vendor_id)
            .where(
                ERPVendorLink.connection_id == world.connection_id,
                ERPVendorLink.erp_vendor_id != world.erp_vendor.external_id,
            )
            .limit(1)
        )
        await session.execute(delete(ERPVendorLink).where(ERPVendorLink.erp_vendor_id == dropped))
    change_bill_amount(world, bills[0], Decimal("250.00"))
    pay(world.harness, bills[1], Decimal("10.00"))

    report_id = await run_report(world.ctx, world.connection_id, triggered_by="schedule", raise_drift=True)

    report = await _report(session_factory, report_id)
    found = {(d["object"], d["kind"], d["erp_id"]) for d in report.differences}
    assert found == {
        ("vendors", "missing_in_smartap", dropped),
        ("bills", "amount_differs", bills[0]),
        ("payments", "status_differs", bills[1]),
    }
    changed = next(d for d in report.differences if d["object"] == "bills")
    assert Decimal(changed["erp"]["amount"]) == Decimal("250.00")
    assert changed["erp"]["currency"] == changed["smartap"]["currency"] == world.currency
    paid = next(d for d in report.differences if d["object"] == "payments")
    assert (paid["smartap"]["status"], paid["erp"]["status"]) == ("unpaid", "partial")
    assert Decimal(paid["erp"]["amount"]) == Decimal("10.00")
    assert report.difference_count == 3
    assert report.objects["vendors"]["erp"]["count"] == report.objects["vendors"]["smartap"]["count"] + 1
    events = await _drift_events(session_factory)
    assert len(events) == 1
    assert events[0].connection_id == world.connection_id
    assert events[0].data == {
        "report_id": str(report_id),
        "differences": {"vendors": 1, "purchase_orders": 0, "bills": 1, "payments": 1},
    }


async def test_a_run_over_its_budget_stops_failed_and_says_why(
    session_factory: Factory, vault: CredentialVault
) -> None:
    from smartap_erp.connectors.reconciliation import ReconciliationBudgetError

    world, _ = await reconciled(ERPSystem.QUICKBOOKS, session_factory, vault)
    with pytest.raises(ReconciliationBudgetError):
        await run_report(world.ctx, world.connection_id, triggered_by="test", budget=4)
    async with session_factory() as session:
        row = (await session.scalars(select(ERPReconciliationReport))).one()
    assert row.status == "failed" and row.request_count == 4
    assert "budget of 4 requests" in (row.error or "")
