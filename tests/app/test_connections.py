"""The connections application functions on SQLite and PostgreSQL (issue 13 item 2): create, update,
list, get, remove, unique names as `ConflictError`, credentials never in a model's repr or JSON, the
health of a connection (status, problem, credential fields set, newest log, open conflicts), and a
connection test against a QuickBooks simulator that makes the connection active, or, refused, puts
it in error with what to do."""

from __future__ import annotations

import datetime as dt

import pytest
from cryptography.fernet import Fernet
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from smartap_erp.app import connections
from smartap_erp.app.connection_health import connection_health
from smartap_erp.app.connections import ConnectionCreate, ConnectionUpdate
from smartap_erp.db.connections import read_credentials
from smartap_erp.db.models import ERPConflict, ERPConnection
from smartap_erp.domain.enums import ConnectionStatus, ERPEntity, ERPSystem, SyncDirection, SyncStatus
from smartap_erp.errors import ConfigurationError, ConflictError, ERPAuthError
from smartap_erp.sync.logs import finish_log, start_log
from tests.app.simulated import T0, SimulatedApp, sim_credentials, simulated_app
from tests.sync.harness import ErpHarness

SECRET = "client-secret-value-123"
CREDENTIALS = {
    "client_id": "cid",
    "client_secret": SECRET,
    "realm_id": "4620816365",
    "access_token": "access-token-value",
    "refresh_token": "refresh-token-value",
}


@pytest.fixture
def ctx(engine: AsyncEngine, session_factory: async_sessionmaker[AsyncSession]) -> SimulatedApp:
    return simulated_app(engine, session_factory)


def create(name: str, **fields: object) -> ConnectionCreate:
    return ConnectionCreate.model_validate(
        {"system": "quickbooks", "name": name, "credentials": CREDENTIALS, **fields}
    )


async def test_create_list_get_and_remove(ctx: SimulatedApp) -> None:
    request = create("Books", conflict_policies={"vendor": "erp_wins"}, interval_minutes=15)
    assert SECRET not in repr(request) and SECRET not in request.model_dump_json()

    made = await connections.create_connection(ctx, request)
    await connections.create_connection(ctx, create("Archive", auto_sync=False))

    assert (made.name, made.system, made.status) == ("Books", ERPSystem.QUICKBOOKS, ConnectionStatus.PENDING)
    assert (made.interval_minutes, made.conflict_policies) == (15, {"vendor": "erp_wins"})
    assert [c.name for c in await connections.list_connections(ctx)] == ["Archive", "Books"]
    detail = await connections.get_connection(ctx, str(made.id))
    assert detail.credentials_set == sorted(CREDENTIALS) and detail.name == "Books"
    assert SECRET not in detail.model_dump_json()

    removed = await connections.remove_connection(ctx, "Books")
    assert removed.id == made.id
    with pytest.raises(ConfigurationError, match="no connection named or with id 'Books'"):
        await connections.get_connection(ctx, "Books")
    assert [c.name for c in await connections.list_connections(ctx)] == ["Archive"]


async def test_names_are_unique_on_create_and_update(ctx: SimulatedApp) -> None:
    await connections.create_connection(ctx, create("Books"))
    other = await connections.create_connection(ctx, create("Other"))

    with pytest.raises(ConflictError, match="a connection named 'Books' already exists"):
        await connections.create_connection(ctx, create("Books"))
    with pytest.raises(ConflictError, match="'Books' already exists"):
        await connections.update_connection(ctx, "Other", ConnectionUpdate(name="Books"))
    renamed = await connections.update_connection(ctx, "Other", ConnectionUpdate(name=" Other "))
    assert renamed.id == other.id and renamed.name == "Other"  # its own name, stripped, is free
    assert len(await connections.list_connections(ctx)) == 2


async def test_update_changes_in_place_and_new_credentials_wait_for_a_test(ctx: SimulatedApp) -> None:
    made = await connections.create_connection(ctx, create("Books", conflict_policies={"vendor": "manual"}))
    async with ctx.sessions() as session:  # the connection had failed: new credentials are the fix
        stored = await session.get(ERPConnection, made.id)
        assert stored is not None
        stored.status, stored.connection_error = ConnectionStatus.ERROR, "reconnect QuickBooks"
        await session.commit()

    update = ConnectionUpdate.model_validate(
        {
            "name": "Books US",
            "credentials": {**CREDENTIALS, "environment": "sandbox"},
            "api_url": "http://127.0.0.1:9",
            "auto_sync": False,
            "conflict_policies": {"purchase_order": "erp_wins"},
        }
    )
    assert SECRET not in repr(update) and not update.changes_nothing
    after = await connections.update_connection(ctx, str(made.id), update)

    assert after.id == made.id and after.name == "Books US" and after.api_url == "http://127.0.0.1:9"
    assert (after.auto_sync, after.interval_minutes) == (False, 60)
    assert after.conflict_policies == {"vendor": "manual", "purchase_order": "erp_wins"}
    assert (after.status, after.error) == (ConnectionStatus.PENDING, None)
    assert "environment" in (await connections.get_connection(ctx, "Books US")).credentials_set
    assert ConnectionUpdate().changes_nothing


