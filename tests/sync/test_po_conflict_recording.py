"""Recording a purchase-order conflict (issue 12 item 9): the versions hold Decimal quantities and
prices, which used to crash the import with `Decimal is not JSON serializable`. The conflict row
must keep money and quantities exact (as strings) and resolve through the normal path."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from smartap_erp.db.models import ERPConflict, ERPPurchaseOrderLink, PurchaseOrder, PurchaseOrderLine
from smartap_erp.db.vault import CredentialVault, KeyRing
from smartap_erp.domain import ConflictStatus, ERPSystem
from smartap_erp.sync.context import SyncContext
from smartap_erp.sync.service import ERPSyncService
from tests.sync.harness import ErpHarness, available_systems

Factory = async_sessionmaker[AsyncSession]


@pytest.fixture
def ctx(session_factory: Factory) -> SyncContext:
    stamp = iter(
        dt.datetime(2024, 6, 3, 12, 0, tzinfo=dt.UTC) + dt.timedelta(seconds=s) for s in range(10**6)
    )
    return SyncContext(
        session_factory, CredentialVault(KeyRing([Fernet.generate_key()], "test")), now=lambda: next(stamp)
    )


@pytest.mark.parametrize(
    "system", [s for s in available_systems() if s in (ERPSystem.QUICKBOOKS, ERPSystem.NETSUITE)]
)
async def test_a_purchase_order_conflict_is_recorded_with_exact_decimals(
    ctx: SyncContext, system: ERPSystem
) -> None:
    harness = await ErpHarness.start(system, ctx, vendors=4, purchase_orders=3, bills=0)
    service = ERPSyncService(ctx)
    cid = harness.connection.id
    first = await service.import_purchase_orders(cid)
    assert first.created_count >= 1
    async with ctx.session_factory() as session, session.begin():
        mapping = await session.scalar(
            select(ERPPurchaseOrderLink).where(ERPPurchaseOrderLink.connection_id == cid).limit(1)
        )
        assert mapping is not None
        erp_id, po_id = mapping.erp_po_id, mapping.smartap_po_id
        # The link is lost (as with a second connection to the same account) and SmartAP's copy differs:
        # the next import links the two records and finds they disagree, a conflict.
        await session.execute(delete(ERPPurchaseOrderLink).where(ERPPurchaseOrderLink.id == mapping.id))
        line = await session.scalar(
            select(PurchaseOrderLine).where(PurchaseOrderLine.purchase_order_id == po_id).limit(1)
        )
        assert line is not None
        await session.execute(
            update(PurchaseOrderLine)
            .where(PurchaseOrderLine.id == line.id)
            .values(quantity=Decimal("3.125"), unit_price=Decimal("10.10"), description="edited in SmartAP")
        )
        await session.execute(
            update(PurchaseOrder).where(PurchaseOrder.id == po_id).values(updated_at=ctx.now())
        )

    report = await service.import_purchase_orders(cid, full=True)

    assert report.conflict_count == 1 and report.review_count == 1
    async with ctx.session_factory() as session:
        conflict = await session.scalar(select(ERPConflict).where(ERPConflict.erp_record_id == erp_id))
    assert conflict is not None and conflict.status == ConflictStatus.OPEN
    edited = [ln for ln in conflict.smartap_version["lines"] if ln["description"] == "edited in SmartAP"]
    assert len(edited) == 1
    assert Decimal(edited[0]["quantity"]) == Decimal("3.125")  # exact, as text: never a float
    assert Decimal(edited[0]["unit_price"]) == Decimal("10.10")
    assert isinstance(edited[0]["quantity"], str)

    resolved = await service.resolve_conflict(conflict.id, "erp", resolved_by="ap@example.com")
    assert (resolved.status, resolved.resolution) == (ConflictStatus.RESOLVED, "erp")
    async with ctx.session_factory() as session:
        descriptions = list(
            await session.scalars(
                select(PurchaseOrderLine.description).where(PurchaseOrderLine.purchase_order_id == po_id)
            )
        )
    assert "edited in SmartAP" not in descriptions
