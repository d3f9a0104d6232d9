"""One page of imported vendors into `vendors` and `erp_vendor_mappings`, set-based.

Per page: one query reads the mapped SmartAP vendors, one more finds candidates for the unmapped
ERP vendors (same tax id first, then same normalised name and e-mail, never a vendor this connection
already maps), then the page is classified (`planning.classify`) and written with one vendor upsert,
one mapping upsert and one conflict write. An inactive ERP vendor is a deactivation: it is written
(`is_active = false`) and counted, never skipped.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table, exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from smartap_erp.connectors.base import ERPConnector
from smartap_erp.db.models import ERPVendorLink, Vendor
from smartap_erp.domain.enums import ERPEntity
from smartap_erp.domain.models import ERPVendor
from smartap_erp.sync.imports.planning import Action, ConflictRecord, Policy, decide, write_conflicts
from smartap_erp.sync.imports.report import PageCounts
from smartap_erp.sync.records import canonical_hash, too_long, upsert_statement

VENDORS: Table = Vendor.__table__  # type: ignore[assignment]
MAPPINGS: Table = ERPVendorLink.__table__  # type: ignore[assignment]
_NOT_NAME = re.compile(r"[^0-9a-z]+")


def normalise_name(name: str) -> str:
    """'ACME  Supplies, Inc.' -> 'acme supplies inc': case, punctuation and spacing ignored."""
    return " ".join(_NOT_NAME.sub(" ", name.casefold()).split())


def _email(value: str | None) -> str | None:
    return value.strip().casefold() if value else None


def erp_projection(vendor: ERPVendor) -> dict[str, Any]:
    address = vendor.address.model_dump(exclude_none=True) if vendor.address else None
    return {
        "name": vendor.name,
        "email": vendor.email,
        "phone": vendor.phone,
        "address": address or None,
        "tax_id": vendor.tax_id,
        "payment_terms": vendor.payment_terms,
        "currency": vendor.currency,
        "is_active": vendor.is_active,
    }


def row_projection(row: Vendor) -> dict[str, Any]:
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


@dataclass
class _Plan:
    record: ERPVendor
    erp_hash: str
    vendor_id: uuid.UUID
    action: Action
    was_active: bool | None = None


def _vendor_row(plan: _Plan, now: dt.datetime) -> dict[str, Any]:
    projection = erp_projection(plan.record)
    return {
        "id": plan.vendor_id,
        **projection,
        "normalized_name": normalise_name(plan.record.name)[:255],
        "created_at": now,
        "updated_at": now,
    }


def _mapping_row(connection_id: uuid.UUID, plan: _Plan, now: dt.datetime) -> dict[str, Any]:
    record = plan.record
    return {
        "id": uuid.uuid4(),
        "connection_id": connection_id,
        "smartap_vendor_id": plan.vendor_id,
        "erp_vendor_id": record.external_id,
        "erp_vendor_name": record.name[:255],
        "first_synced_at": now,
        "last_synced_at": now,
        "sync_count": 1,
        "is_active": record.is_active,
        "erp_version": (record.version or "")[:64] or None,
        "erp_updated_at": record.updated_at,
        "synced_hash": plan.erp_hash,
        "created_at": now,
        "updated_at": now,
    }


async def _mapped(
    session: AsyncSession, connection_id: uuid.UUID, ids: Sequence[str]
) -> dict[str, tuple[ERPVendorLink, Vendor]]:
    rows = await session.execute(
        select(ERPVendorLink, Vendor)
        .join(Vendor, Vendor.id == ERPVendorLink.smartap_vendor_id)
        .where(ERPVendorLink.connection_id == connection_id, ERPVendorLink.erp_vendor_id.in_(ids))
    )
    return {m.erp_vendor_id: (m, v) for m, v in rows}


async def _candidates(
    session: AsyncSession, connection_id: uuid.UUID, records: Sequence[ERPVendor]
) -> list[Vendor]:
    """Unmapped SmartAP vendors sharing a tax id or a normalised name with one of `records`."""
    if not records:
        return []
    tax_ids = sorted({r.tax_id for r in records if r.tax_id})
    names = sorted({normalise_name(r.name) for r in records})
    # NOT EXISTS, not NOT IN: PostgreSQL plans it as an anti-join on the indexed smartap_vendor_id,
    # where NOT IN over the connection's (growing) mappings made each page slower than the last.
    taken = exists().where(
        ERPVendorLink.connection_id == connection_id, ERPVendorLink.smartap_vendor_id == Vendor.id
    )
    matches = [Vendor.normalized_name.in_(names)]
    if tax_ids:
        matches.append(Vendor.tax_id.in_(tax_ids))
    rows = await session.scalars(
        select(Vendor).where(or_(*matches), ~taken).order_by(Vendor.created_at, Vendor.id)
    )
    return list(rows)


def _match(record: ERPVendor, candidates: Sequence[Vendor], used: set[uuid.UUID]) -> Vendor | None:
    """Tax id first; then the same normalised name and the same e-mail (both absent counts)."""
    free = [c for c in candidates if c.id not in used]
    if record.tax_id:
        for c in free:
            if c.tax_id and c.tax_id.strip().casefold() == record.tax_id.casefold():
                return c
    name, email = normalise_name(record.name), _email(record.email)
    for c in free:
        if c.normalized_name == name and _email(c.email) == email:
            return c
    return None


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
    counts = PageCounts()
    unique = {r.external_id: r for r in records}  # an overlap window may repeat a record: last wins
    mapped = await _mapped(session, connection_id, list(unique))
    candidates = await _candidates(session, connection_id, [r for k, r in unique.items() if k not in mapped])
    used: set[uuid.UUID] = set()
    plans: list[_Plan] = []
    conflicts: list[ConflictRecord] = []
    for key, record in unique.items():
        erp_hash = canonical_hash(erp_projection(record))
        bad = too_long(VENDORS, {**erp_projection(record), "normalized_name": normalise_name(record.name)})
        if bad is not None:
            counts.errors.append(bad.model_copy(update={"record_id": key}))
            continue
        if forced is not None:
            action, smartap_id = forced[key]
            plans.append(_Plan(record, erp_hash, smartap_id or uuid.uuid4(), action))
            continue
        mapping, row = mapped.get(key, (None, None))
        if row is None:
            row = _match(record, candidates, used)
        if row is not None:
            used.add(row.id)
        smartap = row_projection(row) if row is not None else None
        smartap_id = row.id if row is not None else uuid.uuid4()
        action, conflict = decide(
            key=key,
            record=record,
            erp_hash=erp_hash,
            synced_hash=mapping.synced_hash if mapping is not None else None,
            smartap=smartap,
            smartap_updated_at=row.updated_at if row is not None else None,
            smartap_id=smartap_id,
            policy=policy,
        )
        plan = _Plan(record, erp_hash, smartap_id, action)
        plan.was_active = row.is_active if row is not None else None
        plans.append(plan)
        if conflict is not None:
            counts.conflicts += 1
            conflicts.append(conflict)
    await _write(session, connection_id, plans, now, counts)
    await write_conflicts(session, connection_id, ERPEntity.VENDOR, conflicts, now)
    return counts


async def _write(
    session: AsyncSession,
    connection_id: uuid.UUID,
    plans: Sequence[_Plan],
    now: dt.datetime,
    counts: PageCounts,
) -> None:
    rows = [_vendor_row(p, now) for p in plans if p.action in (Action.CREATE, Action.APPLY)]
    links = [
        _mapping_row(connection_id, p, now)
        for p in plans
        if p.action not in (Action.REVIEW, Action.UNCHANGED)
    ]
    for p in plans:
        counts.count(p.action)
        if p.action in (Action.CREATE, Action.APPLY) and not p.record.is_active and p.was_active is not False:
            counts.deactivated += 1
    if rows:
        update = [c for c in rows[0] if c not in ("id", "created_at")]
        await session.execute(upsert_statement(session, VENDORS, ["id"], update), rows)
    if links:
        refreshed = ["erp_vendor_name", "last_synced_at", "is_active", "erp_version", "erp_updated_at"]
        stmt = upsert_statement(
            session,
            MAPPINGS,
            ["connection_id", "erp_vendor_id"],
            [*refreshed, "synced_hash", "updated_at", "smartap_vendor_id"],
            extra={"sync_count": MAPPINGS.c.sync_count + 1},
        )
        await session.execute(stmt, links)


class VendorImport:
    """The `EntityImport` of vendors."""

    entity = ERPEntity.VENDOR

    def pages(self, erp: ERPConnector, since: dt.datetime | None) -> AsyncIterator[Any]:
        return erp.iter_vendors(since)

    async def prepare(self, records: Sequence[Any]) -> None:
        return None

    async def write(
        self,
        session: AsyncSession,
        connection_id: uuid.UUID,
        records: Sequence[Any],
        *,
        policy: Policy,
        now: dt.datetime,
    ) -> PageCounts:
        return await write_vendor_page(session, connection_id, records, policy=policy, now=now)
