"""The conflicts application functions on SQLite and PostgreSQL (issue 13 item 2): a vendor edited in
SmartAP and in a QuickBooks simulator, imported under the `manual` policy, is listed as an open
conflict naming the fields that differ; resolving it keeps the chosen side through the sync engine,
closes it, and a second resolution is a `ConflictError`."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from smartap_erp.app import conflicts, connections
from smartap_erp.app.conflicts import ConflictFilter, ConflictResolution
from smartap_erp.db.models import ERPVendorLink, Vendor
from smartap_erp.domain.enums import ConflictStatus, ERPEntity, ERPSystem
from smartap_erp.errors import ConflictError, NotFoundError
from smartap_erp.sync.service import ERPSyncService
from tests.app.simulated import SimulatedApp, simulated_app
from tests.sync.harness import ErpHarness


@pytest.fixture
def ctx(engine: AsyncEngine, session_factory: async_sessionmaker[AsyncSession]) -> SimulatedApp:
    return simulated_app(engine, session_factory)


async def _conflict(ctx: SimulatedApp) -> str:
    """A connection 'Books' with one open vendor conflict; the ERP id of that vendor."""
    assert ctx.sync is not None
    harness = await ErpHarness.start(ERPSystem.QUICKBOOKS, ctx.sync, name="Books", vendors=4)
    policies = connections.ConnectionUpdate.model_validate({"conflict_policies": {"vendor": "manual"}})
    await connections.update_connection(ctx, "Books", policies)
    service = ERPSyncService(ctx.sync)
    await service.import_vendors(harness.connection.id)
    harness.clock.advance(600)
    edited = harness.mutate("edit_vendors", count=1)
    erp_id = str(edited.get("ids", edited.get("edited", []))[0])
    async with ctx.sessions() as session, session.begin():  # a person edits the same vendor in SmartAP
        ours = await session.scalar(
            select(ERPVendorLink.smartap_vendor_id).where(ERPVendorLink.erp_vendor_id == erp_id)
        )
        await session.execute(update(Vendor).where(Vendor.id == ours).values(payment_terms="SmartAP terms"))
    harness.clock.advance(60)
    assert (await service.import_vendors(harness.connection.id)).review_count == 1
    return erp_id


async def test_list_then_resolve_keeping_the_erp_side(ctx: SimulatedApp) -> None:
    erp_id = await _conflict(ctx)

    [listed] = await conflicts.list_conflicts(ctx, ConflictFilter(connection="Books"))

    assert (listed.connection, listed.entity, listed.erp_record_id) == ("Books", ERPEntity.VENDOR, erp_id)
    assert listed.status == ConflictStatus.OPEN and listed.resolution is None
    assert "payment_terms" in listed.differs_in and listed.smartap_version["payment_terms"] == "SmartAP terms"
    assert await conflicts.list_conflicts(ctx, ConflictFilter(limit=1)) == [listed]

    resolved = await conflicts.resolve_conflict(
        ctx, str(listed.id), ConflictResolution(keep="erp", resolved_by="ap@example.com")
    )

    assert (resolved.status, resolved.resolution, resolved.resolved_by) == (
        ConflictStatus.RESOLVED,
        "erp",
        "ap@example.com",
    )
    assert resolved.resolved_at is not None
    async with ctx.sessions() as session:
        terms = await session.scalar(
            select(Vendor.payment_terms)
            .join(ERPVendorLink, ERPVendorLink.smartap_vendor_id == Vendor.id)
            .where(ERPVendorLink.erp_vendor_id == erp_id)
        )
    assert terms == listed.erp_version["payment_terms"]
    assert await conflicts.list_conflicts(ctx, ConflictFilter()) == []
    assert [c.id for c in await conflicts.list_conflicts(ctx, ConflictFilter(include_resolved=True))] == [
        listed.id
    ]
    with pytest.raises(ConflictError, match="is already resolved"):
        await conflicts.resolve_conflict(ctx, listed.id, ConflictResolution(keep="smartap"))


async def test_unknown_conflicts_are_not_found(ctx: SimulatedApp) -> None:
    with pytest.raises(NotFoundError, match="'not-a-uuid' is not a conflict id"):
        await conflicts.get_conflict(ctx, "not-a-uuid")
    with pytest.raises(NotFoundError, match="no conflict with id"):
        await conflicts.resolve_conflict(
            ctx, "00000000-0000-0000-0000-000000000001", ConflictResolution(keep="erp")
        )
