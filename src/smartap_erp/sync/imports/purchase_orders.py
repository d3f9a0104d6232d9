"""One page of imported purchase orders into `purchase_orders` (+ lines) and `erp_po_mappings`.

A PO is linked to the SmartAP vendor its ERP vendor is mapped to. Before a page's transaction,
POs naming vendors SmartAP has not imported trigger one vendor import through the same connector
(no connector reads a single vendor by id yet); a vendor still unknown after that is a record error
naming the vendor and the PO, never a silent drop. An unmapped PO is linked to an existing SmartAP
PO with the same vendor and number. Lines of a written PO are replaced as a set (one DELETE, one
INSERT per page). Amounts are stored in minor units; an amount finer than its currency allows is
a record error (`domain.money`).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table, delete, exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from smartap_erp.connectors.base import ERPConnector
from smartap_erp.db.ids import uuid7
from smartap_erp.db.models import ERPPurchaseOrderLink, ERPVendorLink, PurchaseOrder, PurchaseOrderLine
from smartap_erp.domain.enums import ERPEntity
from smartap_erp.domain.models import ERPPurchaseOrder
from smartap_erp.domain.money import MoneyError, to_minor_units
from smartap_erp.domain.results import RecordError
from smartap_erp.sync.imports.bulk import among, insert_rows, upsert_rows
from smartap_erp.sync.imports.planning import Action, ConflictRecord, Policy, decide, write_conflicts
from smartap_erp.sync.imports.report import PageCounts
from smartap_erp.sync.records import canonical_hash, too_long

ORDERS: Table = PurchaseOrder.__table__  # type: ignore[assignment]
LINES: Table = PurchaseOrderLine.__table__  # type: ignore[assignment]
MAPPINGS: Table = ERPPurchaseOrderLink.__table__  # type: ignore[assignment]


def erp_projection(po: ERPPurchaseOrder, vendor_id: uuid.UUID) -> dict[str, Any]:
    """The PO as SmartAP stores it (raises MoneyError for an amount its currency cannot hold)."""
    return {
        "vendor_id": str(vendor_id),
        "po_number": po.po_number,
        "status": po.status.value,
        "order_date": po.order_date.isoformat() if po.order_date else None,
        "currency": po.currency,
        "total_minor": to_minor_units(po.total_amount, po.currency),
        "lines": [
            {
                "line_number": number,
                "erp_line_id": line.line_id,
                "description": line.description,
                "quantity": line.quantity,
                "unit_price": line.unit_price,
                "amount_minor": to_minor_units(line.amount, po.currency),
                "account_code": line.account_code,
                "item_code": line.item_code,
                "tax_code": line.tax_code,
            }
            for number, line in enumerate(po.line_items, start=1)
        ],
    }


def row_projection(row: PurchaseOrder, lines: Sequence[PurchaseOrderLine]) -> dict[str, Any]:
    return {
        "vendor_id": str(row.vendor_id),
        "po_number": row.po_number,
        "status": row.status.value,
        "order_date": row.order_date.isoformat() if row.order_date else None,
        "currency": row.currency,
        "total_minor": row.total_minor,
        "lines": [
            {
                c: getattr(line, c)
                for c in (
                    "line_number",
                    "erp_line_id",
                    "description",
                    "quantity",
                    "unit_price",
                    "amount_minor",
                    "account_code",
                    "item_code",
                    "tax_code",
                )
            }
            for line in sorted(lines, key=lambda line: line.line_number)
        ],
    }


@dataclass
class _Plan:
    record: ERPPurchaseOrder
    projection: dict[str, Any]
    erp_hash: str
    po_id: uuid.UUID
    action: Action


async def vendor_ids(
    session: AsyncSession, connection_id: uuid.UUID, erp_ids: Iterable[str]
) -> dict[str, uuid.UUID]:
    rows = await session.execute(
        select(ERPVendorLink.erp_vendor_id, ERPVendorLink.smartap_vendor_id).where(
            ERPVendorLink.connection_id == connection_id,
            among(session, ERPVendorLink.erp_vendor_id, sorted(set(erp_ids))),
        )
    )
    return dict(rows.all())


async def _links(
    session: AsyncSession, connection_id: uuid.UUID, ids: Sequence[str]
) -> dict[str, tuple[str | None, uuid.UUID]]:
    """The page's mappings: ERP id -> (synced_hash, SmartAP PO id)."""
    rows = await session.execute(
        select(
            ERPPurchaseOrderLink.erp_po_id,
            ERPPurchaseOrderLink.synced_hash,
            ERPPurchaseOrderLink.smartap_po_id,
        ).where(
            ERPPurchaseOrderLink.connection_id == connection_id,
            among(session, ERPPurchaseOrderLink.erp_po_id, ids),
        )
    )
    return {erp_id: (synced, po_id) for erp_id, synced, po_id in rows}


