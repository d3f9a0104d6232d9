"""One page of imported purchase orders into `purchase_orders` (+ lines) and `erp_po_mappings`.

A PO is linked to the SmartAP vendor its ERP vendor is mapped to. Before a page's transaction,
POs naming vendors SmartAP has not imported trigger one vendor import through the same connector
(no connector reads a single vendor by id yet); a vendor still unknown after that is a record error
naming the vendor and the PO, never a silent drop. An unmapped PO is linked to an existing SmartAP
PO with the same vendor and number. A written PO's lines become the ERP's set: a line whose row
already holds the same values is kept with its id (invoice lines refer to PO lines by id), the
others are replaced (one DELETE, one INSERT per page). Amounts are stored in minor units; an amount
finer than its currency allows is a record error (`domain.money`). The database-free work of a page
(amounts, lengths, lines, most of the hash: `purchase_order_digest`) is done before its transaction
(`PurchaseOrderImport.prepare`).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, delete, exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from smartap_erp.connectors.base import ERPConnector
from smartap_erp.db.ids import uuid7, uuid7s
from smartap_erp.db.models import ERPVendorLink
from smartap_erp.domain.enums import ERPEntity
from smartap_erp.domain.models import ERPPurchaseOrder
from smartap_erp.domain.results import RecordError
from smartap_erp.sync.imports.bulk import among, insert_columns, mapping_columns, upsert_columns
from smartap_erp.sync.imports.pipeline import PlanKeys
from smartap_erp.sync.imports.planning import Action, ConflictRecord, Policy, decide, write_conflicts
from smartap_erp.sync.imports.purchase_order_digest import (
    LINE_FIELDS,
    LINES,
    MAPPINGS,
    ORDERS,
    Digest,
    DigestedPage,
    erp_projection,
)
from smartap_erp.sync.imports.report import PageCounts

__all__ = ["POPagePlan", "PurchaseOrderImport", "erp_projection", "plan_po_page", "row_projection"]
__all__ += ["vendor_ids", "write_po_page", "write_po_plan"]


def row_projection(row: Any, lines: Sequence[Any]) -> dict[str, Any]:
    """SmartAP's PO (a `purchase_orders` row and its line rows) as `erp_projection` renders the ERP's."""
    return {
        "vendor_id": str(row.vendor_id),
        "po_number": row.po_number,
        "status": row.status.value,
        "order_date": row.order_date.isoformat() if row.order_date else None,
        "currency": row.currency,
        "total_minor": row.total_minor,
        "lines": [
            {c: getattr(line, c) for c in LINE_FIELDS}
            for line in sorted(lines, key=lambda line: line.line_number)
        ],
    }


@dataclass
class _Plan:
    digest: Digest
    erp_hash: str
    po_id: uuid.UUID
    vendor_id: uuid.UUID
    action: Action


@dataclass
class _Existing:
    """SmartAP's side of a page: POs of changed mappings by id, unmapped POs by (vendor, number),
    and the line rows of both by PO id."""

    mapped: dict[uuid.UUID, Row[Any]]
    free: dict[tuple[uuid.UUID, str], Row[Any]]
    lines: dict[uuid.UUID, list[Row[Any]]]


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
        select(MAPPINGS.c.erp_po_id, MAPPINGS.c.synced_hash, MAPPINGS.c.smartap_po_id).where(
            MAPPINGS.c.connection_id == connection_id, among(session, MAPPINGS.c.erp_po_id, ids)
        )
    )
    return {erp_id: (synced, po_id) for erp_id, synced, po_id in rows}


async def _existing(
    session: AsyncSession,
    connection_id: uuid.UUID,
    linked: Sequence[uuid.UUID],
    pairs: Sequence[tuple[uuid.UUID, str]],
) -> _Existing:
    """The rows `decide` compares with and the lines a write keeps or replaces (Core rows)."""
    found = _Existing({}, {}, {})
    if linked:
        rows = await session.execute(select(ORDERS).where(among(session, ORDERS.c.id, linked)))
        found.mapped = {row.id: row for row in rows}
    if pairs:
        # NOT EXISTS, not NOT IN: an anti-join on the indexed smartap_po_id (as vendors.py does)
        taken = exists().where(
            MAPPINGS.c.connection_id == connection_id, MAPPINGS.c.smartap_po_id == ORDERS.c.id
        )
        # numbers and vendors as two lists (one array each on PostgreSQL), the pairs checked here
        wanted = set(pairs)
        rows = await session.execute(
            select(ORDERS).where(
                among(session, ORDERS.c.po_number, sorted({n for _, n in wanted})),
                among(session, ORDERS.c.vendor_id, sorted({v for v, _ in wanted})),
                ~taken,
            )
        )
        found.free = {(r.vendor_id, r.po_number): r for r in rows if (r.vendor_id, r.po_number) in wanted}
    po_ids = list(found.mapped) + [row.id for row in found.free.values()]
    found.lines = {i: [] for i in po_ids}
    if po_ids:
        for line in await session.execute(
            select(LINES).where(among(session, LINES.c.purchase_order_id, po_ids))
        ):
            found.lines[line.purchase_order_id].append(line)
    return found


def _unknown_vendor(record: ERPPurchaseOrder) -> RecordError:
    return RecordError(
        record_id=record.external_id,
        field="vendor_id",
        message=(
            f"purchase order {record.po_number} names vendor {record.vendor_id}, which SmartAP has not "
            "imported from the ERP (not found, or it failed its own import)"
        ),
    )


@dataclass(slots=True)
class POPagePlan(PlanKeys):
    """What one page will write, from what the database held when it was read (`VendorPagePlan`'s
    counterpart): the plans, conflicts and counts, and the line rows a write keeps or replaces;
    `smartap_ids` are the POs read, matched or created (their lines with them)."""

    plans: list[_Plan]
    conflicts: list[ConflictRecord]
    counts: PageCounts
    old_lines: dict[uuid.UUID, list[Row[Any]]]


async def write_po_page(
    session: AsyncSession,
    connection_id: uuid.UUID,
    records: Iterable[ERPPurchaseOrder],
    *,
    policy: Policy,
    now: dt.datetime,
    forced: Mapping[str, tuple[Action, uuid.UUID | None]] | None = None,
) -> PageCounts:
    """Classify and write one page inside the caller's transaction (`forced`: a person's decision)."""
    plan = await plan_po_page(session, connection_id, records, policy=policy, forced=forced)
    return await write_po_plan(session, connection_id, plan, now=now)


async def plan_po_page(
    session: AsyncSession,
    connection_id: uuid.UUID,
    records: Iterable[ERPPurchaseOrder],
    *,
    policy: Policy,
    forced: Mapping[str, tuple[Action, uuid.UUID | None]] | None = None,
) -> POPagePlan:
    """Read and classify one page (no write)."""
    page = records if isinstance(records, DigestedPage) else DigestedPage(records)
    counts = PageCounts()
    vendors = page.vendors
    if vendors is None:
        vendors = await vendor_ids(
            session, connection_id, (d.record.vendor_id for d in page.digests.values())
        )
    ready: dict[str, tuple[Digest, uuid.UUID]] = {}
    for key, digest in page.digests.items():
        vendor = vendors.get(digest.record.vendor_id)
        error = _unknown_vendor(digest.record) if vendor is None else digest.error
        if error is not None:
            counts.errors.append(error)
        else:
            ready[key] = (digest, vendors[digest.record.vendor_id])
    hashes = {key: digest.hash(vendor) for key, (digest, vendor) in ready.items()}
    links = await _links(session, connection_id, list(ready)) if forced is None else {}
    # a record whose hash is the one last synced is unchanged: its SmartAP rows are not even read
    unchanged = {key for key, (synced, _) in links.items() if synced == hashes[key]}
    counts.unchanged += len(unchanged)
    if forced is not None:  # a conflict's resolution: the lines of the PO it names are compared
        linked = [smartap_id for _, smartap_id in forced.values() if smartap_id is not None]
        pairs: list[tuple[uuid.UUID, str]] = []
    else:
        linked = [po_id for key, (_, po_id) in links.items() if key not in unchanged]
        pairs = [(vendor, d.record.po_number) for key, (d, vendor) in ready.items() if key not in links]
    existing = await _existing(session, connection_id, linked, pairs)
    plans: list[_Plan] = []
    conflicts: list[ConflictRecord] = []
    for key, (digest, vendor) in ready.items():
        if key in unchanged:
            continue
        plan, conflict = _plan(key, digest, vendor, hashes[key], links, existing, forced, policy)
        plans.append(plan)
        if conflict is not None:
            counts.conflicts += 1
            conflicts.append(conflict)
    po_ids = frozenset(p.po_id for p in plans)
    return POPagePlan(frozenset(ready), po_ids, plans, conflicts, counts, existing.lines)


async def write_po_plan(
    session: AsyncSession, connection_id: uuid.UUID, plan: POPagePlan, *, now: dt.datetime
) -> PageCounts:
    """Write what `plan_po_page` decided, inside the caller's transaction."""
    await _write(session, connection_id, plan.plans, plan.old_lines, now, plan.counts)
    await write_conflicts(session, connection_id, ERPEntity.PURCHASE_ORDER, plan.conflicts, now)
    return plan.counts


