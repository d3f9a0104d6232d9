"""Exported bills voided, cancelled or deleted in the ERP, on every simulator and both databases: the
next payment sync puts their invoices in review with the reason, raises `bill.voided`, keeps every row,
reports each bill once, and stays within the same small request budget as a quiet run plus the feed."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from smartap_erp.db.models import ERPEvent, ERPInvoiceLink, Invoice
from smartap_erp.db.vault import CredentialVault
from smartap_erp.domain import ERPSystem, InvoiceStatus, PaymentStatus, SyncStatus
from smartap_erp.sync.export.run import export_invoices
from smartap_erp.sync.payments.run import sync_payment_statuses
from tests.sync.export.helpers import Factory, add_invoices, mappings, start
from tests.sync.harness import ErpHarness, available_systems

pytestmark = pytest.mark.parametrize("system", available_systems())
# Deleting an exported bill: QuickBooks and NetSuite can; Xero deletes only drafts (ours are
# AUTHORISED, so they are voided); SAP never deletes a document, it cancels it.
DELETES = {ERPSystem.QUICKBOOKS, ERPSystem.NETSUITE}


def void(harness: ErpHarness, bill_id: str) -> None:
    system = harness.system
    if system is ERPSystem.SAP:
        harness.mutate("cancel_invoice", doc_entry=int(bill_id))
    elif system is ERPSystem.XERO:
        harness.mutate("void_bill", invoice_id=bill_id)
    elif system is ERPSystem.NETSUITE:
        harness.mutate("cancel_bill", bill_id=bill_id)
    else:
        harness.mutate("void_bill", bill_id=bill_id)


def delete(harness: ErpHarness, bill_id: str) -> None:
    harness.mutate("delete_bill", bill_id=bill_id)


def _requests(harness: ErpHarness) -> int:
    return int(harness.state()["requests"]["total"])


async def test_voided_and_deleted_bills_send_their_invoices_to_review(
    system: ERPSystem, session_factory: Factory, vault: CredentialVault
) -> None:
    world = await start(system, session_factory, vault)
    invoices = await add_invoices(world, 3)
    ids = [i.id for i in invoices]
    await export_invoices(world.ctx, world.connection_id, ids)
    bills = {
        m.smartap_invoice_id: m.erp_invoice_id for m in await mappings(session_factory, world.connection_id)
    }
    world.harness.clock.advance(60)
    await sync_payment_statuses(world.ctx, world.connection_id)  # every bill's status known
    world.harness.clock.advance(60)
    before = _requests(world.harness)
    await sync_payment_statuses(world.ctx, world.connection_id)
    quiet_cost = _requests(world.harness) - before

    world.harness.clock.advance(60)
    void(world.harness, bills[ids[0]])
    if system in DELETES:
        delete(world.harness, bills[ids[1]])
    world.harness.clock.advance(60)
    before = _requests(world.harness)
    report = await sync_payment_statuses(world.ctx, world.connection_id)
    cost = _requests(world.harness) - before

    dead = [ids[0], ids[1]] if system in DELETES else [ids[0]]
    assert report.status is SyncStatus.COMPLETED and report.errors == []
    assert report.updated_count == len(dead)
    assert cost <= quiet_cost + 1, (cost, quiet_cost)  # deletions cost nothing per bill
    async with session_factory() as session:
        rows = {i.id: i for i in await session.scalars(select(Invoice).where(Invoice.id.in_(ids)))}
        links = {
            m.smartap_invoice_id: m
            for m in await session.scalars(
                select(ERPInvoiceLink).where(ERPInvoiceLink.connection_id == world.connection_id)
            )
        }
        events = list(await session.scalars(select(ERPEvent).where(ERPEvent.type == "bill.voided")))
        assert await session.scalar(select(func.count()).select_from(Invoice)) == 3
    for invoice_id in dead:
        assert rows[invoice_id].status is InvoiceStatus.NEEDS_REVIEW
        reason = rows[invoice_id].review_reason or ""
        assert f"bill {bills[invoice_id]} " in reason, reason
        assert links[invoice_id].payment_status is PaymentStatus.VOIDED  # the mapping keeps the bill id
        assert links[invoice_id].erp_invoice_id == bills[invoice_id]
    if system in DELETES:
        assert "was deleted in" in (rows[ids[1]].review_reason or "")
    assert rows[ids[2]].status is InvoiceStatus.EXPORTED and rows[ids[2]].review_reason is None
    assert sorted(e.data["bill_id"] for e in events) == sorted(bills[i] for i in dead)
    assert {e.connection_id for e in events} == {world.connection_id}

    world.harness.clock.advance(60)
    again = await sync_payment_statuses(world.ctx, world.connection_id)  # reported once
    assert (again.total_count, again.updated_count) == (3 - len(dead), 0)
    async with session_factory() as session:
        assert await session.scalar(
            select(func.count()).select_from(ERPEvent).where(ERPEvent.type == "bill.voided")
        ) == len(dead)
