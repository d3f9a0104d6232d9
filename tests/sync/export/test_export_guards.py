"""Export's checks before any write (issue 16, items 3 and 5), against each simulator, on SQLite and
PostgreSQL: an invoice dated in a closed period goes to review with no write request; the redate
policy exports it dated the first open day and the sync log says so; Xero's draft policy; a lock date
set in the ERP after SmartAP's check is classified as a locked period and the invoice goes to review;
a bill already in the ERP with the same number and amount is linked, not created twice; one with a
different amount sends the invoice to review with both amounts.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select, update

from smartap_erp.connectors.registry import registry
from smartap_erp.db.models import ERPConnection, ERPExportOutbox, ERPSyncLog, ExportState, Invoice
from smartap_erp.db.models.events import ERPEvent
from smartap_erp.db.vault import CredentialVault
from smartap_erp.domain import ERPInvoice, ERPInvoiceLine, ERPSystem, InvoiceStatus
from smartap_erp.sync.export.run import ExportReport, export_invoices
from tests.sync.export.helpers import Factory, World, add_invoices, bills_in_erp, mappings, start
from tests.sync.harness import ErpHarness, available_systems


def _checked_systems() -> list[ERPSystem]:
    """The systems whose connector reads closed periods and looks bills up (all four once built)."""
    return [s for s in available_systems() if hasattr(registry.get(s.value), "period_locks")]


pytestmark = pytest.mark.parametrize("system", _checked_systems())

LOCKED_THROUGH = dt.date(2024, 6, 30)  # the invoices of helpers.add_invoices are dated 2024-06-01
FIRST_OPEN = dt.date(2024, 7, 1)


def lock(harness: ErpHarness, day: dt.date | None) -> None:
    """Close the ERP's books through `day` (every simulator names the op `set_lock_date`)."""
    harness.mutate("set_lock_date", date=None if day is None else day.isoformat())


_WRITES: list[str] = []  # what export asked a connector to write, in order (the `_spy_on_writes` fixture)


@pytest.fixture(autouse=True)
def _spy_on_writes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Record every bill export asks a connector to write. Counted at the connector, not from the
    simulator's request log: QuickBooks looks bills up in a read-only `/batch` request, which the log
    (method and path only) cannot tell from a write."""
    _WRITES.clear()
    for system in _checked_systems():
        cls = registry.get(system.value)
        one, many = cls.export_invoice, cls.export_invoices

        async def export_invoice(self: Any, invoice: ERPInvoice, _one: Any = one) -> Any:
            _WRITES.append(invoice.invoice_number)
            return await _one(self, invoice)

        async def export_invoices(self: Any, invoices: Any, _many: Any = many) -> Any:
            batch = list(invoices)
            _WRITES.extend(i.invoice_number for i in batch)
            return await _many(self, batch)

        monkeypatch.setattr(cls, "export_invoice", export_invoice)
        monkeypatch.setattr(cls, "export_invoices", export_invoices)


def bill_writes(harness: ErpHarness) -> list[str]:
    """The bills export asked `harness`'s connector to write (one test, one simulator)."""
    return list(_WRITES)


async def set_policy(factory: Factory, connection_id: uuid.UUID, policy: str) -> None:
    async with factory() as session, session.begin():
        await session.execute(
            update(ERPConnection).where(ERPConnection.id == connection_id).values(closed_period_policy=policy)
        )


async def invoice_row(factory: Factory, invoice_id: uuid.UUID) -> Invoice:
    async with factory() as session:
        row = await session.get(Invoice, invoice_id)
        assert row is not None
        return row


async def log_params(factory: Factory, log_id: uuid.UUID) -> dict[str, Any]:
    async with factory() as session:
        log = await session.get(ERPSyncLog, log_id)
        assert log is not None
        return dict(log.sync_params or {})


async def review_events(factory: Factory) -> list[dict[str, Any]]:
    async with factory() as session:
        rows = await session.scalars(select(ERPEvent).where(ERPEvent.type == "invoice.needs_review"))
        return [dict(r.data) for r in rows]


def erp_bill(world: World, bill_id: str) -> dict[str, Any]:
    """The bill as the simulator stores it, read as a person would look it up in the ERP."""
    system, sim = world.harness.system, world.harness.sim
    if system is ERPSystem.QUICKBOOKS:
        return dict(sim.store.records["Bill"][bill_id])
    if system is ERPSystem.XERO:
        key = bill_id.lower()
        return next(dict(org.invoices[key]) for org in sim.orgs.values() if key in org.invoices)
    if system is ERPSystem.SAP:
        return dict(sim.companies[sim.credentials()["company_db"]].get("PurchaseInvoices", int(bill_id)))
    return dict(sim.store.get("vendorBill", bill_id))


