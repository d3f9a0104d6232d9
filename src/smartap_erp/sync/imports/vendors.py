"""One page of imported vendors into `vendors` and `erp_vendor_mappings`, set-based.

Per page: the incoming records are projected and hashed once (`vendor_digest`); one query reads the
page's mappings (ERP id, `synced_hash`, SmartAP id only), and a record whose hash equals its mapping's
`synced_hash` is unchanged and costs nothing more (no SmartAP row read, no write). Only the changed
mapped records have their SmartAP rows read, and one more query finds candidates for the unmapped ERP
vendors (same tax id first, then same normalised name and e-mail, never a vendor this connection
already maps), held in dictionaries so matching a page is linear. Then the page is classified
(`planning.decide`) and written: new vendors and new mappings inserted, changed ones upserted, and
the conflicts, each one statement of Core rows built as a list of values per column
(`bulk.insert_columns`, `bulk.upsert_columns`). An inactive ERP vendor is a deactivation: it is
written (`is_active = false`) and counted, never skipped.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table, exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from smartap_erp.connectors.base import ERPConnector
from smartap_erp.db.ids import uuid7, uuid7s
from smartap_erp.db.models import ERPVendorLink, Vendor
from smartap_erp.domain.enums import ERPEntity
from smartap_erp.domain.models import ERPVendor
from smartap_erp.domain.results import RecordError
from smartap_erp.sync.imports.bulk import among, insert_columns, mapping_columns, upsert_columns
from smartap_erp.sync.imports.pipeline import PlanKeys
from smartap_erp.sync.imports.planning import Action, ConflictRecord, Policy, decide, write_conflicts
from smartap_erp.sync.imports.report import PageCounts
from smartap_erp.sync.imports.vendor_digest import Incoming, digest_record, erp_projection

VENDORS: Table = Vendor.__table__  # type: ignore[assignment]
_PROJECTED = tuple(erp_projection(ERPVendor(external_id="-", name="-")))
MAPPINGS: Table = ERPVendorLink.__table__  # type: ignore[assignment]
# The SmartAP columns a decision reads (Core rows, not ORM objects: no identity map, no instrumentation).
_ROW_COLUMNS = (
    Vendor.id,
    Vendor.name,
    Vendor.email,
    Vendor.phone,
    Vendor.address,
    Vendor.tax_id,
    Vendor.payment_terms,
    Vendor.currency,
    Vendor.is_active,
    Vendor.normalized_name,
    Vendor.updated_at,
)


def _email(value: str | None) -> str | None:
    return value.strip().casefold() if value else None


def row_projection(row: Any) -> dict[str, Any]:
    """SmartAP's side of the hash, from a `Vendor` or a Core row of `_ROW_COLUMNS`."""
    return {
        "name": row.name,
        "email": row.email,
        "phone": row.phone,
        "address": {k: v for k, v in (row.address or {}).items() if v is not None} or None,
        "tax_id": row.tax_id,
        "payment_terms": row.payment_terms,
        "currency": row.currency,
        "is_active": row.is_active,
    }


@dataclass(slots=True)
class _Plan:
    item: Incoming
    vendor_id: uuid.UUID
    action: Action
    was_active: bool | None = None
    mapped: bool = True  # the connection maps this ERP vendor already: its mapping is upserted
    fresh: bool = False  # vendor_id was made for this write: the vendor row is inserted


def _vendor_columns(plans: Sequence[_Plan], now: dt.datetime) -> dict[str, list[Any]]:
    """The vendors rows of `plans`, a list per column (no dictionary per row)."""
    items = [p.item for p in plans]
    columns: dict[str, list[Any]] = {"id": [p.vendor_id for p in plans]}
    for name in _PROJECTED:
        columns[name] = [i.projection[name] for i in items]
    columns["address"] = [i.address_json for i in items]
    columns["normalized_name"] = [i.normalized[:255] for i in items]
    columns["created_at"] = columns["updated_at"] = [now] * len(plans)
    return columns


def _mapping_columns(
    connection_id: uuid.UUID, plans: Sequence[_Plan], now: dt.datetime
) -> dict[str, list[Any]]:
    """The mapping rows of `plans`."""
    records = [p.item.record for p in plans]
    return {
        **mapping_columns(connection_id, records, [p.item.erp_hash for p in plans], now),
        "smartap_vendor_id": [p.vendor_id for p in plans],
        "erp_vendor_id": [r.external_id for r in records],
        "erp_vendor_name": [r.name[:255] for r in records],
        "is_active": [r.is_active for r in records],
    }


