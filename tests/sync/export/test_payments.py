"""Payment-status sync against every available simulator, on SQLite and PostgreSQL: statuses follow
unpaid -> partial -> paid, and the change feed keeps the request count flat as open bills grow."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from smartap_erp.db.models import ERPSyncCursor, ERPSyncLog
from smartap_erp.db.vault import CredentialVault
from smartap_erp.domain import ERPEntity, ERPSystem, InvoiceStatus, PaymentStatus, SyncStatus
from smartap_erp.sync.export.run import export_invoices
from smartap_erp.sync.payments.run import sync_payment_statuses
from tests.sync.export.helpers import Factory, add_invoices, invoice_statuses, mappings, pay, start
from tests.sync.harness import available_systems

pytestmark = pytest.mark.parametrize("system", available_systems())
NO_FEED: set[ERPSystem] = set()  # every connector reads payment status in bounded batches now


def _requests(world: object) -> int:
    return int(world.harness.state()["requests"]["total"])  # type: ignore[attr-defined]


async def test_statuses_follow_unpaid_partial_paid(
    system: ERPSystem, session_factory: Factory, vault: CredentialVault
) -> None:
    world = await start(system, session_factory, vault)
    invoices = await add_invoices(world, 2)  # 100.00 and 101.00
    ids = [i.id for i in invoices]
    await export_invoices(world.ctx, world.connection_id, ids)
    bills = {
        m.smartap_invoice_id: m.erp_invoice_id for m in await mappings(session_factory, world.connection_id)
    }
    first, second = bills[ids[0]], bills[ids[1]]

    world.harness.clock.advance(60)
    report = await sync_payment_statuses(world.ctx, world.connection_id, triggered_by="scheduler")
    assert (report.total_count, report.updated_count, report.status) == (2, 0, SyncStatus.COMPLETED)
    assert report.used_change_feed is (system not in NO_FEED)

    world.harness.clock.advance(60)
    pay(world.harness, first, Decimal("40.00"))
    world.harness.clock.advance(60)
    report = await sync_payment_statuses(world.ctx, world.connection_id)
    assert (report.updated_count, report.unchanged_count) == (1, 1)
    rows = {m.erp_invoice_id: m for m in await mappings(session_factory, world.connection_id)}
    assert (rows[first].payment_status, rows[first].payment_amount) == (PaymentStatus.PARTIAL, 4000)
    assert rows[first].payment_currency == world.currency and rows[first].payment_synced_at == world.ctx.now()
    assert (rows[second].payment_status, rows[second].payment_amount) == (PaymentStatus.UNPAID, 0)
    statuses = await invoice_statuses(session_factory, ids)
    assert (statuses[ids[0]], statuses[ids[1]]) == (InvoiceStatus.PARTIALLY_PAID, InvoiceStatus.EXPORTED)

    world.harness.clock.advance(60)
    pay(world.harness, first, Decimal("60.00"))
    world.harness.clock.advance(60)
    report = await sync_payment_statuses(world.ctx, world.connection_id)
    assert report.updated_count == 1
    rows = {m.erp_invoice_id: m for m in await mappings(session_factory, world.connection_id)}
    assert (rows[first].payment_status, rows[first].payment_amount) == (PaymentStatus.PAID, 10000)
    statuses = await invoice_statuses(session_factory, ids)
    assert (statuses[ids[0]], statuses[ids[1]]) == (InvoiceStatus.PAID, InvoiceStatus.EXPORTED)

    world.harness.clock.advance(60)
    report = await sync_payment_statuses(world.ctx, world.connection_id)  # the paid bill is not read again
    assert (report.total_count, report.updated_count) == (1, 0)
    async with session_factory() as session:
        cursor = await session.scalar(
            select(ERPSyncCursor).where(
                ERPSyncCursor.connection_id == world.connection_id,
                ERPSyncCursor.entity_type == ERPEntity.PAYMENT,
            )
        )
        assert cursor is not None and cursor.cursor_time == world.ctx.now()
        logs = list(
            await session.scalars(select(ERPSyncLog).where(ERPSyncLog.entity_type == ERPEntity.PAYMENT))
        )
        assert len(logs) == 4 and {log.status for log in logs} == {SyncStatus.COMPLETED}
        assert {log.triggered_by for log in logs} == {"system", "scheduler"}


async def test_change_feed_requests_do_not_grow_with_open_bills(
    system: ERPSystem, session_factory: Factory, vault: CredentialVault
) -> None:
    if system in NO_FEED:
        pytest.skip(f"{system} has no payment change feed in its connector: bills are read one by one")
    world = await start(system, session_factory, vault)

    async def cost_of_sync(open_bills: int) -> int:
        invoices = await add_invoices(
            world, open_bills - len(await mappings(session_factory, world.connection_id))
        )
        await export_invoices(world.ctx, world.connection_id, [i.id for i in invoices])
        world.harness.clock.advance(60)
        await sync_payment_statuses(world.ctx, world.connection_id)  # every bill's status is now known
        bill = (await mappings(session_factory, world.connection_id))[0].erp_invoice_id
        world.harness.clock.advance(60)
        pay(world.harness, bill, Decimal("1.00"))
        world.harness.clock.advance(60)
        before = _requests(world)
        report = await sync_payment_statuses(world.ctx, world.connection_id)
        assert report.used_change_feed and report.read_one_by_one == 0
        assert (report.total_count, report.updated_count) == (open_bills, 1)
        return _requests(world) - before

    few, many = await cost_of_sync(2), await cost_of_sync(14)
    assert few == many and many < 14
