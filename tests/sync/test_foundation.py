"""The sync foundation on both databases: the DB token store, opening a stored connection, sync logs."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest
from cryptography.fernet import Fernet
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from erpsim.core import Clock, SimConfig
from erpsim.quickbooks import create_app
from smartap_erp.db.connections import create_connection, read_credentials, replace_credentials
from smartap_erp.db.models import ERPConnection
from smartap_erp.db.vault import CredentialVault, KeyRing
from smartap_erp.domain import ConnectionStatus, ERPEntity, ERPSystem, RecordError, SyncDirection, SyncStatus
from smartap_erp.errors import ERPAuthError
from smartap_erp.http import LimiterRegistry, Token
from smartap_erp.sync.connectors import open_connector
from smartap_erp.sync.context import SyncContext
from smartap_erp.sync.logs import auth_failure_message, finish_log, mark_auth_failure, start_log
from smartap_erp.sync.tokens import ConnectionTokenStore
from tests.sync.harness import ErpHarness, available_systems

Factory = async_sessionmaker[AsyncSession]
NOW = dt.datetime(2024, 6, 3, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def vault() -> CredentialVault:
    return CredentialVault(KeyRing([Fernet.generate_key()], "test"))


async def _connection(
    factory: Factory, vault: CredentialVault, credentials: dict, **fields: object
) -> ERPConnection:
    async with factory() as session:
        connection = await create_connection(
            session,
            vault=vault,
            name="Books",
            system_type=ERPSystem.QUICKBOOKS,
            credentials=credentials,
            **fields,
        )
        await session.commit()
        return connection


async def test_token_store_saves_rotation_and_keeps_other_fields(
    session_factory: Factory, vault: CredentialVault
) -> None:
    connection = await _connection(
        session_factory,
        vault,
        {"client_id": "c", "access_token": "a1xxxx", "refresh_token": "r1xxxx", "realm_id": "9"},
    )
    store = ConnectionTokenStore(session_factory, vault, connection.id)
    loaded = await store.load()
    assert (loaded.access_token, loaded.refresh_token) == ("a1xxxx", "r1xxxx")

    # Another writer changes the row in between (e.g. a person edits the realm): CAS re-reads and overlays.
    async with session_factory() as session, session.begin():
        await replace_credentials(
            session,
            vault=vault,
            connection_id=connection.id,
            expected_version=1,
            credentials={
                "client_id": "c2",
                "access_token": "a1xxxx",
                "refresh_token": "r1xxxx",
                "realm_id": "9",
            },
        )
    await store.save(Token("a2xxxx", "r2xxxx", NOW + dt.timedelta(hours=1)))

    async with session_factory() as session:
        stored = await session.get(ERPConnection, connection.id)
        assert stored is not None and stored.credentials_version == 3
        creds = read_credentials(stored, vault=vault)
    assert (creds["client_id"], creds["refresh_token"], creds["access_token"]) == ("c2", "r2xxxx", "a2xxxx")
    assert dt.datetime.fromisoformat(creds["access_token_expires_at"]) == NOW + dt.timedelta(hours=1)
    again = await store.load()
    assert again.expires_at == NOW + dt.timedelta(hours=1)


async def test_stored_quickbooks_connection_refreshes_into_the_database(
    session_factory: Factory, vault: CredentialVault, engine: AsyncEngine
) -> None:
    app = create_app(
        SimConfig(clock=Clock.fixed("2024-06-03T12:00:00+00:00"), vendors=5, purchase_orders=2, bills=1)
    )
    sim = app.state.sim
    creds = sim.credentials()
    connection = await _connection(session_factory, vault, creds, api_url="http://qbo.test")

    async def sleep(seconds: float) -> None:
        sim.clock.advance(seconds)

    def connector():  # type: ignore[no-untyped-def]
        return open_connector(
            connection,
            session_factory=session_factory,
            vault=vault,
            transport=httpx.ASGITransport(app=app),
            clock=sim.clock.time,
            sleep=sleep,
            limiters=LimiterRegistry(),
        )

    async with connector() as qbo:
        assert (await qbo.test_connection()).company_id == creds["realm_id"]
        sim.clock.advance(3601)
        assert (await qbo.import_vendors()).total_count == 5
    async with session_factory() as session:
        stored = await session.get(ERPConnection, connection.id)
        assert stored is not None
        rotated = read_credentials(stored, vault=vault)
    assert rotated["refresh_token"] != creds["refresh_token"]
    async with engine.connect() as conn:  # the new token is encrypted at rest like the old one
        raw = str((await conn.execute(text("SELECT credentials FROM erp_connections"))).scalar_one())
    assert rotated["refresh_token"] not in raw and rotated["access_token"] not in raw
    async with connector() as again:  # a new process picks the rotated pair from the database
        assert (await again.test_connection()).company_id == creds["realm_id"]


async def test_logs_and_connection_health(session_factory: Factory, vault: CredentialVault) -> None:
    connection = await _connection(session_factory, vault, {"access_token": "x", "refresh_token": "y"})
    async with session_factory() as session:
        conn = await session.get(ERPConnection, connection.id)
        assert conn is not None
        partial = await start_log(
            session,
            conn,
            entity=ERPEntity.VENDOR,
            direction=SyncDirection.IMPORT,
            params={"since": None},
            triggered_by="ap@example.com",
            now=NOW,
        )
        finish_log(
            partial,
            conn,
            total=3,
            succeeded=2,
            now=NOW + dt.timedelta(seconds=7),
            errors=[RecordError(record_id="56", field="email", message="not an email")],
        )
        clean = await start_log(
            session, conn, entity=ERPEntity.VENDOR, direction=SyncDirection.IMPORT, now=NOW
        )
        finish_log(clean, conn, total=3, succeeded=3, errors=[], now=NOW)
        stopped = await start_log(
            session, conn, entity=ERPEntity.INVOICE, direction=SyncDirection.EXPORT, now=NOW
        )
        finish_log(stopped, conn, total=10, succeeded=4, errors=[], now=NOW, error_message="ERP unavailable")
        refused = ERPAuthError(
            "token refresh refused", erp=ERPSystem.QUICKBOOKS, code="invalid_grant", message="Token invalid"
        )
        mark_auth_failure(conn, refused)
        await session.commit()
    assert (partial.status, partial.error_count, partial.duration_seconds) == (SyncStatus.PARTIAL, 1, 7)
    assert partial.errors == [
        {"record_id": "56", "field": "email", "message": "not an email", "code": None, "kind": "validation"}
    ]
    assert (partial.error_kind, clean.error_kind, stopped.error_kind) == ("validation", None, "internal")
    assert clean.status == SyncStatus.COMPLETED and stopped.status == SyncStatus.PARTIAL
    assert conn.status == ConnectionStatus.ERROR and conn.last_sync_at == NOW
    assert conn.connection_error == (
        "reconnect QuickBooks Online: its authorisation was refused (Token invalid)"
    )
    assert auth_failure_message(ERPSystem.XERO, refused).startswith("reconnect Xero")


@pytest.mark.parametrize("system", available_systems())
async def test_harness_reaches_every_simulator_through_a_stored_connection(
    session_factory: Factory, vault: CredentialVault, system: ERPSystem
) -> None:
    ctx = SyncContext(session_factory, vault, now=lambda: NOW)
    harness = await ErpHarness.start(system, ctx, vendors=4)
    async with ctx.connector(harness.connection) as erp:
        info = await erp.test_connection()
        vendors = await erp.import_vendors()
    assert info.company_name and vendors.total_count >= 1
    assert harness.state()["requests"]["total"] >= 2