async def _links(
    session: AsyncSession, connection_id: uuid.UUID, ids: Sequence[str]
) -> dict[str, tuple[str | None, uuid.UUID]]:
    """The page's mappings: ERP id -> (synced_hash, SmartAP vendor id)."""
    rows = await session.execute(
        select(ERPVendorLink.erp_vendor_id, ERPVendorLink.synced_hash, ERPVendorLink.smartap_vendor_id).where(
            ERPVendorLink.connection_id == connection_id, among(session, ERPVendorLink.erp_vendor_id, ids)
        )
    )
    return {erp_id: (synced, vendor_id) for erp_id, synced, vendor_id in rows}


async def _rows(session: AsyncSession, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Any]:
    if not ids:
        return {}
    rows = await session.execute(select(*_ROW_COLUMNS).where(among(session, Vendor.id, ids)))
    return {row.id: row for row in rows}


class _Candidates:
    """Unmapped SmartAP vendors sharing a tax id or a normalised name with the page's unmapped records,
    indexed for `match` (in creation order, as the query returns them)."""

    def __init__(self, rows: Iterable[Any]) -> None:
        self.by_tax: dict[str, list[Any]] = {}
        self.by_name: dict[tuple[str, str | None], list[Any]] = {}
        for row in rows:
            if row.tax_id:
                self.by_tax.setdefault(row.tax_id.strip().casefold(), []).append(row)
            self.by_name.setdefault((row.normalized_name, _email(row.email)), []).append(row)
        self.used: set[uuid.UUID] = set()

    def match(self, item: Incoming) -> Any | None:
        """Tax id first; then the same normalised name and the same e-mail (both absent counts)."""
        record = item.record
        if record.tax_id:
            found = self._first(self.by_tax.get(record.tax_id.casefold(), ()))
            if found is not None:
                return found
        return self._first(self.by_name.get((item.normalized, _email(record.email)), ()))

    def _first(self, rows: Iterable[Any]) -> Any | None:
        for row in rows:
            if row.id not in self.used:
                self.used.add(row.id)
                return row
        return None


async def _candidates(
    session: AsyncSession, connection_id: uuid.UUID, items: Sequence[Incoming]
) -> _Candidates:
    if not items:
        return _Candidates(())
    tax_ids = sorted({i.record.tax_id for i in items if i.record.tax_id})
    names = sorted({i.normalized for i in items})
    # NOT EXISTS, not NOT IN: PostgreSQL plans it as an anti-join on the indexed smartap_vendor_id,
    # where NOT IN over the connection's (growing) mappings made each page slower than the last.
    taken = exists().where(
        ERPVendorLink.connection_id == connection_id, ERPVendorLink.smartap_vendor_id == Vendor.id
    )
    matches = [among(session, Vendor.normalized_name, names)]
    if tax_ids:
        matches.append(among(session, Vendor.tax_id, tax_ids))
    rows = await session.execute(
        select(*_ROW_COLUMNS).where(or_(*matches), ~taken).order_by(Vendor.created_at, Vendor.id)
    )
    return _Candidates(rows)


@dataclass(slots=True)
class VendorPagePlan(PlanKeys):
    """What one page will write, decided from what the database held when it was read: the plans,
    the conflicts and the counts so far; `smartap_ids` are the vendors read, matched or created."""

    plans: list[_Plan]
    conflicts: list[ConflictRecord]
    counts: PageCounts


async def write_vendor_page(
    session: AsyncSession,
    connection_id: uuid.UUID,
    records: Iterable[ERPVendor],
    *,
    policy: Policy,
    now: dt.datetime,
    forced: Mapping[str, tuple[Action, uuid.UUID | None]] | None = None,
) -> PageCounts:
    """Classify and write one page inside the caller's transaction. `forced` (erp id -> action and
    SmartAP id) is how a person's conflict decision is applied, bypassing classification."""
    plan = await plan_vendor_page(session, connection_id, records, policy=policy, forced=forced)
    return await write_vendor_plan(session, connection_id, plan, now=now)