async def _existing(
    session: AsyncSession,
    connection_id: uuid.UUID,
    linked: Sequence[uuid.UUID],
    pairs: Sequence[tuple[uuid.UUID, str]],
) -> tuple[
    dict[uuid.UUID, PurchaseOrder],
    dict[tuple[uuid.UUID, str], PurchaseOrder],
    dict[uuid.UUID, list[PurchaseOrderLine]],
]:
    """The SmartAP POs of changed mappings by id, unmapped SmartAP POs by (vendor, number), and the
    lines of both."""
    mapped: dict[uuid.UUID, PurchaseOrder] = {}
    if linked:
        mapped = {
            po.id: po
            for po in await session.scalars(select(PurchaseOrder).where(PurchaseOrder.id.in_(linked)))
        }
    free: dict[tuple[uuid.UUID, str], PurchaseOrder] = {}
    if pairs:
        # NOT EXISTS, not NOT IN: an anti-join on the indexed smartap_po_id (as vendors.py does)
        taken = exists().where(
            ERPPurchaseOrderLink.connection_id == connection_id,
            ERPPurchaseOrderLink.smartap_po_id == PurchaseOrder.id,
        )
        # numbers and vendors as two lists (one array each on PostgreSQL), the pairs checked here
        wanted = set(pairs)
        rows = await session.scalars(
            select(PurchaseOrder).where(
                among(session, PurchaseOrder.po_number, sorted({n for _, n in wanted})),
                among(session, PurchaseOrder.vendor_id, sorted({v for v, _ in wanted})),
                ~taken,
            )
        )
        free = {(po.vendor_id, po.po_number): po for po in rows if (po.vendor_id, po.po_number) in wanted}
    po_ids = list(mapped) + [po.id for po in free.values()]
    lines: dict[uuid.UUID, list[PurchaseOrderLine]] = {i: [] for i in po_ids}
    if po_ids:
        for line in await session.scalars(
            select(PurchaseOrderLine).where(PurchaseOrderLine.purchase_order_id.in_(po_ids))
        ):
            lines[line.purchase_order_id].append(line)
    return mapped, free, lines


def _check(record: ERPPurchaseOrder, vendor: uuid.UUID | None) -> dict[str, Any] | RecordError:
    key = record.external_id
    if vendor is None:
        return RecordError(
            record_id=key,
            field="vendor_id",
            message=(
                f"purchase order {record.po_number} names vendor {record.vendor_id}, which SmartAP has not "
                "imported from the ERP (not found, or it failed its own import)"
            ),
        )
    try:
        projection = erp_projection(record, vendor)
    except MoneyError as exc:
        return RecordError(record_id=key, field="amount", message=str(exc))
    bad = too_long(ORDERS, projection) or next(
        (e for e in (too_long(LINES, line) for line in projection["lines"]) if e), None
    )
    return bad.model_copy(update={"record_id": key}) if bad else projection


async def write_po_page(
    session: AsyncSession,
    connection_id: uuid.UUID,
    records: Iterable[ERPPurchaseOrder],
    *,
    policy: Policy,
    now: dt.datetime,
    forced: Mapping[str, tuple[Action, uuid.UUID | None]] | None = None,
) -> PageCounts:
    counts = PageCounts()
    unique = {r.external_id: r for r in records}
    vendors = await vendor_ids(session, connection_id, (r.vendor_id for r in unique.values()))
    checked: dict[str, dict[str, Any]] = {}
    for key, record in unique.items():
        outcome = _check(record, vendors.get(record.vendor_id))
        if isinstance(outcome, RecordError):
            counts.errors.append(outcome)
        else:
            checked[key] = outcome
    hashes = {key: canonical_hash(projection) for key, projection in checked.items()}
    links = await _links(session, connection_id, list(checked)) if forced is None else {}
    # a record whose hash is the one last synced is unchanged: its SmartAP rows are not even read
    unchanged = {key for key, (synced, _) in links.items() if key in hashes and synced == hashes[key]}
    counts.unchanged += len(unchanged)
    pairs = [
        (vendors[unique[k].vendor_id], unique[k].po_number)
        for k in checked
        if k not in links and forced is None
    ]
    linked = [po_id for key, (_, po_id) in links.items() if key not in unchanged]
    mapped, free, lines = await _existing(session, connection_id, linked, pairs)
    plans: list[_Plan] = []
    conflicts: list[ConflictRecord] = []
    for key, projection in checked.items():
        if key in unchanged:
            continue
        record, erp_hash = unique[key], hashes[key]
        if forced is not None:
            action, smartap_id = forced[key]
            plans.append(_Plan(record, projection, erp_hash, smartap_id or uuid7(), action))
            continue
        synced_hash, po_id = links.get(key, (None, None))
        row = (
            mapped.get(po_id)
            if po_id is not None
            else free.pop((vendors[record.vendor_id], record.po_number), None)
        )
        if row is None:  # no SmartAP PO: a create, whatever the hashes (`planning.classify`)
            plans.append(_Plan(record, projection, erp_hash, uuid7(), Action.CREATE))
            continue
        smartap_id = row.id
        action, conflict = decide(
            key=key,
            record=record,
            erp_hash=erp_hash,
            synced_hash=synced_hash,
            smartap=row_projection(row, lines.get(row.id, [])),
            smartap_updated_at=row.updated_at,
            smartap_id=smartap_id,
            policy=policy,
        )
        plans.append(_Plan(record, projection, erp_hash, smartap_id, action))
        if conflict is not None:
            counts.conflicts += 1
            conflicts.append(conflict)
    await _write(session, connection_id, plans, now, counts)
    await write_conflicts(session, connection_id, ERPEntity.PURCHASE_ORDER, conflicts, now)
    return counts