async def erp_bill_date(world: World, bill_id: str) -> dt.date:
    """The date the ERP stored on a bill."""
    bill = erp_bill(world, bill_id)
    raw = {
        ERPSystem.QUICKBOOKS: "TxnDate",
        ERPSystem.XERO: "Date",
        ERPSystem.SAP: "DocDate",
        ERPSystem.NETSUITE: "tranDate",
    }[world.harness.system]
    value = bill[raw]
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])


async def test_closed_period_goes_to_review_before_any_write(
    system: ERPSystem, session_factory: Factory, vault: CredentialVault
) -> None:
    world = await start(system, session_factory, vault)
    lock(world.harness, LOCKED_THROUGH)
    before = bills_in_erp(world.harness)
    [invoice] = await add_invoices(world, 1)

    report = await export_invoices(world.ctx, world.connection_id, [invoice.id])

    assert (report.success_count, report.created_count) == (0, 0)
    assert bill_writes(world.harness) == [] and bills_in_erp(world.harness) == before
    [error] = report.errors
    assert error.code == "period_locked" and error.field == "invoice_date"
    assert "period closed in the ERP" in error.message and "2024-06-01" in error.message
    row = await invoice_row(session_factory, invoice.id)
    assert row.status is InvoiceStatus.NEEDS_REVIEW
    assert row.review_reason is not None and "period closed" in row.review_reason
    async with session_factory() as session:
        outbox = (await session.scalars(select(ERPExportOutbox))).one()
        log = await session.get(ERPSyncLog, report.log_id)
    assert outbox.state is ExportState.FAILED and "period closed" in (outbox.last_error or "")
    assert log is not None and log.error_kind == "period_locked"
    [event] = await review_events(session_factory)
    assert event["invoice_id"] == str(invoice.id) and event["reason_code"] == "period_locked"


async def test_redate_policy_exports_on_the_first_open_day_and_logs_it(
    system: ERPSystem, session_factory: Factory, vault: CredentialVault
) -> None:
    world = await start(system, session_factory, vault)
    lock(world.harness, LOCKED_THROUGH)
    await set_policy(session_factory, world.connection_id, "redate")
    [invoice] = await add_invoices(world, 1)

    report = await export_invoices(world.ctx, world.connection_id, [invoice.id])

    assert (report.success_count, report.created_count, report.errors) == (1, 1, [])
    assert await erp_bill_date(world, report.bills[invoice.id]) == FIRST_OPEN
    [note] = (await log_params(session_factory, report.log_id))["closed_period"]
    assert (
        note["policy"] == "redate" and note["from"] == "2024-06-01" and note["to"] == FIRST_OPEN.isoformat()
    )
    assert (await invoice_row(session_factory, invoice.id)).status is InvoiceStatus.EXPORTED


async def test_xero_draft_policy_exports_a_draft_bill(
    system: ERPSystem, session_factory: Factory, vault: CredentialVault
) -> None:
    if system is not ERPSystem.XERO:
        pytest.skip("only Xero takes a draft bill in a locked period")
    world = await start(system, session_factory, vault)
    lock(world.harness, LOCKED_THROUGH)
    await set_policy(session_factory, world.connection_id, "draft")
    [invoice] = await add_invoices(world, 1)

    report = await export_invoices(world.ctx, world.connection_id, [invoice.id])

    assert (report.success_count, report.created_count, report.errors) == (1, 1, [])
    bill = erp_bill(world, report.bills[invoice.id])
    assert bill["Status"] == "DRAFT" and bill["Date"] == dt.date(2024, 6, 1)
    [note] = (await log_params(session_factory, report.log_id))["closed_period"]
    assert note["policy"] == "draft"


