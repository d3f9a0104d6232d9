"""A connection to the fifth ERP is stored and opened like any other (SQLite and PostgreSQL), and the
token store follows the provider's auth kind: an OAuth 2.0 ERP's rotated refresh token is saved in
the connection row (one kept in memory would be lost on restart); a session-login ERP gets none."""

from __future__ import annotations

import httpx
import pytest
from cryptography.fernet import Fernet
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from erpsim.core import Clock, SimConfig
from smartap_erp.connectors import ERPProvider
from smartap_erp.db.connections import create_connection, read_credentials
from smartap_erp.db.models import ERPConnection
from smartap_erp.db.vault import CredentialVault, KeyRing
from smartap_erp.domain.enums import ERPSystem
from smartap_erp.http import LimiterRegistry
from smartap_erp.sync.connectors import open_connector
from smartap_erp.sync.tokens import ConnectionTokenStore
from tests.fifth_erp.simulator import create_app

Factory = async_sessionmaker[AsyncSession]


@pytest.fixture
def vault() -> CredentialVault:
    return CredentialVault(KeyRing([Fernet.generate_key()], "test"))


async def _stored(
    factory: Factory, vault: CredentialVault, system: str, credentials: dict[str, str], **columns: str
) -> ERPConnection:
    async with factory() as session:
        connection = await create_connection(
            session,
            vault=vault,
            name=f"{system} books",
            system_type=ERPSystem(system),
            credentials=credentials,
            api_url=f"http://{system}.test",
            **columns,
        )
        await session.commit()
        return connection


async def test_a_fifth_erp_connection_is_stored_opened_and_keeps_its_rotated_tokens(
    session_factory: Factory, vault: CredentialVault, fifth_erp: ERPProvider
) -> None:
    app = create_app(SimConfig(vendors=3, purchase_orders=1, clock=Clock.fixed("2024-06-03T12:00:00+00:00")))
    sim = app.state.sim
    connection = await _stored(session_factory, vault, "ledgerly", sim.credentials())

    async def sleep(seconds: float) -> None:
        sim.clock.advance(seconds)

    ledgerly = open_connector(
        connection,
        session_factory=session_factory,
        vault=vault,
        transport=httpx.ASGITransport(app=app),
        clock=sim.clock.time,
        sleep=sleep,
        limiters=LimiterRegistry(),
    )
    assert isinstance(ledgerly.options.token_store, ConnectionTokenStore)
    sim.expire_credentials()  # the next call gets a 401, refreshes, and the refresh token rotates
    async with ledgerly:
        assert (await ledgerly.test_connection()).company_name == "Ledgerly Test Co"
    async with session_factory() as session:
        stored = await session.get(ERPConnection, connection.id)
        assert stored is not None and stored.system_type == "ledgerly"
        saved = read_credentials(stored, vault=vault)
    assert saved["refresh_token"] == sim.refresh != sim.credentials()["refresh_token"]


async def test_a_session_login_erp_gets_no_token_store_and_its_column_back(
    session_factory: Factory, vault: CredentialVault
) -> None:
    # The seed keeps SAP's company database as a column too: the provider names it, so a connection
    # whose credentials lack it gets it back from the column.
    credentials = {"username": "manager", "password": "pw"}
    connection = await _stored(session_factory, vault, "sap", credentials, company_db="SBODEMOUS")
    sap = open_connector(connection, session_factory=session_factory, vault=vault, limiters=LimiterRegistry())
    async with sap:
        assert sap.options.token_store is None
        assert sap.credentials["company_db"] == "SBODEMOUS"