def _plan(
    key: str,
    digest: Digest,
    vendor: uuid.UUID,
    erp_hash: str,
    links: Mapping[str, tuple[str | None, uuid.UUID]],
    existing: _Existing,
    forced: Mapping[str, tuple[Action, uuid.UUID | None]] | None,
    policy: Policy,
) -> tuple[_Plan, ConflictRecord | None]:
    """What to do with one changed (or new) PO, and the conflict to record if both sides moved."""
    record = digest.record
    if forced is not None:
        action, smartap_id = forced[key]
        return _Plan(digest, erp_hash, smartap_id or uuid7(), vendor, action), None
    synced_hash, po_id = links.get(key, (None, None))
    row = (
        existing.mapped.get(po_id)
        if po_id is not None
        else existing.free.pop((vendor, record.po_number), None)
    )
    if row is None:  # no SmartAP PO: a create, whatever the hashes (`planning.classify`)
        return _Plan(digest, erp_hash, uuid7(), vendor, Action.CREATE), None
    action, conflict = decide(
        key=key,
        record=record,
        erp_hash=erp_hash,
        synced_hash=synced_hash,
        smartap=row_projection(row, existing.lines.get(row.id, [])),
        smartap_updated_at=row.updated_at,
        smartap_id=row.id,
        policy=policy,
    )
    return _Plan(digest, erp_hash, row.id, vendor, action), conflict


