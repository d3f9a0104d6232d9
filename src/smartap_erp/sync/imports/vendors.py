"""One page of imported vendors into `vendors` and `erp_vendor_mappings`, set-based.

Per page: the incoming records are projected and hashed once; one query reads the page's mappings
(ERP id, `synced_hash`, SmartAP id only), and a record whose hash equals its mapping's `synced_hash`
is unchanged and costs nothing more (no SmartAP row read, no write). Only the changed mapped records
have their SmartAP rows read, and one more query finds candidates for the unmapped ERP vendors (same
tax id first, then same normalised name and e-mail, never a vendor this connection already maps), held
in dictionaries so matching a page is linear. Then the page is classified (`planning.decide`) and
written with one vendor upsert, one mapping upsert and one conflict write, each an executemany of Core
rows. An inactive ERP vendor is a deactivation: it is written (`is_active = false`) and counted, never
skipped.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import uuid
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table, exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from smartap_erp.connectors.base import ERPConnector
from smartap_erp.db.ids import uuid7
from smartap_erp.db.models import ERPVendorLink, Vendor
from smartap_erp.domain.enums import ERPEntity
from smartap_erp.domain.models import ERPAddress, ERPVendor
from smartap_erp.domain.results import RecordError
from smartap_erp.sync.imports.bulk import JSONText, among, upsert_rows
from smartap_erp.sync.imports.planning import Action, ConflictRecord, Policy, decide, write_conflicts
from smartap_erp.sync.imports.report import PageCounts
from smartap_erp.sync.records import bounded_columns, canonical_json

VENDORS: Table = Vendor.__table__  # type: ignore[assignment]
MAPPINGS: Table = ERPVendorLink.__table__  # type: ignore[assignment]
_NOT_NAME = re.compile(r"[^0-9a-z]+")
_ADDRESS_FIELDS = tuple(ERPAddress.model_fields)
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


def normalise_name(name: str) -> str:
    """'ACME  Supplies, Inc.' -> 'acme supplies inc': case, punctuation and spacing ignored."""
    return " ".join(_NOT_NAME.sub(" ", name.casefold()).split())


def _email(value: str | None) -> str | None:
    return value.strip().casefold() if value else None


def erp_projection(vendor: ERPVendor) -> dict[str, Any]:
    address = _address(vendor.address) if vendor.address else None
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


def _address(address: ERPAddress) -> dict[str, Any]:
    """`address.model_dump(exclude_none=True)` (its fields are plain strings), without pydantic's
    serialiser: read per record, it was a third of the projection's cost."""
    values = {name: getattr(address, name) for name in _ADDRESS_FIELDS}
    return {name: value for name, value in values.items() if value is not None}


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
class _Incoming:
    record: ERPVendor
    projection: dict[str, Any]
    normalized: str
    erp_hash: str
    address_json: JSONText | None  # the address as the JSON column stores it, serialised once


@dataclass(slots=True)
class _Plan:
    item: _Incoming
    vendor_id: uuid.UUID
    action: Action
    was_active: bool | None = None


def _incoming(key: str, record: ERPVendor) -> _Incoming | RecordError:
    projection = erp_projection(record)
    normalized = normalise_name(record.name)
    bad = _too_long(projection, normalized)
    if bad is not None:
        return bad.model_copy(update={"record_id": key})
    address = projection["address"]
    text = _canonical(projection, canonical_json(address) if address is not None else None)
    digest = hashlib.sha256(text.encode()).hexdigest()
    return _Incoming(record, projection, normalized, digest, _stored(address))


def _stored(address: dict[str, Any] | None) -> JSONText | None:
    """`json.dumps(address)`, the text SQLAlchemy's JSON type stores, built directly for a dict of
    strings (an address): a third of the cost."""
    if address is None:
        return None
    if any(type(value) is not str for value in address.values()):
        return JSONText(json.dumps(address))
    return JSONText("{" + ", ".join([f"{_ascii(k)}: {_ascii(v)}" for k, v in address.items()]) + "}")


