"""Deletions seen by an import run: vendors the ERP removed become inactive, purchase orders it removed
become cancelled, in the same run that read the changes and before its cursor moves.

Ordinary change reads never return a deleted record (erp-api-facts §1.10, §4.6, §3.7), so after the
pages an import asks the connector's removal feed (`connectors.removals`) for the same window. Memory
stays flat in the number of mapped records (issue 17): a feed that reports removals (QuickBooks CDC,
NetSuite DeletedRecord) is asked first and only the ids it returns are looked up, `IN_CHUNK` at a time;
a key-list comparison (SAP) gets `MappedKeys`, the ERP ids this connection maps (active vendor
mappings; purchase orders not yet cancelled) read in keyset pages in code-point order. Nothing
is ever deleted in SmartAP: a removed vendor keeps its row and mapping with `is_active = false` (counted
as deactivated, `vendor.deactivated` raised in the same transaction), a removed purchase order keeps
its row and lines with status `cancelled` (counted as updated). A read cut short by `limit` skips the
feed (the run is partial anyway and the cursor does not move).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator, Collection

from sqlalchemy import ColumnElement, Select, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from smartap_erp.connectors.base import ERPConnector
from smartap_erp.connectors.removals import ERPRemoval, StaticIds, removal_feed
from smartap_erp.db.models import ERPPurchaseOrderLink, ERPVendorLink, PurchaseOrder, Vendor
from smartap_erp.domain.enums import ERPEntity, PurchaseOrderStatus
from smartap_erp.events import record_event
from smartap_erp.sync.context import SyncContext
from smartap_erp.sync.export.common import IN_CHUNK, chunks
from smartap_erp.sync.imports.report import ImportReport

HANDLED = (ERPEntity.VENDOR, ERPEntity.PURCHASE_ORDER)


KEYSET_PAGE = 5000  # mapped ids per keyset read: one page of ids in memory, whatever the connection holds


class MappedKeys:
    """`MappedIds` of one connection read from the database in keyset pages of `page_size`, in
    code-point order on both databases (SQLite compares TEXT bytewise; PostgreSQL is told `COLLATE "C"`,
    as its default collation may sort by locale rules the ERP's key list does not follow)."""

    def __init__(
        self, ctx: SyncContext, connection_id: uuid.UUID, entity: ERPEntity, page_size: int | None = None
    ) -> None:
        self._ctx, self._connection_id, self._entity = ctx, connection_id, entity
        self._page_size = page_size or KEYSET_PAGE

    def _query(self, dialect: str, after: str | None) -> Select[str]:
        column: InstrumentedAttribute[str]
        if self._entity is ERPEntity.VENDOR:
            column = ERPVendorLink.erp_vendor_id
            query = select(column).where(
                ERPVendorLink.connection_id == self._connection_id, ERPVendorLink.is_active.is_(True)
            )
        else:
            column = ERPPurchaseOrderLink.erp_po_id
            query = (
                select(column)
                .join(PurchaseOrder, PurchaseOrder.id == ERPPurchaseOrderLink.smartap_po_id)
                .where(
                    ERPPurchaseOrderLink.connection_id == self._connection_id,
                    PurchaseOrder.status != PurchaseOrderStatus.CANCELLED,
                )
            )
        key: ColumnElement[str] = column.collate("C") if dialect == "postgresql" else column.expression
        if after is not None:
            query = query.where(key > after)
        return query.order_by(key).limit(self._page_size)

    async def ascending(self) -> AsyncIterator[list[str]]:
        after: str | None = None
        while True:
            async with self._ctx.session_factory() as session:  # one short read per page
                query = self._query(session.get_bind().dialect.name, after)
                page = list((await session.scalars(query)).all())
            if not page:
                return
            yield page
            if len(page) < self._page_size:
                return
            after = page[-1]


async def read_removals(
    erp: ERPConnector, entity: ERPEntity, since: dt.datetime | None, known: Collection[str]
) -> dict[str, ERPRemoval]:
    """The removals of `entity` among `known` (a bounded set held in memory), by ERP id ({} when the ERP
    has no feed for it)."""
    feed = removal_feed(erp)
    pages = feed.iter_removals(entity, since, StaticIds(known)) if feed is not None and known else None
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
    """Read the ERP's removals of `entity` since `since` and apply them a feed page at a time, each in
    one transaction (see the module docstring). Ids the connection does not map, or maps as already
    inactive / cancelled, are left alone, so a removal is applied (and its event raised) once."""
    feed = removal_feed(erp)
    if entity not in HANDLED or feed is None:
        return
    pages = feed.iter_removals(entity, since, MappedKeys(ctx, connection_id, entity))
    if pages is None:
        return
    async for page in pages:
        removed = {r.external_id: r for r in page if r.entity is entity}
        if not removed:
            continue
        async with ctx.session_factory() as session, session.begin():
            if entity is ERPEntity.VENDOR:
                report.deactivated_count += await _deactivate_vendors(
                    session, connection_id, removed, erp.system.value, ctx.now()
                )
            else:
                cancelled = await _cancel_purchase_orders(session, connection_id, removed, ctx.now())
                report.updated_count += cancelled


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
                .where(
                    ERPVendorLink.connection_id == connection_id,
                    ERPVendorLink.erp_vendor_id.in_(part),
                    ERPVendorLink.is_active.is_(True),
                )
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
