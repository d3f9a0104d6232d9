"""An incremental sync after which nothing changed in the ERP (issue 17): one read request per stream
(plus the removal feed's, sync/imports/deletions.py) and not one row written to the synced tables,
judged from the simulator's request log and from every SQL statement the engine sent. Every available
simulator, SQLite and PostgreSQL."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from smartap_erp.db.vault import CredentialVault, KeyRing
from smartap_erp.domain import ERPSystem, SyncStatus
from smartap_erp.sync.context import SyncContext
from smartap_erp.sync.service import ERPSyncService
from tests.sync.harness import ErpHarness, available_systems

SYNCED = (
    "vendors",
    "erp_vendor_mappings",
    "purchase_orders",
    "purchase_order_lines",
    "erp_po_mappings",
    "erp_conflicts",
)
RUN_TABLES = {"erp_sync_logs", "erp_sync_log_exchanges", "erp_sync_cursors", "erp_connections", "erp_events"}
WRITE = re.compile(r"^\s*(INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+\"?(\w+)", re.IGNORECASE)
# Every request of a no-change incremental run, by the last part of its path: the read (one per
# stream; QuickBooks' COUNT, which finds nothing, is its whole read), the removal feed's
# (sync/imports/deletions.py: QuickBooks CDC, SAP's supplier key list, NetSuite's SuiteQL) and SAP's
# Service Layer session (Login, Logout: sap.md §Sessions).
EXPECTED = {
    (ERPSystem.QUICKBOOKS, "vendors"): ["query", "cdc"],
    (ERPSystem.QUICKBOOKS, "purchase orders"): ["query", "cdc"],
    (ERPSystem.XERO, "vendors"): ["Contacts"],
    (ERPSystem.XERO, "purchase orders"): ["PurchaseOrders"],
    (ERPSystem.SAP, "vendors"): ["Login", "BusinessPartners", "BusinessPartners", "Logout"],
    (ERPSystem.SAP, "purchase orders"): ["Login", "PurchaseOrders", "Logout"],
    (ERPSystem.NETSUITE, "vendors"): ["restlet.nl", "suiteql"],
    (ERPSystem.NETSUITE, "purchase orders"): ["restlet.nl", "suiteql"],
}


@contextmanager
def table_writes(engine: AsyncEngine) -> Iterator[list[str]]:
    """The tables of every INSERT, UPDATE and DELETE the engine sends inside the block."""
    seen: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        found = WRITE.match(statement)
        if found:
            seen.append(found.group(2).lower())

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)


@pytest.fixture
def ctx(session_factory: async_sessionmaker[AsyncSession]) -> SyncContext:
    return SyncContext(session_factory, CredentialVault(KeyRing([Fernet.generate_key()], "test")))


@pytest.mark.parametrize("system", available_systems())
async def test_no_change_means_one_request_per_stream_and_no_row_written(
    ctx: SyncContext, engine: AsyncEngine, system: ERPSystem
) -> None:
    harness = await ErpHarness.start(system, ctx, vendors=25, purchase_orders=8, bills=0)
    service = ERPSyncService(ctx)
    first = await service.import_vendors(harness.connection.id)
    orders = await service.import_purchase_orders(harness.connection.id)
    assert first.created_count >= 25 and orders.created_count >= 8  # something to compare against
    harness.clock.advance(600)
    for entity, run in (
        ("vendors", service.import_vendors),
        ("purchase orders", service.import_purchase_orders),
    ):
        before = harness.state()["requests"]["total"]
        with table_writes(engine) as writes:
            report = await run(harness.connection.id)
        paths = [r["path"].rsplit("/", 1)[-1] for r in harness.sim.state(include_log=True)["log"][before:]]
        assert report.status == SyncStatus.COMPLETED and not report.full_read, entity
        assert paths == EXPECTED[(system, entity)], (entity, paths)
        assert (report.created_count, report.updated_count, report.error_count) == (0, 0, 0), entity
        assert [t for t in writes if t in SYNCED] == [], entity
        # what an incremental run does write: its log, its HTTP exchanges, its cursor, its event
        assert set(writes) <= RUN_TABLES, (entity, writes)