_HASHED = tuple((key, f'"{key}":') for key in sorted(erp_projection(ERPVendor(external_id="-", name="-"))))


def _canonical(projection: dict[str, Any], address_json: str | None) -> str:
    """`records.canonical_json(projection)`, the same text (so the same `synced_hash`), built for the
    vendor projection's known keys and plain values without sorting them each time; any other
    value takes the general path."""
    parts = []
    for key, quoted in _HASHED:
        value = projection[key]
        if value is None:
            continue
        if key == "address":
            parts.append(quoted + str.__str__(address_json or ""))
        elif type(value) is str:
            parts.append(quoted + _quoted(value))
        elif value is True or value is False:
            parts.append(quoted + ("true" if value else "false"))
        else:
            return canonical_json(projection)
    return "{" + ",".join(parts) + "}"


_quoted = json.encoder.encode_basestring  # as records.canonical_json quotes strings
_ascii = json.encoder.encode_basestring_ascii  # as json.dumps quotes them (ensure_ascii)
_BOUNDED = tuple((name, length) for name, length in bounded_columns(VENDORS))


def _too_long(projection: dict[str, Any], normalized: str) -> RecordError | None:
    """`records.too_long` of the vendor row (projection and normalised name), without building it."""
    for name, length in _BOUNDED:
        value = normalized if name == "normalized_name" else projection.get(name)
        if isinstance(value, str) and len(value) > length:
            return RecordError(field=name, message=f"{name} is {len(value)} characters; at most {length} fit")
    return None


def _vendor_row(plan: _Plan, now: dt.datetime) -> dict[str, Any]:
    return {
        "id": plan.vendor_id,
        **plan.item.projection,
        "address": plan.item.address_json,
        "normalized_name": plan.item.normalized[:255],
        "created_at": now,
        "updated_at": now,
    }


def _mapping_row(connection_id: uuid.UUID, plan: _Plan, now: dt.datetime) -> dict[str, Any]:
    record = plan.item.record
    return {
        "id": uuid7(),
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
        "synced_hash": plan.item.erp_hash,
        "created_at": now,
        "updated_at": now,
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

    def match(self, item: _Incoming) -> Any | None:
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
    session: AsyncSession, connection_id: uuid.UUID, items: Sequence[_Incoming]
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
    incoming: dict[str, _Incoming] = {}
    # an overlap window may repeat a record: the last one wins
    for key, record in {r.external_id: r for r in records}.items():
        item = _incoming(key, record)
        if isinstance(item, RecordError):
            counts.errors.append(item)
        else:
            incoming[key] = item
    plans: list[_Plan] = []
    conflicts: list[ConflictRecord] = []
    if forced is not None:
        for key, item in incoming.items():
            action, smartap_id = forced[key]
            plans.append(_Plan(item, smartap_id or uuid7(), action))
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
        for key, item in incoming.items():
            if key in links and key not in changed:
                continue  # the ERP's record is the one last synced: nothing to read or write
            synced_hash, linked = changed.get(key, (None, None))
            row = rows.get(linked) if linked is not None else candidates.match(item)
            if row is None:  # no SmartAP row: a create, whatever the hashes (`planning.classify`)
                plans.append(_Plan(item, uuid7(), Action.CREATE))
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
            plans.append(_Plan(item, smartap_id, action, row.is_active))
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
        if (
            p.action in (Action.CREATE, Action.APPLY)
            and not p.item.record.is_active
            and p.was_active is not False
        ):
            counts.deactivated += 1
    if rows:
        await upsert_rows(
            session, VENDORS, ["id"], [c for c in rows[0] if c not in ("id", "created_at")], rows
        )
    refreshed = ["erp_vendor_name", "last_synced_at", "is_active", "erp_version", "erp_updated_at"]
    keys, update = (
        ["connection_id", "erp_vendor_id"],
        [*refreshed, "synced_hash", "updated_at", "smartap_vendor_id"],
    )
    await upsert_rows(session, MAPPINGS, keys, update, links, increment=["sync_count"])


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