async def plan_vendor_page(
    session: AsyncSession,
    connection_id: uuid.UUID,
    records: Iterable[ERPVendor],
    *,
    policy: Policy,
    forced: Mapping[str, tuple[Action, uuid.UUID | None]] | None = None,
) -> VendorPagePlan:
    """Digest, read and classify one page (no write)."""
    counts = PageCounts()
    incoming: dict[str, Incoming] = {}
    # an overlap window may repeat a record: the last one wins
    for key, record in {r.external_id: r for r in records}.items():
        item = digest_record(key, record)
        if isinstance(item, RecordError):
            counts.errors.append(item)
        else:
            incoming[key] = item
    plans: list[_Plan] = []
    conflicts: list[ConflictRecord] = []
    if forced is not None:
        for key, item in incoming.items():
            action, smartap_id = forced[key]
            plans.append(_Plan(item, smartap_id or uuid7(), action, fresh=smartap_id is None))
    else:
        links = await _links(session, connection_id, list(incoming))
        changed = {
            key: link for key, link in links.items() if key in incoming and link[0] != incoming[key].erp_hash
        }
        counts.unchanged += sum(1 for key in incoming if key in links and key not in changed)
        rows = await _rows(session, [vendor_id for _, vendor_id in changed.values()])
        candidates = await _candidates(
            session, connection_id, [i for k, i in incoming.items() if k not in links]
        )
        new_ids = iter(uuid7s(len(incoming) - counts.unchanged))  # enough for every record to create
        for key, item in incoming.items():
            if key in links and key not in changed:
                continue  # the ERP's record is the one last synced: nothing to read or write
            synced_hash, linked = changed.get(key, (None, None))
            row = rows.get(linked) if linked is not None else candidates.match(item)
            if row is None:  # no SmartAP row: a create, whatever the hashes (`planning.classify`)
                plans.append(_Plan(item, next(new_ids), Action.CREATE, mapped=key in links, fresh=True))
                continue
            smartap_id = row.id
            action, conflict = decide(
                key=key,
                record=item.record,
                erp_hash=item.erp_hash,
                synced_hash=synced_hash,
                smartap=row_projection(row),
                smartap_updated_at=row.updated_at,
                smartap_id=smartap_id,
                policy=policy,
            )
            if conflict is not None:
                counts.conflicts += 1
                conflicts.append(conflict)
            plans.append(_Plan(item, smartap_id, action, row.is_active, mapped=linked is not None))
    touched = frozenset(p.vendor_id for p in plans)
    return VendorPagePlan(frozenset(incoming), touched, plans, conflicts, counts)


async def write_vendor_plan(
    session: AsyncSession, connection_id: uuid.UUID, plan: VendorPagePlan, *, now: dt.datetime
) -> PageCounts:
    """Write what `plan_vendor_page` decided, inside the caller's transaction."""
    await _write(session, connection_id, plan.plans, now, plan.counts)
    await write_conflicts(session, connection_id, ERPEntity.VENDOR, plan.conflicts, now)
    return plan.counts


async def _write(
    session: AsyncSession,
    connection_id: uuid.UUID,
    plans: Sequence[_Plan],
    now: dt.datetime,
    counts: PageCounts,
) -> None:
    written = [p for p in plans if p.action in (Action.CREATE, Action.APPLY)]
    linked = [p for p in plans if p.action not in (Action.REVIEW, Action.UNCHANGED)]
    for p in plans:
        counts.count(p.action)
        if (
            p.action in (Action.CREATE, Action.APPLY)
            and not p.item.record.is_active
            and p.was_active is not False
        ):
            counts.deactivated += 1
    # New rows are plain INSERTs (no speculative insertion to pay for on PostgreSQL): a vendor id made
    # for this write cannot exist, and a mapping another run created meanwhile fails the page, which
    # `run.commit_page` retries record by record against what is then stored.
    if created := [p for p in written if p.fresh]:
        await insert_columns(session, VENDORS, _vendor_columns(created, now))
    if kept := [p for p in written if not p.fresh]:
        columns = _vendor_columns(kept, now)
        update = [c for c in columns if c not in ("id", "created_at")]
        await upsert_columns(session, VENDORS, ["id"], update, columns)
    if new := [p for p in linked if not p.mapped]:
        await insert_columns(session, MAPPINGS, _mapping_columns(connection_id, new, now))
    if known := [p for p in linked if p.mapped]:
        refreshed = ["erp_vendor_name", "last_synced_at", "is_active", "erp_version", "erp_updated_at"]
        update = [*refreshed, "synced_hash", "updated_at", "smartap_vendor_id"]
        links = _mapping_columns(connection_id, known, now)
        keys = ["connection_id", "erp_vendor_id"]
        await upsert_columns(session, MAPPINGS, keys, update, links, increment=["sync_count"])


class VendorImport:
    """The `EntityImport` of vendors."""

    entity = ERPEntity.VENDOR

    def pages(self, erp: ERPConnector, since: dt.datetime | None) -> AsyncIterator[Any]:
        return erp.iter_vendors(since)

    async def prepare(self, records: Sequence[Any]) -> Sequence[Any]:
        return records

    async def plan(
        self, session: AsyncSession, connection_id: uuid.UUID, records: Sequence[Any], *, policy: Policy
    ) -> VendorPagePlan:
        return await plan_vendor_page(session, connection_id, records, policy=policy)

    async def write_plan(
        self, session: AsyncSession, connection_id: uuid.UUID, plan: VendorPagePlan, *, now: dt.datetime
    ) -> PageCounts:
        return await write_vendor_plan(session, connection_id, plan, now=now)