async def test_merged_credentials_keep_the_fields_not_given(ctx: SimulatedApp) -> None:
    made = await connections.create_connection(ctx, create("Books"))
    changes = ConnectionUpdate.model_validate({"credentials": {"client_secret": "new-secret"}})
    with pytest.raises(ConfigurationError, match="quickbooks needs"):  # given alone, they replace
        await connections.update_connection(ctx, "Books", changes)
    await connections.update_connection(ctx, "Books", changes, merge_credentials=True)
    async with ctx.sessions() as session:
        stored = await session.get(ERPConnection, made.id)
        assert stored is not None
        merged = dict(read_credentials(stored, vault=ctx.vault))
    assert merged == {**CREDENTIALS, "client_secret": "new-secret"}


def test_inputs_are_checked_by_their_models() -> None:
    with pytest.raises(ValidationError, match="interval_minutes"):
        create("Books", interval_minutes=0)
    with pytest.raises(ValidationError, match="conflict_policies"):
        create("Books", conflict_policies={"invoice": "erp_wins"})
    with pytest.raises(ValidationError, match="name"):
        create("")


async def test_health_says_what_is_wrong_and_what_ran_last(ctx: SimulatedApp) -> None:
    made = await connections.create_connection(ctx, create("Books"))
    fresh = await connection_health(ctx, "Books")
    assert fresh.healthy and fresh.problem is None and fresh.last_sync is None
    assert fresh.credentials_set == sorted(CREDENTIALS) and fresh.open_conflicts == 0

    async with ctx.sessions() as session:
        stored = await session.get(ERPConnection, made.id)
        assert stored is not None
        for minute, stopped in enumerate((None, "QuickBooks unreachable")):
            log = await start_log(
                session,
                stored,
                entity=ERPEntity.VENDOR,
                direction=SyncDirection.IMPORT,
                now=T0 + dt.timedelta(minutes=minute),
            )
            end = T0 + dt.timedelta(minutes=minute, seconds=5)
            finish_log(
                log, stored, total=3, succeeded=0 if stopped else 3, errors=[], now=end, error_message=stopped
            )
        session.add_all(
            ERPConflict(
                connection_id=made.id,
                entity_type=ERPEntity.VENDOR,
                erp_record_id=str(n),
                smartap_version={"name": "a"},
                erp_version={"name": "b"},
            )
            for n in range(2)
        )
        stored.status, stored.connection_error = ConnectionStatus.ERROR, "reconnect QuickBooks: refused"
        await session.commit()

    health = await connection_health(ctx, str(made.id))
    assert not health.healthy and health.problem == "reconnect QuickBooks: refused"
    assert health.last_sync is not None and health.last_sync.started_at == T0 + dt.timedelta(minutes=1)
    assert health.last_sync.status == SyncStatus.FAILED and health.open_conflicts == 2
    assert health.last_sync.error_message == "QuickBooks unreachable"


async def test_health_of_credentials_the_keys_cannot_read(
    ctx: SimulatedApp, engine: AsyncEngine, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    await connections.create_connection(ctx, create("Books"))
    other_keys = simulated_app(engine, session_factory, key=Fernet.generate_key())

    health = await connection_health(other_keys, "Books")

    assert not health.healthy and health.credentials_set == []
    assert health.problem is not None and "decrypt" in health.problem


async def test_a_connection_test_reaches_the_erp_and_a_refusal_marks_the_connection(
    ctx: SimulatedApp,
) -> None:
    assert ctx.sync is not None
    harness = await ErpHarness.start(ERPSystem.QUICKBOOKS, ctx.sync, name="Books", vendors=1)
    creds = harness.sim.credentials()

    info = await connections.test_connection(ctx, "Books")

    assert info.company_id == creds["realm_id"]
    shown = await connections.find_connection(ctx, "Books")
    assert shown.status == ConnectionStatus.ACTIVE and shown.last_connected_at == info.checked_at

    revoked = {**creds, "access_token": "expired-token", "refresh_token": "revoked-token"}
    await connections.update_connection(
        ctx, "Books", ConnectionUpdate.model_validate({"credentials": revoked})
    )
    with pytest.raises(ERPAuthError):
        await connections.test_connection(ctx, "Books")
    failed = await connection_health(ctx, "Books")
    assert failed.connection.status == ConnectionStatus.ERROR and not failed.healthy
    assert failed.problem is not None and failed.problem.startswith("reconnect QuickBooks")
    assert "revoked-token" not in failed.model_dump_json()


async def test_credentials_pass_the_providers_checks_and_fill_its_columns(ctx: SimulatedApp) -> None:
    partial = {key: value for key, value in CREDENTIALS.items() if key != "realm_id"}
    with pytest.raises(ConfigurationError, match="quickbooks needs realm_id"):
        await connections.create_connection(ctx, create("Books", credentials=partial))
    assert await connections.list_connections(ctx) == []

    xero = sim_credentials("xero")
    made = await connections.create_connection(
        ctx, ConnectionCreate.model_validate({"system": "xero", "name": "Xero", "credentials": xero})
    )
    async with ctx.sessions() as session:
        stored = await session.get(ERPConnection, made.id)
        assert stored is not None and stored.tenant_id == xero["tenant_id"]
    bad = ConnectionUpdate.model_validate({"credentials": {"x": "y"}})
    with pytest.raises(ConfigurationError, match="xero needs"):
        await connections.update_connection(ctx, "Xero", bad)
