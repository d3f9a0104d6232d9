"""`keys rotate` covers every vault-encrypted column, on SQLite and PostgreSQL: a connection, an event
subscription and an OAuth flow in progress made under key A still work after key B is put first, the
rotation runs and key A is removed (the connection reaches the ERP, a delivery is signed with the
subscription's secret, the flow's secrets open); a second rotation changes nothing; a row no key opens
is named by table and id (never its content) while the others are rotated; a row rewritten between
the rotation's read and write keeps the newer value; and a new encrypted column cannot be added
without joining the rotation registry."""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import LargeBinary, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from standardwebhooks.webhooks import Webhook

from smartap_erp.app import connections, keys, oauth
from smartap_erp.app import events as app_events
from smartap_erp.app.events import SubscriptionCreate
from smartap_erp.app.oauth_state import OAuthStateError
from smartap_erp.db.base import Base
from smartap_erp.db.connections import create_connection, read_credentials, replace_credentials
from smartap_erp.db.models import ERPConnection, ERPEventSubscription, OAuthFlow
from smartap_erp.db.rotation import ENCRYPTED_COLUMNS, ColumnRotation, _rotate_row, rotate_all
from smartap_erp.db.vault import CredentialVault, KeyRing
from smartap_erp.domain.enums import ERPSystem
from smartap_erp.events import record_event
from smartap_erp.events.delivery import run_pass
from smartap_erp.events.signing import open_secret
from smartap_erp.settings import Settings
from tests.app.oauth_sim import Sim
from tests.app.simulated import SimulatedApp, simulated_app
from tests.events.conftest import URL, Receiver

Sessions = async_sessionmaker[AsyncSession]
REDIRECT = "https://smartap.example/api/v1/oauth/callback"
SECRET_NAME = re.compile(r"secret|credential|token|password|cipher|encrypt")
NOT_SECRETS = {  # names that match, values that are not vault ciphertext
    ("erp_connections", "credentials_version"),  # a counter
    ("erp_ui_sessions", "token_hash"),  # a SHA-256, never decrypted
    ("erp_ui_users", "password_hash"),  # a password hash
}


def app_with(engine: AsyncEngine, sessions: Sessions, sim: Sim, key: bytes) -> SimulatedApp:
    ctx = simulated_app(engine, sessions, key)
    assert ctx.sync is not None
    ctx.sync.connector_options["transport"] = sim.transport
    return ctx


def vault(*ring: bytes) -> CredentialVault:
    return CredentialVault(KeyRing(list(ring), "test"))


async def test_every_secret_works_after_rotation_and_removal_of_the_old_key(
    engine: AsyncEngine, session_factory: Sessions
) -> None:
    key_a, key_b = Fernet.generate_key(), Fernet.generate_key()
    qbo = Sim("quickbooks")
    under_a = app_with(engine, session_factory, qbo, key_a)
    async with session_factory() as session:
        await create_connection(
            session,
            vault=under_a.vault,
            name="Books",
            system_type=ERPSystem.QUICKBOOKS,
            credentials=qbo.credentials,
            api_url=qbo.url,
        )
        await session.commit()
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)  # Webhook.verify checks against the real time
    subscribed = await app_events.add_subscription(
        under_a, SubscriptionCreate(url=URL), now=now - dt.timedelta(minutes=1)
    )
    started = await oauth.start(
        under_a, "Books 2", system="quickbooks", redirect_uri=REDIRECT, api_url=qbo.url, client=qbo.client()
    )
    async with session_factory() as session:
        flow_before = vault(key_a).decrypt((await session.scalars(select(OAuthFlow))).one().secrets)

    # B goes first, A stays for decryption: rotate.
    settings = Settings(
        database_url=under_a.settings.database_url,
        smartap_encryption_keys=f"{key_b.decode()},{key_a.decode()}",
    )
    done = await keys.rotate(settings)
    assert [
        (k.kind, k.table, k.rows, k.re_encrypted, k.already_current, k.unreadable) for k in done.kinds
    ] == [
        ("connection credentials", "erp_connections", 1, 1, 0, []),
        ("event subscription secrets", "erp_event_subscriptions", 1, 1, 0, []),
        ("OAuth flow secrets", "erp_oauth_flows", 1, 1, 0, []),
    ]
    again = await keys.rotate(settings)  # idempotent: nothing left to re-encrypt
    assert [(k.re_encrypted, k.already_current) for k in again.kinds] == [(0, 1), (0, 1), (0, 1)]

    # A is removed: B alone reads every secret, and each still does its job.
    under_b = app_with(engine, session_factory, qbo, key_b)
    async with session_factory() as session:
        connection = (await session.scalars(select(ERPConnection))).one()
        subscription = (await session.scalars(select(ERPEventSubscription))).one()
        flow = (await session.scalars(select(OAuthFlow))).one()
        with pytest.raises(InvalidToken):
            Fernet(key_a).decrypt(connection.credentials)
    assert (
        read_credentials(connection, vault=under_b.vault)["access_token"] == qbo.credentials["access_token"]
    )
    assert (await connections.test_connection(under_b, "Books")).company_name  # the ERP accepts them
    assert open_secret(under_b.vault, subscription.secret) == subscribed.secret
    assert under_b.vault.decrypt(flow.secrets) == flow_before  # the PKCE/client secrets of the login

    receiver = Receiver()
    async with session_factory() as session, session.begin():
        await record_event(session, "invoice.exported", connection_id=None, data={"n": 1}, occurred_at=now)
    async with httpx.AsyncClient(transport=httpx.MockTransport(receiver)) as client:
        sent = await run_pass(session_factory, under_b.vault, client, now=now, holder="w")
    assert sent.delivered == 1
    [request] = receiver.requests
    assert Webhook(subscribed.secret).verify(request.content, dict(request.headers))["data"] == {
        "connection_id": None,
        "n": 1,
    }

    # The one thing a rotation cannot carry over: a login's state, held by the browser, was made
    # under A; started before A was removed, it must be started again (docs/operations.md).
    state = {k: v[0] for k, v in parse_qs(urlsplit(started.authorize_url).query).items()}["state"]
    with pytest.raises(OAuthStateError, match="start the connection again"):
        await oauth.callback(under_b, state=state, code="any", realm_id=qbo.credentials["realm_id"])


