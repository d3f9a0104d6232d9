"""A real import records its HTTP exchanges with its sync log, through the transport stack every
connector is built on (no recording transport given by the test), on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from smartap_erp.app import logs
from smartap_erp.domain.enums import ERPSystem
from smartap_erp.sync.service import ERPSyncService
from tests.app.simulated import SimulatedApp, simulated_app
from tests.sync.harness import ErpHarness


@pytest.fixture
def ctx(engine: AsyncEngine, session_factory: async_sessionmaker[AsyncSession]) -> SimulatedApp:
    return simulated_app(engine, session_factory)


async def test_a_vendor_import_keeps_each_request_it_made(ctx: SimulatedApp) -> None:
    assert ctx.sync is not None
    harness = await ErpHarness.start(
        ERPSystem.QUICKBOOKS, ctx.sync, name="Books", vendors=3, purchase_orders=0, bills=0
    )
    report = await ERPSyncService(ctx.sync).import_vendors(harness.connection.id)
    assert report.log_id is not None

    detail = await logs.get_log(ctx, report.log_id)

    assert detail.exchanges, "the run's requests were not recorded"
    assert all(e.method == "GET" and e.status == 200 for e in detail.exchanges)
    assert all("/v3/company/" in e.url for e in detail.exchanges)
    assert [e.seq for e in detail.exchanges] == sorted(e.seq for e in detail.exchanges)
    assert not any(harness.sim.credentials()["access_token"] in e.url for e in detail.exchanges)