async def _write(
    session: AsyncSession,
    connection_id: uuid.UUID,
    plans: Sequence[_Plan],
    old_lines: Mapping[uuid.UUID, Sequence[Row[Any]]],
    now: dt.datetime,
    counts: PageCounts,
) -> None:
    for p in plans:
        counts.count(p.action)
    # a create is a plain INSERT: its PO id is new, and its mapping was not there when the page was read
    # (a concurrent run's would fail the page, retried record by record: `run.commit_page`)
    created = [p for p in plans if p.action is Action.CREATE]
    applied = [p for p in plans if p.action is Action.APPLY]
    await insert_columns(session, ORDERS, _order_columns(created, now))
    await upsert_columns(session, ORDERS, ["id"], _ORDER_UPDATE, _order_columns(applied, now))
    stale, fresh = _line_changes([*created, *applied], old_lines)
    if stale:
        await session.execute(delete(LINES).where(among(session, LINES.c.id, stale)))
    await insert_columns(session, LINES, fresh)  # one statement on PostgreSQL
    await insert_columns(session, MAPPINGS, _mapping_columns(connection_id, created, now))
    linked = [p for p in plans if p.action in (Action.APPLY, Action.ACK, Action.KEEP)]
    keys, refreshed = ["connection_id", "erp_po_id"], _mapping_columns(connection_id, linked, now)
    await upsert_columns(session, MAPPINGS, keys, _MAPPING_UPDATE, refreshed, increment=["sync_count"])


