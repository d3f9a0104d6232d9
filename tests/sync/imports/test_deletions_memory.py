"""The removal step holds no list of every mapped id (issue 17): a feed that reports removals
(QuickBooks CDC) is asked first and the database is read only for the ids it returned; SAP's key-list
comparison merges the ERP's sorted CardCode pages with the mapped CardCodes read in keyset pages, and
finds removals that fall on different pages of both. On SQLite and PostgreSQL, against the simulators."""

from __future__ import annotations

import math
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from types import SimpleNamespace
from typing import Any

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from smartap_erp.connectors.removals import StaticIds
from smartap_erp.connectors.sap import deletions as sap_deletions
from smartap_erp.db.models import ERPEvent, ERPPurchaseOrderLink, ERPVendorLink, PurchaseOrder
from smartap_erp.db.vault import CredentialVault, KeyRing
from smartap_erp.domain import ERPEntity, ERPSystem, PurchaseOrderStatus
from smartap_erp.http.call import Call
from smartap_erp.sync.context import SyncContext
from smartap_erp.sync.imports import deletions
from smartap_erp.sync.imports.report import ImportReport
from smartap_erp.sync.service import ERPSyncService
from tests.sync.harness import ErpHarness, available_systems

Factory = async_sessionmaker[AsyncSession]


def _needs(system: ERPSystem) -> None:
    if system not in available_systems():
        pytest.skip(f"{system.value} simulator not available")


@pytest.fixture
def vault() -> CredentialVault:
    return CredentialVault(KeyRing([Fernet.generate_key()], "test"))


@contextmanager
def _statements(engine: AsyncEngine) -> Iterator[list[tuple[str, Any]]]:
    """Every SQL statement the engine sends while the block runs, with its parameters."""
    seen: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, _ctx: Any, _many: bool) -> None:
        seen.append((statement, parameters))

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)


def _flat(parameters: Any) -> set[str]:
    values = parameters.values() if isinstance(parameters, dict) else parameters or ()
    return {str(v) for v in values}


async def _po_ids(factory: Factory, connection_id: uuid.UUID) -> dict[str, PurchaseOrderStatus]:
    async with factory() as session:
        rows = await session.execute(
            select(ERPPurchaseOrderLink.erp_po_id, PurchaseOrder.status)
            .join(PurchaseOrder, PurchaseOrder.id == ERPPurchaseOrderLink.smartap_po_id)
            .where(ERPPurchaseOrderLink.connection_id == connection_id)
        )
        return {erp_id: status for erp_id, status in rows}


async def _synced(
    system: ERPSystem, factory: Factory, vault: CredentialVault, **sim: Any
) -> tuple[SyncContext, ErpHarness, ERPSyncService]:
    """A connection to `system`'s simulator after its first, full import."""
    _needs(system)
    ctx = SyncContext(factory, vault)
    harness = await ErpHarness.start(system, ctx, **sim)
    ctx.now = harness.clock.now
    service = ERPSyncService(ctx)
    await service.sync_connection(harness.connection.id)
    return ctx, harness, service


async def test_quickbooks_removals_read_only_the_ids_cdc_returned(
    engine: AsyncEngine, session_factory: Factory, vault: CredentialVault, monkeypatch: pytest.MonkeyPatch
) -> None:
    ctx, harness, _ = await _synced(ERPSystem.QUICKBOOKS, session_factory, vault, purchase_orders=12)
    connection_id = harness.connection.id
    mapped = await _po_ids(session_factory, connection_id)
    open_ids = sorted(k for k, status in mapped.items() if status is PurchaseOrderStatus.OPEN)
    assert len(open_ids) >= 3
    gone = open_ids[1]
    since = harness.clock.now()
    harness.clock.advance(60)
    harness.mutate("delete_purchase_order", po_id=gone)
    harness.clock.advance(60)

    async def no_key_list(self: deletions.MappedKeys) -> AsyncIterator[list[str]]:
        raise AssertionError("a direct removal feed must not read every mapped id")
        yield []  # pragma: no cover

    monkeypatch.setattr(deletions.MappedKeys, "ascending", no_key_list)
    report = ImportReport(entity_type=ERPEntity.PURCHASE_ORDER)
    async with ctx.connector(harness.connection) as erp:
        with _statements(engine) as seen:
            await deletions.apply_removals(ctx, erp, connection_id, ERPEntity.PURCHASE_ORDER, since, report)

    assert report.updated_count == 1
    assert (await _po_ids(session_factory, connection_id))[gone] is PurchaseOrderStatus.CANCELLED
    lookups = [(sql, params) for sql, params in seen if "erp_po_mappings" in sql]
    assert len(lookups) == 1, [sql for sql, _ in lookups]  # one IN lookup, no scan of the mappings
    sql, params = lookups[0]
    assert " IN " in sql.upper()
    other_ids = set(mapped) - {gone}
    assert gone in _flat(params)
    assert not any(_flat(p) & other_ids for _, p in seen)  # no other mapped id was ever sent or read


