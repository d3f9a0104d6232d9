"""Deletions and cancellations in the ERP reach SmartAP on the next incremental import, on every
simulator and both databases: a vendor removed, archived or deactivated there becomes inactive here, a
purchase order deleted or cancelled there becomes cancelled here, nothing is deleted in SmartAP, and
the run stays within a small request budget (the removal feed is one CDC / SuiteQL / key-list read)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from erpsim.xero.deletions import delete_purchase_order
from smartap_erp.db.models import ERPEvent, ERPPurchaseOrderLink, ERPVendorLink, PurchaseOrder, Vendor
from smartap_erp.db.vault import CredentialVault, KeyRing
from smartap_erp.domain import ERPEntity, ERPSystem, PurchaseOrderStatus
from smartap_erp.sync.context import SyncContext
from smartap_erp.sync.service import ERPSyncService
from tests.sync.harness import ErpHarness, available_systems

Factory = async_sessionmaker[AsyncSession]
pytestmark = pytest.mark.parametrize("system", available_systems())
BUDGET = 12  # ERP requests of an incremental vendors + POs sync with a handful of changes


@pytest.fixture
def vault() -> CredentialVault:
    return CredentialVault(KeyRing([Fernet.generate_key()], "test"))


def _requests(harness: ErpHarness) -> int:
    return int(harness.state()["requests"]["total"])


def _vendor_without_documents(harness: ErpHarness, mapped: set[str]) -> str:
    """A mapped vendor the ERP lets a person delete (NetSuite and SAP refuse one with documents)."""
    sim = harness.sim
    if harness.system is ERPSystem.NETSUITE:
        used = {
            (txn.get("entity") or {}).get("id")
            for kind in ("purchaseOrder", "vendorBill", "vendorPayment")
            for txn in sim.store.records[kind].values()
        }
        return next(v for v in sorted(mapped) if v not in used)
    if harness.system is ERPSystem.SAP:
        company = next(iter(sim.companies.values()))
        used = {
            doc.get("CardCode")
            for name in ("PurchaseOrders", "PurchaseInvoices", "VendorPayments")
            for doc in company.records(name)
        }
        return next(v for v in sorted(mapped) if v not in used)
    return sorted(mapped)[0]


def remove_vendor(harness: ErpHarness, erp_id: str) -> None:
    """What a person does to get rid of a vendor in each ERP: deactivate (QuickBooks has no delete),
    archive (Xero), delete (NetSuite), remove (SAP)."""
    system = harness.system
    if system is ERPSystem.QUICKBOOKS:
        harness.mutate("deactivate_vendor", vendor_id=erp_id)
    elif system is ERPSystem.XERO:
        harness.mutate("archive_vendor", contact_id=erp_id)
    elif system is ERPSystem.NETSUITE:
        harness.mutate("delete_vendor", id=erp_id)
    else:
        harness.mutate("remove_vendor", card_code=erp_id)


def remove_purchase_order(harness: ErpHarness, erp_id: str) -> None:
    system = harness.system
    if system is ERPSystem.QUICKBOOKS:
        harness.mutate("delete_purchase_order", po_id=erp_id)
    elif system is ERPSystem.XERO:  # the sim's own op (erpsim/xero/deletions.py), called directly
        org = next(iter(harness.sim.orgs.values()))
        delete_purchase_order(org, {"purchase_order_id": erp_id}, harness.clock.now)
    elif system is ERPSystem.NETSUITE:
        harness.mutate("delete_purchase_order", id=erp_id)
    else:
        harness.mutate("cancel_purchase_order", doc_entry=int(erp_id))


async def _mapped(factory: Factory, connection_id: uuid.UUID) -> tuple[set[str], dict[str, Any]]:
    async with factory() as session:
        vendors = set(
            await session.scalars(
                select(ERPVendorLink.erp_vendor_id).where(
                    ERPVendorLink.connection_id == connection_id, ERPVendorLink.is_active.is_(True)
                )
            )
        )
        pos = {
            erp_id: status
            for erp_id, status in await session.execute(
                select(ERPPurchaseOrderLink.erp_po_id, PurchaseOrder.status)
                .join(PurchaseOrder, PurchaseOrder.id == ERPPurchaseOrderLink.smartap_po_id)
                .where(ERPPurchaseOrderLink.connection_id == connection_id)
            )
        }
    return vendors, pos


def _deletable_po(harness: ErpHarness, pos: dict[str, Any]) -> str:
    candidates = sorted(k for k, status in pos.items() if status is PurchaseOrderStatus.OPEN)
    return candidates[0]


async def _counts(factory: Factory) -> tuple[int, int]:
    async with factory() as session:
        vendors = await session.scalar(select(func.count()).select_from(Vendor))
        pos = await session.scalar(select(func.count()).select_from(PurchaseOrder))
    return int(vendors or 0), int(pos or 0)


async def test_removed_vendor_and_po_reach_smartap_on_the_next_incremental_sync(
    system: ERPSystem, session_factory: Factory, vault: CredentialVault
) -> None:
    ctx = SyncContext(session_factory, vault)
    harness = await ErpHarness.start(system, ctx)
    ctx.now = harness.clock.now
    service = ERPSyncService(ctx)
    connection_id = harness.connection.id
    await service.sync_connection(connection_id)  # the first, full read
    vendors, pos = await _mapped(session_factory, connection_id)
    vendor_id = _vendor_without_documents(harness, vendors)
    po_id = _deletable_po(harness, pos)
    before_counts = await _counts(session_factory)

    harness.clock.advance(120)
    quiet_before = _requests(harness)
    quiet = await service.sync_connection(connection_id)  # nothing changed: nothing deactivated
    quiet_cost = _requests(harness) - quiet_before
    assert all(r.deactivated_count == 0 for r in quiet.values())

    harness.clock.advance(120)
    remove_vendor(harness, vendor_id)
    remove_purchase_order(harness, po_id)
    harness.clock.advance(120)
    before = _requests(harness)
    reports = await service.sync_connection(connection_id)
    cost = _requests(harness) - before

    assert reports[ERPEntity.VENDOR].deactivated_count == 1
    assert not reports[ERPEntity.VENDOR].full_read and not reports[ERPEntity.PURCHASE_ORDER].full_read
    async with session_factory() as session:
        link = await session.scalar(
            select(ERPVendorLink).where(
                ERPVendorLink.connection_id == connection_id, ERPVendorLink.erp_vendor_id == vendor_id
            )
        )
        assert link is not None and link.is_active is False
        vendor = await session.get(Vendor, link.smartap_vendor_id)
        assert vendor is not None and vendor.is_active is False
        po = await session.scalar(
            select(PurchaseOrder)
            .join(ERPPurchaseOrderLink, ERPPurchaseOrderLink.smartap_po_id == PurchaseOrder.id)
            .where(
                ERPPurchaseOrderLink.connection_id == connection_id, ERPPurchaseOrderLink.erp_po_id == po_id
            )
        )
        assert po is not None and po.status is PurchaseOrderStatus.CANCELLED
        events = list(await session.scalars(select(ERPEvent).where(ERPEvent.type == "vendor.deactivated")))
    # deleted records (not inactive ones the ordinary read returns) raise vendor.deactivated here
    if system in (ERPSystem.NETSUITE, ERPSystem.SAP):
        assert [e.data["erp_vendor_id"] for e in events] == [vendor_id]
        assert events[0].data["reason"].startswith("deleted in ")
    assert await _counts(session_factory) == before_counts  # nothing deleted in SmartAP
    assert cost <= max(BUDGET, quiet_cost + 4), (cost, quiet_cost)

    harness.clock.advance(120)
    again = await service.sync_connection(connection_id)  # the removal is not applied twice
    assert again[ERPEntity.VENDOR].deactivated_count == 0