async def test_lock_date_set_after_the_check_is_classified_as_period_locked(
    system: ERPSystem, session_factory: Factory, vault: CredentialVault
) -> None:
    world = await start(system, session_factory, vault)
    first, second = await add_invoices(world, 2)
    warm = await export_invoices(world.ctx, world.connection_id, [first.id])  # reads the periods: all open
    assert warm.created_count == 1
    lock(world.harness, LOCKED_THROUGH)  # the accountant closes June within the five-minute freshness
    before = bills_in_erp(world.harness)

    report = await export_invoices(world.ctx, world.connection_id, [second.id])

    assert (report.success_count, bills_in_erp(world.harness)) == (0, before)
    [error] = report.errors
    assert "after SmartAP's check" in error.message
    row = await invoice_row(session_factory, second.id)
    assert row.status is InvoiceStatus.NEEDS_REVIEW and "period locked" in (row.review_reason or "")
    async with session_factory() as session:
        log = await session.get(ERPSyncLog, report.log_id)
    assert log is not None and log.error_kind == "period_locked"
    assert [e["reason_code"] for e in await review_events(session_factory)] == ["period_locked"]
    # the next export reads the periods again and stops before writing
    writes = len(bill_writes(world.harness))
    again = await export_invoices(world.ctx, world.connection_id, [second.id])
    assert again.errors[0].code == "period_locked" and len(bill_writes(world.harness)) == writes


def _erp_invoice(world: World, number: str, amount: Decimal) -> ERPInvoice:
    return ERPInvoice(
        invoice_number=number,
        vendor_id=world.erp_vendor.external_id,
        invoice_date=dt.date(2024, 6, 1),
        currency=world.currency,
        total_amount=amount,
        line_items=(
            ERPInvoiceLine(
                description="Paper",
                quantity=Decimal(1),
                unit_price=amount,
                amount=amount,
                account_code=world.account.code
                if world.harness.system is ERPSystem.XERO
                else world.account.external_id,
            ),
        ),
        smartap_invoice_id=str(uuid.uuid4()),  # someone else's bill: another key
    )


async def _bill_typed_in_erp(world: World, number: str, amount: Decimal) -> str:
    async with world.ctx.connector(world.harness.connection) as erp:
        result = await erp.export_invoice(_erp_invoice(world, number, amount))
    return result.external_id


async def _export_after_typed_bill(
    system: ERPSystem, factory: Factory, vault: CredentialVault, number: str, *, ours: Decimal
) -> tuple[World, str, int, Invoice, ExportReport]:
    """A bill for 150.00 typed into the ERP with `number`, then our invoice of `ours` exported."""
    world = await start(system, factory, vault)
    bill_id = await _bill_typed_in_erp(world, number, Decimal("150.00"))
    before = bills_in_erp(world.harness)
    [invoice] = await add_invoices(world, 1, number=number, net=ours)
    report = await export_invoices(world.ctx, world.connection_id, [invoice.id])
    return world, bill_id, before, invoice, report


async def test_duplicate_with_the_same_amount_is_linked_not_created_twice(
    system: ERPSystem, session_factory: Factory, vault: CredentialVault
) -> None:
    world, bill_id, before, invoice, report = await _export_after_typed_bill(
        system, session_factory, vault, "SUP-DUP-1", ours=Decimal("150.00")
    )

    assert (report.success_count, report.created_count, report.errors) == (1, 0, [])
    assert report.bills[invoice.id] == bill_id and report.linked == {invoice.id: bill_id}
    assert bills_in_erp(world.harness) == before
    [link] = await mappings(session_factory, world.connection_id)
    assert link.erp_invoice_id == bill_id and link.payment_synced_at is None
    [note] = (await log_params(session_factory, report.log_id))["duplicates_linked"]
    assert note == {"invoice_id": str(invoice.id), "invoice_number": "SUP-DUP-1", "bill_id": bill_id}


async def test_duplicate_with_a_different_amount_goes_to_review(
    system: ERPSystem, session_factory: Factory, vault: CredentialVault
) -> None:
    world, bill_id, before, invoice, report = await _export_after_typed_bill(
        system, session_factory, vault, "SUP-DUP-2", ours=Decimal("175.00")
    )

    assert (report.success_count, report.created_count) == (0, 0)
    assert bills_in_erp(world.harness) == before and report.review == {invoice.id: bill_id}
    [error] = report.errors
    assert error.code == "duplicate_bill_differs"
    assert "150.00" in error.message and "175.00" in error.message and bill_id in error.message
    row = await invoice_row(session_factory, invoice.id)
    assert row.status is InvoiceStatus.NEEDS_REVIEW and "175.00" in (row.review_reason or "")
    assert await mappings(session_factory, world.connection_id) == []
    [event] = await review_events(session_factory)
    assert event["bill_id"] == bill_id and event["reason_code"] == "duplicate_bill_differs"
