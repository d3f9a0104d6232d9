"""The import half of the sync engine, against every available simulator on SQLite and PostgreSQL:
vendor and PO import, incremental sync, conflict policies, field-mapping record errors, sync logs
and auth failures."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from smartap_erp.connectors.registry import build_connector
from smartap_erp.db.connections import read_credentials, replace_credentials
from smartap_erp.db.models import (
    ERPConflict,
    ERPConnection,
    ERPFieldMapping,
    ERPPurchaseOrderLink,
    ERPSyncLog,
    ERPVendorLink,
    PurchaseOrder,
    PurchaseOrderLine,
    Vendor,
)
from smartap_erp.db.vault import CredentialVault, KeyRing
from smartap_erp.domain import ConflictStatus, ConnectionStatus, ERPEntity, ERPSystem, SyncStatus
from smartap_erp.errors import ERPAuthError
from smartap_erp.sync.context import SyncContext
from smartap_erp.sync.logs import ConnectionUnavailableError
from smartap_erp.sync.service import ERPSyncService
from tests.sync.harness import ErpHarness, available_systems

Factory = async_sessionmaker[AsyncSession]
SYSTEMS = pytest.mark.parametrize("system", available_systems())


class Ticker:
    """SmartAP's clock: every call is one second later, so a rewritten row shows a new updated_at."""

    def __init__(self) -> None:
        self.at = dt.datetime(2024, 6, 3, 12, 0, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        self.at += dt.timedelta(seconds=1)
        return self.at


def edit_vendors(harness: ErpHarness, count: int) -> list[str]:
    """ERP-side edits through each simulator's own mutate op."""
    result = harness.mutate("edit_vendors", count=count)
    return [str(i) for i in result.get("ids", result.get("edited", []))]


def deactivate_vendor(harness: ErpHarness, erp_id: str) -> None:
    op, key = {
        ERPSystem.QUICKBOOKS: ("deactivate_vendor", "vendor_id"),
        ERPSystem.XERO: ("archive_vendor", "contact_id"),
        ERPSystem.SAP: ("deactivate_vendor", "card_code"),
        ERPSystem.NETSUITE: ("deactivate_vendor", "id"),
    }[harness.system]
    harness.mutate(op, **{key: erp_id})


@pytest.fixture
def ctx(session_factory: Factory) -> SyncContext:
    return SyncContext(
        session_factory, CredentialVault(KeyRing([Fernet.generate_key()], "test")), now=Ticker()
    )


async def _scalar(ctx: SyncContext, statement: Any) -> Any:
    async with ctx.session_factory() as session:
        return await session.scalar(statement)


async def _stamps(ctx: SyncContext) -> dict[uuid.UUID, dt.datetime]:
    async with ctx.session_factory() as session:
        vendors = (await session.execute(select(Vendor.id, Vendor.updated_at))).all()
        maps = (await session.execute(select(ERPVendorLink.id, ERPVendorLink.updated_at))).all()
        pos = (await session.execute(select(PurchaseOrder.id, PurchaseOrder.updated_at))).all()
    return dict([*vendors, *maps, *pos])


def _changed(before: dict[uuid.UUID, dt.datetime], after: dict[uuid.UUID, dt.datetime]) -> set[uuid.UUID]:
    return {k for k, v in after.items() if before.get(k) != v}


async def _vendor_of(ctx: SyncContext, connection_id: uuid.UUID, erp_id: str) -> Vendor:
    async with ctx.session_factory() as session:
        vendor = await session.scalar(
            select(Vendor)
            .join(ERPVendorLink, ERPVendorLink.smartap_vendor_id == Vendor.id)
            .where(ERPVendorLink.connection_id == connection_id, ERPVendorLink.erp_vendor_id == erp_id)
        )
        assert vendor is not None
        return vendor


@SYSTEMS
async def test_complete_vendor_import_then_nothing_changed_writes_nothing(
    ctx: SyncContext, system: ERPSystem
) -> None:
    harness = await ErpHarness.start(system, ctx, vendors=12, purchase_orders=0, bills=0)
    service = ERPSyncService(ctx)
    first = await service.import_vendors(harness.connection.id, triggered_by="ap@example.com")
    assert first.status == SyncStatus.COMPLETED and first.full_read
    assert first.created_count == first.total_count >= 12 and first.error_count == 0
    assert await _scalar(ctx, select(func.count()).select_from(Vendor)) == first.created_count
    assert await _scalar(ctx, select(func.count()).select_from(ERPVendorLink)) == first.created_count
    log = await _scalar(ctx, select(ERPSyncLog).where(ERPSyncLog.id == first.log_id))
    assert (log.status, log.total_count, log.success_count, log.triggered_by) == (
        SyncStatus.COMPLETED,
        first.total_count,
        first.total_count,
        "ap@example.com",
    )
    assert log.sync_params["result"]["created"] == first.created_count

    before = await _stamps(ctx)
    requests_before = harness.state()["requests"]["total"]
    harness.clock.advance(600)
    again = await service.import_vendors(harness.connection.id)
    assert not again.full_read and again.created_count == again.updated_count == 0
    assert _changed(before, await _stamps(ctx)) == set()
    # one short incremental read, plus SAP's supplier key list (removed partners, sync/imports/deletions.py)
    removal_check = 1 if system is ERPSystem.SAP else 0
    assert harness.state()["requests"]["total"] - requests_before <= 4 + removal_check


@SYSTEMS
async def test_incremental_sync_picks_up_edits_and_deactivations_only(
    ctx: SyncContext, system: ERPSystem
) -> None:
    harness = await ErpHarness.start(system, ctx, vendors=15, purchase_orders=0, bills=0)
    service = ERPSyncService(ctx)
    await service.import_vendors(harness.connection.id)
    before = await _stamps(ctx)
    harness.clock.advance(600)
    edited = edit_vendors(harness, 3)
    harness.clock.advance(60)
    report = await service.import_vendors(harness.connection.id)
    assert not report.full_read and (report.updated_count, report.created_count) == (3, 0)
    changed = _changed(before, await _stamps(ctx))
    assert len(changed) == 6  # three vendors and their three mappings, nothing else
    for erp_id in edited:
        assert (await _vendor_of(ctx, harness.connection.id, erp_id)).id in changed

    deactivate_vendor(harness, edited[0])
    harness.clock.advance(60)
    report = await service.import_vendors(harness.connection.id)
    assert report.deactivated_count == 1 and report.updated_count == 1
    assert (await _vendor_of(ctx, harness.connection.id, edited[0])).is_active is False


@SYSTEMS
async def test_purchase_orders_import_their_vendors_first(ctx: SyncContext, system: ERPSystem) -> None:
    harness = await ErpHarness.start(system, ctx, vendors=8, purchase_orders=6, bills=0)
    report = await ERPSyncService(ctx).import_purchase_orders(harness.connection.id)
    assert report.created_count >= 6 and report.error_count == 0, report.errors
    async with ctx.session_factory() as session:
        pos = (await session.scalars(select(PurchaseOrder))).all()
        mapped_vendors = set((await session.scalars(select(ERPVendorLink.smartap_vendor_id))).all())
        lines = await session.scalar(select(func.count()).select_from(PurchaseOrderLine))
        po_maps = await session.scalar(select(func.count()).select_from(ERPPurchaseOrderLink))
        logs = (await session.scalars(select(ERPSyncLog.entity_type))).all()
    assert len(pos) == po_maps == report.created_count
    assert {po.vendor_id for po in pos} <= mapped_vendors and lines and lines >= len(pos)
    assert set(logs) == {ERPEntity.VENDOR, ERPEntity.PURCHASE_ORDER}  # the vendor import was logged too
    again = await ERPSyncService(ctx).import_purchase_orders(harness.connection.id)
    assert again.created_count == again.updated_count == 0


@SYSTEMS
@pytest.mark.parametrize("policy", ["erp_wins", "smartap_wins", "newest_wins", "manual"])
async def test_conflict_policies(ctx: SyncContext, system: ERPSystem, policy: str) -> None:
    harness = await ErpHarness.start(system, ctx, vendors=6, purchase_orders=0, bills=0)
    service = ERPSyncService(ctx)
    cid = harness.connection.id
    async with ctx.session_factory() as session, session.begin():
        await session.execute(
            update(ERPConnection).where(ERPConnection.id == cid).values(conflict_policies={"vendor": policy})
        )
    await service.import_vendors(cid)
    harness.clock.advance(600)
    [erp_id] = edit_vendors(harness, 1)
    ours = await _vendor_of(ctx, cid, erp_id)
    erp_terms = ours.payment_terms
    async with ctx.session_factory() as session, session.begin():  # a person edits it in SmartAP too
        await session.execute(
            update(Vendor)
            .where(Vendor.id == ours.id)
            .values(payment_terms="SmartAP terms", updated_at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
        )
    harness.clock.advance(60)
    report = await service.import_vendors(cid)
    assert report.conflict_count == 1
    after = await _vendor_of(ctx, cid, erp_id)
    conflict = await _scalar(ctx, select(ERPConflict).where(ERPConflict.erp_record_id == erp_id))
    if policy in ("erp_wins", "newest_wins"):  # newest: SmartAP's edit is dated 2020, the ERP's later
        assert after.payment_terms == erp_terms and after.name != "" and report.updated_count == 1
        assert (conflict.status, conflict.resolution) == (ConflictStatus.RESOLVED, "erp")
    elif policy == "smartap_wins":
        assert after.payment_terms == "SmartAP terms" and report.updated_count == 0
        assert (conflict.status, conflict.resolution) == (ConflictStatus.RESOLVED, "smartap")
    else:
        assert after.payment_terms == "SmartAP terms" and report.review_count == 1
        assert conflict.status == ConflictStatus.OPEN and conflict.erp_version["external_id"] == erp_id
        assert conflict.smartap_version["payment_terms"] == "SmartAP terms"
        assert [c.id for c in await service.handle_sync_conflicts(cid)] == [conflict.id]
        again = await service.import_vendors(cid)  # still open: refreshed, not duplicated
        assert again.review_count == 1 and len(await service.handle_sync_conflicts(cid)) == 1
        await service.resolve_conflict(conflict.id, "erp", resolved_by="ap@example.com")
        resolved = await _vendor_of(ctx, cid, erp_id)
        assert resolved.payment_terms == erp_terms
        assert await service.handle_sync_conflicts(cid) == []
    settled = await service.import_vendors(cid)  # whatever was decided, the next sync is quiet
    assert settled.conflict_count == 0 and settled.updated_count == 0


@SYSTEMS
async def test_a_bad_record_is_logged_and_the_rest_imported(ctx: SyncContext, system: ERPSystem) -> None:
    harness = await ErpHarness.start(system, ctx, vendors=8, purchase_orders=0, bills=0)
    async with ctx.connector(harness.connection) as erp:
        first = (await erp.import_vendors(limit=1)).data[0]
    bad_id = first.external_id
    async with ctx.session_factory() as session, session.begin():
        session.add(
            ERPFieldMapping(
                connection_id=harness.connection.id,
                entity_type=ERPEntity.VENDOR,
                smartap_field="name",
                erp_field="name",
                transformation_rule=f'record.external_id == "{bad_id}" ? "" : value',
                is_required=True,
            )
        )
    report = await ERPSyncService(ctx).import_vendors(harness.connection.id)
    assert report.status == SyncStatus.PARTIAL and report.error_count == 1
    assert report.created_count == report.total_count - 1 >= 7
    log = await _scalar(ctx, select(ERPSyncLog).where(ERPSyncLog.id == report.log_id))
    assert log.status == SyncStatus.PARTIAL and log.error_count == 1
    assert log.errors[0]["record_id"] == bad_id and "required" in log.errors[0]["message"]
    async with ctx.session_factory() as session:
        ids = set((await session.scalars(select(ERPVendorLink.erp_vendor_id))).all())
    assert bad_id not in ids and len(ids) == report.created_count


@SYSTEMS
async def test_auth_failure_stops_the_connection(ctx: SyncContext, system: ERPSystem) -> None:
    harness = await ErpHarness.start(system, ctx, vendors=3, purchase_orders=0, bills=0)
    cid = harness.connection.id
    async with ctx.session_factory() as session, session.begin():
        connection = await session.get(ERPConnection, cid)
        assert connection is not None
        creds = read_credentials(connection, vault=ctx.vault).to_dict()
        spoiled = {
            k: (
                f"revoked-{k}-0000"
                if k in ("access_token", "refresh_token", "password", "token_secret")
                else v
            )
            for k, v in creds.items()
        }
        assert await replace_credentials(
            session,
            vault=ctx.vault,
            connection_id=cid,
            expected_version=connection.credentials_version,
            credentials=spoiled,
        )
    service = ERPSyncService(ctx)
    with pytest.raises(ERPAuthError):
        await service.import_vendors(cid)
    async with ctx.session_factory() as session:
        connection = await session.get(ERPConnection, cid)
        log = await session.scalar(select(ERPSyncLog).where(ERPSyncLog.connection_id == cid))
    assert connection is not None and connection.status == ConnectionStatus.ERROR
    assert (connection.connection_error or "").startswith(("reconnect", "grant"))
    assert log is not None and log.status == SyncStatus.FAILED and log.error_message
    requests = harness.state()["requests"]["total"]
    with pytest.raises(ConnectionUnavailableError, match="in error"):
        await service.sync_connection(cid)
    assert harness.state()["requests"]["total"] == requests


async def test_a_cursor_older_than_the_change_window_reads_everything(
    ctx: SyncContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    system = available_systems()[0]
    harness = await ErpHarness.start(system, ctx, vendors=5, purchase_orders=0, bills=0)
    service = ERPSyncService(ctx)
    await service.import_vendors(harness.connection.id)
    cls = type(build_connector(system, harness.sim.credentials(), base_url="http://x.test"))
    monkeypatch.setattr(cls, "change_window", dt.timedelta(days=30))
    harness.clock.advance(3600)
    assert not (await service.import_vendors(harness.connection.id)).full_read
    harness.clock.advance(31 * 86400)
    late = await service.import_vendors(harness.connection.id)
    assert late.full_read and late.unchanged_count == late.total_count >= 5
