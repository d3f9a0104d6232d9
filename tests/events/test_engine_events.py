"""Events raised by the sync engine where things happen, on SQLite and PostgreSQL: a real export
against the QuickBooks simulator raises invoice.exported per bill and sync.completed for its log; an
authorisation refused raises sync.failed and connection.broken; a recovery connection.recovered; a
conflict left to a person conflict.created, a policy-settled one nothing; a refused export
invoice.export_failed. Each in the transaction of the change it reports."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from smartap_erp.app import connections
from smartap_erp.db.connections import read_credentials, replace_credentials
from smartap_erp.db.models import ERPConnection, ERPEvent
from smartap_erp.db.vault import CredentialVault
from smartap_erp.domain import ConnectionStatus, ERPEntity, ERPSystem, InvoiceStatus
from smartap_erp.errors import ERPAuthError
from smartap_erp.events import engine as raised
from smartap_erp.settings import Settings
from smartap_erp.sync.export import store
from smartap_erp.sync.export.run import export_invoices
from smartap_erp.sync.imports.planning import Action, ConflictRecord, Policy, write_conflicts
from smartap_erp.sync.payments.run import sync_payment_statuses
from tests.app.simulated import SimulatedApp
from tests.db import factories
from tests.sync.export.helpers import Factory, add_invoices, mappings, pay, start

T0 = dt.datetime(2026, 3, 1, 12, tzinfo=dt.UTC)


@pytest.fixture
def vault() -> CredentialVault:
    from cryptography.fernet import Fernet

    from smartap_erp.db.vault import KeyRing

    return CredentialVault(KeyRing([Fernet.generate_key()], "test"))


async def _events(factory: Factory) -> list[ERPEvent]:
    async with factory() as session:
        return list(await session.scalars(select(ERPEvent).order_by(ERPEvent.occurred_at, ERPEvent.type)))


def _of(events: list[ERPEvent], type_: str) -> list[dict[str, Any]]:
    return [e.data for e in events if e.type == type_]


async def test_a_real_export_raises_invoice_exported_and_sync_completed(
    session_factory: Factory, vault: CredentialVault
) -> None:
    world = await start(ERPSystem.QUICKBOOKS, session_factory, vault)
    approved = await add_invoices(world, 2)
    draft = await add_invoices(world, 1, status=InvoiceStatus.DRAFT, prefix="DRAFT")
    report = await export_invoices(world.ctx, world.connection_id, [i.id for i in approved + draft])
    assert report.success_count == 2
    events = await _events(session_factory)
    assert {e.connection_id for e in events} == {world.connection_id}
    exported = sorted(_of(events, "invoice.exported"), key=lambda d: d["invoice_number"])
    expected = sorted(approved, key=lambda i: i.invoice_number)
    assert [d["invoice_id"] for d in exported] == [str(i.id) for i in expected]
    assert [d["total"] for d in exported] == [
        {"amount": f"{i.total_minor // 100}.{i.total_minor % 100:02d}", "currency": world.currency}
        for i in expected
    ]
    assert all(d["erp_bill_id"] and d["created"] is True for d in exported)
    [completed] = _of(events, "sync.completed")
    assert completed["sync_log_id"] == str(report.log_id)
    assert (completed["entity"], completed["direction"], completed["status"]) == (
        "invoice",
        "export",
        "partial",
    )
    assert (completed["success_count"], completed["error_count"]) == (2, 1)
    assert _of(events, "sync.failed") == [] and _of(events, "invoice.export_failed") == []


async def test_a_refused_authorisation_raises_sync_failed_and_connection_broken(
    session_factory: Factory, vault: CredentialVault
) -> None:
    world = await start(ERPSystem.QUICKBOOKS, session_factory, vault)
    invoices = await add_invoices(world, 1)
    async with session_factory() as session, session.begin():
        stored = await session.get(ERPConnection, world.connection_id)
        assert stored is not None
        creds = read_credentials(stored, vault=vault).to_dict()
        broken = {
            k: (f"wrong-{v}" if k in ("access_token", "refresh_token") else v) for k, v in creds.items()
        }
        await replace_credentials(
            session,
            vault=vault,
            connection_id=world.connection_id,
            expected_version=stored.credentials_version,
            credentials=broken,
        )
    with pytest.raises(ERPAuthError):
        await export_invoices(world.ctx, world.connection_id, [invoices[0].id])
    events = await _events(session_factory)
    [failed] = _of(events, "sync.failed")
    assert failed["status"] == "failed" and failed["error_kind"] == "auth"
    [broken_event] = _of(events, "connection.broken")
    assert broken_event["status"] == "error" and broken_event["error"].startswith("reconnect")
    for secret in (creds["access_token"], creds["refresh_token"]):
        assert all(secret not in str(e.data) for e in events)


async def test_recovery_is_raised_only_when_leaving_error(session_factory: Factory) -> None:
    async with session_factory() as session, session.begin():
        conn = factories.connection("Books")
        conn.status = ConnectionStatus.PENDING
        session.add(conn)
        await session.flush()
        conn.status = ConnectionStatus.ACTIVE
        raised.connection_status(conn, ConnectionStatus.PENDING)  # a first connection: nothing
        conn.status = ConnectionStatus.ERROR
        raised.connection_status(conn, ConnectionStatus.ERROR)  # unchanged: nothing
        conn.status = ConnectionStatus.ACTIVE
        raised.connection_status(conn, ConnectionStatus.ERROR)
    events = await _events(session_factory)
    assert [(e.type, e.data["status"]) for e in events] == [("connection.recovered", "active")]


async def test_conflicts_left_to_a_person_raise_conflict_created(session_factory: Factory) -> None:
    def record(erp_id: str, action: Action) -> ConflictRecord:
        return ConflictRecord(erp_id, None, {"name": "Ours"}, {"name": "Theirs"}, action, Policy.MANUAL)

    async with session_factory() as session, session.begin():
        conn = factories.connection()
        session.add(conn)
        await session.flush()
        connection_id = conn.id
        await write_conflicts(
            session,
            conn.id,
            ERPEntity.VENDOR,
            [record("V-1", Action.REVIEW), record("V-2", Action.APPLY)],
            T0,
        )
    async with session_factory() as session, session.begin():  # the same open conflict again: refreshed
        await write_conflicts(session, connection_id, ERPEntity.VENDOR, [record("V-1", Action.REVIEW)], T0)
    [created] = _of(await _events(session_factory), "conflict.created")
    assert (created["entity"], created["erp_record_id"]) == ("vendor", "V-1")
    uuid.UUID(created["conflict_id"])


async def test_an_export_refused_raises_export_failed_iff_committed(session_factory: Factory) -> None:
    async with session_factory() as session, session.begin():
        conn = factories.connection()
        session.add(conn)
        await session.flush()
        connection_id = conn.id
    invoice_id = uuid.uuid4()
    async with session_factory() as session:
        await store.mark_failed(session, connection_id, [(invoice_id, "Duplicate Document Number")], T0)
        await session.rollback()
    assert await _events(session_factory) == []
    async with session_factory() as session, session.begin():
        await store.mark_failed(session, connection_id, [(invoice_id, "Duplicate Document Number")], T0)
    [failed] = _of(await _events(session_factory), "invoice.export_failed")
    assert failed == {"invoice_id": str(invoice_id), "reason": "Duplicate Document Number"}


async def test_a_payment_in_the_erp_raises_invoice_payment_changed(
    session_factory: Factory, vault: CredentialVault
) -> None:
    world = await start(ERPSystem.QUICKBOOKS, session_factory, vault)
    [invoice] = await add_invoices(world, 1)  # 100.00
    await export_invoices(world.ctx, world.connection_id, [invoice.id])
    [link] = await mappings(session_factory, world.connection_id)
    world.harness.clock.advance(60)
    await sync_payment_statuses(world.ctx, world.connection_id)  # nothing paid yet: no change event
    assert _of(await _events(session_factory), "invoice.payment_changed") == []
    world.harness.clock.advance(60)
    pay(world.harness, link.erp_invoice_id, Decimal("40.00"))
    world.harness.clock.advance(60)
    await sync_payment_statuses(world.ctx, world.connection_id)
    [changed] = _of(await _events(session_factory), "invoice.payment_changed")
    assert changed == {
        "invoice_id": str(invoice.id),
        "erp_bill_id": link.erp_invoice_id,
        "previous_status": "unpaid",
        "status": "partial",
        "paid": {"amount": "40.00", "currency": world.currency},
        "previous_paid": {"amount": "0.00", "currency": world.currency},
    }


async def test_a_successful_test_of_a_broken_connection_raises_connection_recovered(
    engine: AsyncEngine, session_factory: Factory, vault: CredentialVault
) -> None:
    world = await start(ERPSystem.QUICKBOOKS, session_factory, vault)
    app = SimulatedApp(Settings(database_url="sqlite+aiosqlite://"), engine, session_factory, sync=world.ctx)
    async with session_factory() as session, session.begin():
        stored = await session.get(ERPConnection, world.connection_id)
        assert stored is not None
        stored.status, stored.connection_error = ConnectionStatus.ERROR, "reconnect QuickBooks"
    await connections.test_connection(app, str(world.connection_id))
    await connections.test_connection(app, str(world.connection_id))  # active already: nothing more
    events = await _events(session_factory)
    assert [(e.type, e.connection_id) for e in events] == [("connection.recovered", world.connection_id)]