_ORDER_UPDATE = ["vendor_id", "po_number", "status", "order_date", "currency", "total_minor", "updated_at"]
_MAPPING_UPDATE = ["erp_po_number", "last_synced_at", "erp_version", "erp_updated_at", "synced_hash"]
_MAPPING_UPDATE += ["updated_at", "smartap_po_id"]


def _line_changes(
    written: Sequence[_Plan], old_lines: Mapping[uuid.UUID, Sequence[Row[Any]]]
) -> tuple[list[uuid.UUID], dict[str, list[Any]]]:
    """The line rows to delete (ids) and those to insert (a list per column) so each written PO holds
    its ERP lines: a row with the same line number and values stays as it is, with its id."""
    stale: list[uuid.UUID] = []
    lines: list[dict[str, Any]] = []
    owners: list[uuid.UUID] = []
    for plan in written:
        old = {line.line_number: line for line in old_lines.get(plan.po_id, ())}
        for line in plan.digest.lines:
            row = old.pop(line["line_number"], None)
            if row is not None and all(getattr(row, c) == line[c] for c in LINE_FIELDS):
                continue
            if row is not None:
                stale.append(row.id)
            lines.append(line)
            owners.append(plan.po_id)
        stale.extend(row.id for row in old.values())
    fresh = {"id": uuid7s(len(owners)), "purchase_order_id": owners}
    return stale, fresh | {name: [line[name] for line in lines] for name in LINE_FIELDS}


def _order_columns(plans: Sequence[_Plan], now: dt.datetime) -> dict[str, list[Any]]:
    records = [p.digest.record for p in plans]
    return {
        "id": [p.po_id for p in plans],
        "vendor_id": [p.vendor_id for p in plans],
        "po_number": [r.po_number for r in records],
        "status": [r.status for r in records],
        "order_date": [r.order_date for r in records],
        "currency": [r.currency for r in records],
        "total_minor": [p.digest.total_minor for p in plans],
        "created_at": [now] * len(plans),
        "updated_at": [now] * len(plans),
    }


def _mapping_columns(
    connection_id: uuid.UUID, plans: Sequence[_Plan], now: dt.datetime
) -> dict[str, list[Any]]:
    records = [p.digest.record for p in plans]
    return {
        **mapping_columns(connection_id, records, [p.erp_hash for p in plans], now),
        "smartap_po_id": [p.po_id for p in plans],
        "erp_po_id": [r.external_id for r in records],
        "erp_po_number": [r.po_number[:255] for r in records],
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

    async def prepare(self, records: Sequence[Any]) -> Sequence[Any]:
        """The page digested (`DigestedPage`); the vendors it names imported first when one is not
        known yet (once per run), else handed to the write, which need not read them again."""
        page = DigestedPage(records)
        if self.vendors_refreshed or self.erp is None:
            return page
        async with self.sessions() as session:
            known = await vendor_ids(session, self.connection_id, (r.vendor_id for r in records))
        if any(r.vendor_id not in known for r in records):
            self.vendors_refreshed = True  # once per run: the vendor import reads every vendor changed
            await self.vendor_import(self.erp)
        else:
            page.vendors = known  # every vendor known: the page's write need not read them again
        return page

    async def plan(
        self, session: AsyncSession, connection_id: uuid.UUID, records: Sequence[Any], *, policy: Policy
    ) -> POPagePlan:
        return await plan_po_page(session, connection_id, records, policy=policy)

    async def write_plan(
        self, session: AsyncSession, connection_id: uuid.UUID, plan: POPagePlan, *, now: dt.datetime
    ) -> PageCounts:
        return await write_po_plan(session, connection_id, plan, now=now)