async def _deactivated(factory: Factory, connection_id: uuid.UUID) -> tuple[set[str], list[str]]:
    """The connection's inactive vendor mappings, and the ERP ids of its `vendor.deactivated` events."""
    async with factory() as session:
        inactive = set(
            await session.scalars(
                select(ERPVendorLink.erp_vendor_id).where(
                    ERPVendorLink.connection_id == connection_id, ERPVendorLink.is_active.is_(False)
                )
            )
        )
        events = [
            str(e.data["erp_vendor_id"])
            for e in await session.scalars(select(ERPEvent).where(ERPEvent.type == "vendor.deactivated"))
        ]
    return inactive, events


async def test_sap_key_list_merge_finds_removals_on_different_pages(
    session_factory: Factory, vault: CredentialVault, monkeypatch: pytest.MonkeyPatch
) -> None:
    ctx, harness, service = await _synced(ERPSystem.SAP, session_factory, vault, vendors=14)
    connection_id = harness.connection.id
    company = next(iter(harness.sim.companies.values()))
    suppliers = sorted(
        str(bp["CardCode"]) for bp in company.records("BusinessPartners") if bp.get("CardType") == "cSupplier"
    )
    used = {
        doc.get("CardCode")
        for name in ("PurchaseOrders", "PurchaseInvoices", "VendorPayments")
        for doc in company.records(name)
    }
    async with session_factory() as session:
        mapped = sorted(
            await session.scalars(
                select(ERPVendorLink.erp_vendor_id).where(ERPVendorLink.connection_id == connection_id)
            )
        )
    inactive_at_start, _ = await _deactivated(session_factory, connection_id)
    removable = [code for code in mapped if code not in used and code not in inactive_at_start]
    first, last = removable[0], removable[-1]
    page = 3  # ERP key pages of 3 CardCodes, database keyset pages of 2
    assert suppliers.index(first) // page != suppliers.index(last) // page
    assert len(suppliers) > 2 * page
    monkeypatch.setattr(sap_deletions, "KEY_PAGE_SIZE", page)
    monkeypatch.setattr(deletions, "KEYSET_PAGE", 2)

    inactive_before, events_before = await _deactivated(session_factory, connection_id)
    since = harness.clock.now()
    harness.clock.advance(120)
    harness.mutate("remove_vendor", card_code=first)
    harness.mutate("remove_vendor", card_code=last)
    harness.clock.advance(120)
    report = ImportReport(entity_type=ERPEntity.VENDOR)
    async with ctx.connector(harness.connection) as erp:
        before = int(harness.state()["requests"]["total"])
        await deletions.apply_removals(ctx, erp, connection_id, ERPEntity.VENDOR, since, report)
        cost = int(harness.state()["requests"]["total"]) - before

    assert report.deactivated_count == 2
    assert 2 <= cost <= math.ceil(len(suppliers) / page) + 1  # one request per key page (+ a login)
    inactive, events = await _deactivated(session_factory, connection_id)
    assert inactive == inactive_before | {first, last}
    assert sorted(events) == sorted([*events_before, first, last])  # one event each

    harness.clock.advance(120)
    again = await service.sync_connection(connection_id)  # through the import run: nothing twice
    assert again[ERPEntity.VENDOR].deactivated_count == 0


class _KeyListERP:
    """Just what `missing_partners` uses of the SAP connector: the key list in the pages given."""

    def __init__(self, pages: list[list[str]]) -> None:
        self._pages = pages
        self.requests = 0

    def query_call(self, resource: str, **options: str) -> Call:
        return Call.get(resource, params=options)

    async def pages(self, call: Call, paginator: Any, records: str) -> AsyncIterator[Any]:
        for codes in self._pages:
            self.requests += 1
            yield SimpleNamespace(records=[{"CardCode": c} for c in codes])


async def _missing(erp: _KeyListERP, mapped: list[str]) -> list[str]:
    found = sap_deletions.missing_partners(erp, StaticIds(mapped, page_size=2))  # type: ignore[arg-type]
    return [r.external_id async for page in found for r in page]


async def test_sap_merge_reads_the_key_list_once_and_refuses_an_unsorted_one() -> None:
    erp = _KeyListERP([["A1", "A3"], ["B1", "B2"], ["C1", "C2"], ["D1"]])
    assert await _missing(erp, ["A0", "A3", "B2", "B3", "C1"]) == ["A0", "B3"]
    assert erp.requests == 4  # the whole key list, one request a page
    assert await _missing(_KeyListERP([["A1"]]), ["A1", "Z9"]) == ["Z9"]  # past the end of the list
    nothing = _KeyListERP([["A1"]])
    assert await _missing(nothing, []) == [] and nothing.requests == 0  # nothing mapped: no request
    # a case-insensitive collation ("a2" before "B1") would make "B1" look removed: no removal at all,
    # even though the disorder shows only on a page after the last mapped code
    unsorted = _KeyListERP([["A1", "a2"], ["B1", "C1"]])
    assert await _missing(unsorted, ["A1", "B1", "C0", "a2"]) == [] and unsorted.requests == 2