async def _write(
    session: AsyncSession,
    connection_id: uuid.UUID,
    plans: Sequence[_Plan],
    now: dt.datetime,
    counts: PageCounts,
) -> None:
    written = [p for p in plans if p.action in (Action.CREATE, Action.APPLY)]
    for p in plans:
        counts.count(p.action)
    if written:
        rows = [
            {
                "id": p.po_id,
                **{k: v for k, v in p.projection.items() if k != "lines"},
                "vendor_id": uuid.UUID(p.projection["vendor_id"]),
                "status": p.record.status,
                "order_date": p.record.order_date,
                "created_at": now,
                "updated_at": now,
            }
            for p in written
        ]
        await upsert_rows(
            session, ORDERS, ["id"], [c for c in rows[0] if c not in ("id", "created_at")], rows
        )
        replaced = [p.po_id for p in written if p.action is not Action.CREATE]  # a new PO has no lines yet
        if replaced:
            await session.execute(delete(LINES).where(LINES.c.purchase_order_id.in_(replaced)))
        lines = [
            {"id": uuid7(), "purchase_order_id": p.po_id, **line}
            for p in written
            for line in p.projection["lines"]
        ]
        await insert_rows(session, LINES, lines)  # Core rows, one statement on PostgreSQL
    links = [
        _mapping_row(connection_id, p, now)
        for p in plans
        if p.action not in (Action.REVIEW, Action.UNCHANGED)
    ]
    update = ["erp_po_number", "last_synced_at", "erp_version", "erp_updated_at", "synced_hash", "updated_at"]
    keys = ["connection_id", "erp_po_id"]
    await upsert_rows(session, MAPPINGS, keys, [*update, "smartap_po_id"], links, increment=["sync_count"])


def _mapping_row(connection_id: uuid.UUID, plan: _Plan, now: dt.datetime) -> dict[str, Any]:
    record = plan.record
    return {
        "id": uuid7(),
        "connection_id": connection_id,
        "smartap_po_id": plan.po_id,
        "erp_po_id": record.external_id,
        "erp_po_number": record.po_number[:255],
        "first_synced_at": now,
        "last_synced_at": now,
        "sync_count": 1,
        "erp_version": (record.version or "")[:64] or None,
        "erp_updated_at": record.updated_at,
        "synced_hash": plan.erp_hash,
        "created_at": now,
        "updated_at": now,
    }


class PurchaseOrderImport:
    """The `EntityImport` of purchase orders; `vendor_import` reads vendors POs name but SmartAP lacks."""

    entity = ERPEntity.PURCHASE_ORDER

    def __init__(self, connection_id: uuid.UUID, sessions: Any, vendor_import: Any) -> None:
        self.connection_id, self.sessions, self.vendor_import = connection_id, sessions, vendor_import
        self.erp: ERPConnector | None = None
        self.vendors_refreshed = False

    def pages(self, erp: ERPConnector, since: dt.datetime | None) -> AsyncIterator[Any]:
        self.erp = erp
        return erp.iter_purchase_orders(since)

    async def prepare(self, records: Sequence[Any]) -> None:
        if self.vendors_refreshed or self.erp is None:
            return
        async with self.sessions() as session:
            known = await vendor_ids(session, self.connection_id, (r.vendor_id for r in records))
        if any(r.vendor_id not in known for r in records):
            self.vendors_refreshed = True  # once per run: the vendor import reads every vendor changed
            await self.vendor_import(self.erp)

    async def write(
        self,
        session: AsyncSession,
        connection_id: uuid.UUID,
        records: Sequence[Any],
        *,
        policy: Policy,
        now: dt.datetime,
    ) -> PageCounts:
        return await write_po_page(session, connection_id, records, policy=policy, now=now)