async def test_an_unreadable_row_is_named_and_the_others_are_rotated(
    engine: AsyncEngine, session_factory: Sessions
) -> None:
    key_a, key_b, lost = Fernet.generate_key(), Fernet.generate_key(), Fernet.generate_key()
    async with session_factory() as session:
        good = await create_connection(
            session, vault=vault(key_a), name="good", system_type=ERPSystem.QUICKBOOKS, credentials={"k": "v"}
        )
        bad = await create_connection(
            session,
            vault=vault(lost),
            name="orphan",
            system_type=ERPSystem.QUICKBOOKS,
            credentials={"client_secret": "S3NT1NEL"},
        )
        await session.commit()
    settings = Settings(
        database_url=engine.url.render_as_string(hide_password=False),
        smartap_encryption_keys=f"{key_b.decode()},{key_a.decode()}",
    )

    with pytest.raises(keys.IncompleteRotationError) as caught:
        await keys.rotate(settings)

    message = str(caught.value)
    assert f"erp_connections (connection credentials) rows {bad.id}" in message
    assert "S3NT1NEL" not in message and str(good.id) not in message
    [kind, *_] = caught.value.rotation.kinds
    assert (kind.re_encrypted, kind.unreadable) == (1, [str(bad.id)])
    async with session_factory() as session:
        stored = await session.get(ERPConnection, good.id)
        assert stored is not None and vault(key_b).decrypt(stored.credentials)["k"] == "v"


async def test_a_row_rewritten_during_the_rotation_keeps_the_newer_value(session_factory: Sessions) -> None:
    key_a, key_b = Fernet.generate_key(), Fernet.generate_key()
    async with session_factory() as session:
        made = await create_connection(
            session, vault=vault(key_a), name="qb", system_type=ERPSystem.QUICKBOOKS, credentials={"t": "old"}
        )
        await session.commit()
        stale = made.credentials  # what the rotation read
    async with session_factory() as session:  # a token refresh writes between the read and the write
        assert await replace_credentials(
            session,
            vault=vault(key_a),
            connection_id=made.id,
            expected_version=made.credentials_version,
            credentials={"t": "new"},
        )
        await session.commit()
    done = ColumnRotation("connection credentials", "erp_connections")
    async with session_factory() as session, session.begin():
        await _rotate_row(session, ENCRYPTED_COLUMNS[0], vault(key_b, key_a), made.id, stale, done)
    assert done.re_encrypted == 1
    async with session_factory() as session:
        stored = await session.get(ERPConnection, made.id)
        assert stored is not None
        assert vault(key_b).decrypt(stored.credentials)["t"] == "new"  # not the stale "old"
        assert stored.updated_at is not None


async def test_batches_report_progress(session_factory: Sessions) -> None:
    key_a, key_b = Fernet.generate_key(), Fernet.generate_key()
    async with session_factory() as session:
        for n in range(5):
            await create_connection(
                session, vault=vault(key_a), name=f"c{n}", system_type=ERPSystem.XERO, credentials={"n": n}
            )
        await session.commit()
    seen: list[tuple[str, int, int]] = []
    results = await rotate_all(
        session_factory,
        vault(key_b, key_a),
        batch_size=2,
        progress=lambda d: seen.append((d.table, d.rows, d.total)),
    )
    assert seen == [("erp_connections", 2, 5), ("erp_connections", 4, 5), ("erp_connections", 5, 5)]
    assert [(r.re_encrypted, r.already_current) for r in results] == [(5, 0), (0, 0), (0, 0)]


def test_every_encrypted_column_is_in_the_rotation_registry() -> None:
    registered = {(entry.table, entry.column.key) for entry in ENCRYPTED_COLUMNS}
    binary = {
        (table.name, column.name)
        for table in Base.metadata.sorted_tables
        for column in table.columns
        if isinstance(column.type, LargeBinary)
    }
    secret_named = {
        (table.name, column.name)
        for table in Base.metadata.sorted_tables
        for column in table.columns
        if SECRET_NAME.search(column.name)
    } - NOT_SECRETS
    assert binary == registered, "a binary column must be rotated (add it to db.rotation.ENCRYPTED_COLUMNS)"
    assert secret_named <= registered, "a secret-named column must be vault ciphertext in the registry"
