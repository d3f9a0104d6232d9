"""Deletions seen by an import run: vendors the ERP removed become inactive, purchase orders it removed
become cancelled, in the same run that read the changes and before its cursor moves.

Ordinary change reads never return a deleted record (erp-api-facts §1.10, §4.6, §3.7), so after the
pages an import asks the connector's removal feed (`connectors.removals`) for the same window, with
the ERP ids this connection maps (active vendor mappings; purchase orders not yet cancelled). Nothing
is ever deleted in SmartAP: a removed vendor keeps its row and mapping with `is_active = false` (counted
as deactivated, `vendor.deactivated` raised in the same transaction), a removed purchase order keeps
its row and lines with status `cancelled` (counted as updated). A read cut short by `limit` skips the
feed (the run is partial anyway and the cursor does not move).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Collection

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from smartap_erp.connectors.base import ERPConnector
from smartap_erp.connectors.removals import ERPRemoval, removal_feed
from smartap_erp.db.models import ERPPurchaseOrderLink, ERPVendorLink, PurchaseOrder, Vendor
from smartap_erp.domain.enums import ERPEntity, PurchaseOrderStatus
from smartap_erp.events import record_event
from smartap_erp.sync.context import SyncContext
from smartap_erp.sync.export.common import IN_CHUNK, chunks
from smartap_erp.sync.imports.report import ImportReport

HANDLED = (ERPEntity.VENDOR, ERPEntity.PURCHASE_ORDER)


async def known_ids(session: AsyncSession, connection_id: uuid.UUID, entity: ERPEntity) -> set[str]:
    """ERP ids this connection maps and that are not yet inactive / cancelled in SmartAP."""
    if entity is ERPEntity.VENDOR:
        query = select(ERPVendorLink.erp_vendor_id).where(
            ERPVendorLink.connection_id == connection_id, ERPVendorLink.is_active.is_(True)
        )
    else:
        query = (
            select(ERPPurchaseOrderLink.erp_po_id)
            .join(PurchaseOrder, PurchaseOrder.id == ERPPurchaseOrderLink.smartap_po_id)
            .where(
                ERPPurchaseOrderLink.connection_id == connection_id,
                PurchaseOrder.status != PurchaseOrderStatus.CANCELLED,
            )
        )
    return set((await session.scalars(query)).all())


async def read_removals(
    erp: ERPConnector, entity: ERPEntity, since: dt.datetime | None, known: Collection[str]
) -> dict[str, ERPRemoval]:
    """The removals of `entity` among `known`, by ERP id ({} when the ERP has no feed for it)."""
    feed = removal_feed(erp)
    pages = feed.iter_removals(entity, since, known) if feed is not None and known else None
    found: dict[str, ERPRemoval] = {}
    if pages is None:
        return found
    async for page in pages:
        for removal in page:
            if removal.entity is entity and removal.external_id in known:
                found[removal.external_id] = removal
    return found


async def apply_removals(
    ctx: SyncContext,
    erp: ERPConnector,
    connection_id: uuid.UUID,
    entity: ERPEntity,
    since: dt.datetime | None,
    report: ImportReport,
) -> None:
    """Read the ERP's removals of `entity` since `since` and apply them (see the module docstring)."""
    if entity not in HANDLED or removal_feed(erp) is None:
        return  # no feed to ask: the mapped ids are not even loaded (they grow with the connection)
    async with ctx.session_factory() as session:
        known = await known_ids(session, connection_id, entity)
    removed = await read_removals(erp, entity, since, known)
    if not removed:
        return
    async with ctx.session_factory() as session, session.begin():
        if entity is ERPEntity.VENDOR:
            report.deactivated_count += await _deactivate_vendors(
                session, connection_id, removed, erp.system.value, ctx.now()
            )
        else:
            report.updated_count += await _cancel_purchase_orders(session, connection_id, removed, ctx.now())


async def _deactivate_vendors(
    session: AsyncSession,
    connection_id: uuid.UUID,
    removed: dict[str, ERPRemoval],
    erp_name: str,
    now: dt.datetime,
) -> int:
    count = 0
    for part in chunks(sorted(removed), IN_CHUNK):
        rows = (
            await session.execute(
                select(ERPVendorLink.id, ERPVendorLink.erp_vendor_id, Vendor.id, Vendor.name)
                .join(Vendor, Vendor.id == ERPVendorLink.smartap_vendor_id)
                .where(ERPVendorLink.connection_id == connection_id, ERPVendorLink.erp_vendor_id.in_(part))
            )
        ).all()
        if not rows:
            continue
        await session.execute(
            update(ERPVendorLink)
            .where(ERPVendorLink.id.in_([r[0] for r in rows]))
            .values(is_active=False, last_synced_at=now, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        await session.execute(
            update(Vendor)
            .where(Vendor.id.in_([r[2] for r in rows]))
            .values(is_active=False, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        for _, erp_id, vendor_id, name in rows:
            removal = removed[erp_id]
            await record_event(
                session,
                "vendor.deactivated",
                connection_id=connection_id,
                data={
                    "vendor_id": str(vendor_id),
                    "vendor": name,
                    "erp_vendor_id": erp_id,
                    "reason": f"{removal.kind.value} in {erp_name}",
                    "removed_at": removal.removed_at.isoformat() if removal.removed_at else None,
                },
                occurred_at=now,
            )
        count += len(rows)
    return count


async def _cancel_purchase_orders(
    session: AsyncSession, connection_id: uuid.UUID, removed: dict[str, ERPRemoval], now: dt.datetime
) -> int:
    count = 0
    for part in chunks(sorted(removed), IN_CHUNK):
        po_ids = list(
            (
                await session.scalars(
                    select(ERPPurchaseOrderLink.smartap_po_id).where(
                        ERPPurchaseOrderLink.connection_id == connection_id,
                        ERPPurchaseOrderLink.erp_po_id.in_(part),
                    )
                )
            ).all()
        )
        if not po_ids:
            continue
        result = await session.execute(
            update(PurchaseOrder)
            .where(PurchaseOrder.id.in_(po_ids), PurchaseOrder.status != PurchaseOrderStatus.CANCELLED)
            .values(status=PurchaseOrderStatus.CANCELLED, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        count += int(getattr(result, "rowcount", 0) or 0)
    return count
