"""OAuth connect in the application layer (issue 14), end to end against the QuickBooks and Xero
simulators' authorize and token endpoints, on SQLite and PostgreSQL: the authorize URL (scopes,
state, PKCE S256 for Xero only), the browser's redirect back with code and state (QuickBooks adds
realmId), the tokens stored encrypted on a new or reconnected connection and accepted by the ERP
afterwards, Xero's choice among several organisations (and a reconnect keeping its own), and a
replayed, expired, altered, foreign or wrong-purpose state refused."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from smartap_erp.app import connections, oauth
from smartap_erp.app.oauth_state import FLOW_TTL, OAuthStateError
from smartap_erp.db.connections import create_connection, read_credentials
from smartap_erp.db.models import ERPConnection
from smartap_erp.db.models.oauth import OAuthFlow
from smartap_erp.db.vault import CredentialVault, KeyRing
from smartap_erp.domain.enums import ConnectionStatus
from smartap_erp.errors import ConfigurationError, ERPAuthError
from smartap_erp.settings import Settings
from tests.app.oauth_sim import Sim
from tests.app.simulated import SimulatedApp, simulated_app

REDIRECT = "https://smartap.example/api/v1/oauth/callback"
T0 = dt.datetime(2026, 12, 4, 12, 0, tzinfo=dt.UTC)


def app_for(engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession], sim: Sim) -> SimulatedApp:
    ctx = simulated_app(engine, sessions)
    assert ctx.sync is not None
    ctx.sync.connector_options["transport"] = sim.transport
    return ctx


async def start_new(ctx: SimulatedApp, sim: Sim, name: str, **options: Any) -> oauth.OAuthStart:
    """A flow that creates the connection `name` at the simulator, with the simulator's app client."""
    system = sim.url.removeprefix("http://").removesuffix(".test")
    return await oauth.start(
        ctx, name, system=system, redirect_uri=REDIRECT, api_url=sim.url, client=sim.client(), **options
    )


async def stored(ctx: SimulatedApp, name: str) -> tuple[ERPConnection, dict[str, Any]]:
    async with ctx.sessions() as session:
        found = await session.scalar(select(ERPConnection).where(ERPConnection.name == name))
        assert found is not None
        return found, read_credentials(found, vault=ctx.vault).to_dict()


async def flows(ctx: SimulatedApp) -> int:
    async with ctx.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(OAuthFlow)) or 0)


async def test_quickbooks_new_connection_end_to_end(
    engine: AsyncEngine, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    qbo = Sim("quickbooks")
    ctx = app_for(engine, session_factory, qbo)
    started = await start_new(ctx, qbo, "Books")
    url = urlsplit(started.authorize_url)
    query = {k: v[0] for k, v in parse_qs(url.query).items()}
    assert f"{url.scheme}://{url.netloc}{url.path}" == "http://quickbooks.test/connect/oauth2"
    assert query["scope"] == "com.intuit.quickbooks.accounting"
    assert query["client_id"] == qbo.credentials["client_id"] and query["redirect_uri"] == REDIRECT
    assert "code_challenge" not in query and started.pkce is False  # no PKCE for QuickBooks
    async with ctx.sessions() as session:  # only the state's hash is kept
        flow = await session.scalar(select(OAuthFlow))
        assert flow is not None and flow.state_hash == hashlib.sha256(query["state"].encode()).hexdigest()
        assert query["state"].encode() not in flow.secrets

    back = await qbo.approve(started.authorize_url)
    assert back["state"] == query["state"]
    result = await oauth.callback(ctx, state=back["state"], code=back["code"], realm_id=back["realmId"])

    assert result.status == "connected" and result.connection is not None
    assert result.connection.name == "Books" and result.connection.status == ConnectionStatus.ACTIVE
    found, credentials = await stored(ctx, "Books")
    assert found.api_url == qbo.url
    assert credentials["realm_id"] == qbo.credentials["realm_id"]
    assert credentials["client_secret"] == qbo.credentials["client_secret"]
    assert credentials["access_token"] != qbo.credentials["access_token"]  # a new grant's pair
    assert credentials["access_token"].encode() not in found.credentials  # encrypted at rest
    assert await flows(ctx) == 0
    # The ERP accepts the stored pair: a connection test reads the company through the API.
    info = await connections.test_connection(ctx, "Books")
    assert info.company_name

    with pytest.raises(OAuthStateError, match="already used"):  # a replay
        await oauth.callback(ctx, state=back["state"], code=back["code"], realm_id=back["realmId"])


async def test_quickbooks_reconnect_replaces_tokens_and_clears_error(
    engine: AsyncEngine, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    qbo = Sim("quickbooks")
    ctx = app_for(engine, session_factory, qbo)
    # The client id and secret come from the settings when the connection's credentials lack them.
    assert ctx.sync is not None and ctx.settings.smartap_encryption_keys is not None
    ctx.settings = ctx.sync.settings = Settings(
        database_url=ctx.settings.database_url,
        smartap_encryption_keys=ctx.settings.smartap_encryption_keys.get_secret_value(),
        quickbooks_client_id=qbo.credentials["client_id"],
        quickbooks_client_secret=qbo.credentials["client_secret"],
        quickbooks_redirect_uri=REDIRECT,
    )
    old = {k: qbo.credentials[k] for k in ("realm_id", "access_token", "refresh_token")}
    async with ctx.sessions() as session:
        made = await create_connection(
            session,
            vault=ctx.vault,
            name="QB",
            system_type="quickbooks",  # type: ignore[arg-type]
            credentials=old,
            api_url=qbo.url,
            status=ConnectionStatus.ERROR,
            connection_error="reconnect: the refresh token was refused",
        )
        await session.commit()
    started = await oauth.start(ctx, str(made.id))  # redirect URI from QUICKBOOKS_REDIRECT_URI
    back = await qbo.approve(started.authorize_url)
    result = await oauth.callback(ctx, state=back["state"], code=back["code"], realm_id=back["realmId"])

    assert result.connection is not None and result.connection.id == made.id
    assert result.connection.status == ConnectionStatus.ACTIVE and result.connection.error is None
    found, credentials = await stored(ctx, "QB")
    assert credentials["access_token"] != old["access_token"] and "client_id" not in credentials
    assert found.credentials_version == made.credentials_version + 1
    assert (await connections.test_connection(ctx, "QB")).company_name


async def test_xero_pkce_and_tenant_choice(
    engine: AsyncEngine, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    xero = Sim("xero")
    ctx = app_for(engine, session_factory, xero)
    started = await start_new(ctx, xero, "Xero org")
    query = {k: v[0] for k, v in parse_qs(urlsplit(started.authorize_url).query).items()}
    assert started.authorize_url.startswith("http://xero.test/identity/connect/authorize?")
    assert query["code_challenge_method"] == "S256" and started.pkce is True
    assert set(query["scope"].split()) >= {"offline_access", "accounting.transactions"}
    async with ctx.sessions() as session:  # the verifier is kept encrypted, and matches the challenge
        flow = await session.scalar(select(OAuthFlow))
        assert flow is not None
        verifier = ctx.vault.decrypt(flow.secrets)["code_verifier"]
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
    assert query["code_challenge"] == challenge

    back = await xero.approve(started.authorize_url)
    result = await oauth.callback(ctx, state=back["state"], code=back["code"])

    # The simulator's login reaches two organisations: a person picks one.
    assert result.status == "choose_tenant" and result.connection is None and result.choice
    assert [t.name for t in result.tenants] == ["Sterling Office Group", "Harbor Holdings (Demo)"]
    with pytest.raises(ConfigurationError, match="not one of"):
        await oauth.choose_tenant(ctx, choice=result.choice, tenant_id="00000000-0000-0000-0000-000000000000")
    with pytest.raises(OAuthStateError):  # a choice is single use too, even a refused one
        await oauth.choose_tenant(ctx, choice=result.choice, tenant_id=result.tenants[0].tenant_id)


async def test_xero_choice_connects_and_reconnect_keeps_its_tenant(
    engine: AsyncEngine, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    xero = Sim("xero")
    ctx = app_for(engine, session_factory, xero)
    started = await start_new(ctx, xero, "Xero org")
    back = await xero.approve(started.authorize_url)
    offered = await oauth.callback(ctx, state=back["state"], code=back["code"])
    assert offered.choice is not None
    with pytest.raises(OAuthStateError):  # a choice is not a state, nor the other way round
        await oauth.callback(ctx, state=offered.choice, code=back["code"])
    primary = offered.tenants[0].tenant_id
    result = await oauth.choose_tenant(ctx, choice=offered.choice, tenant_id=primary.upper())

    assert result.status == "connected" and result.connection is not None
    found, credentials = await stored(ctx, "Xero org")
    assert found.tenant_id == primary == credentials["tenant_id"]
    assert credentials["access_token"].startswith("xat_") and "code_verifier" not in credentials
    assert "tenants" not in credentials
    assert (await connections.test_connection(ctx, "Xero org")).company_name == "Sterling Office Group"

    # A reconnect of a connection with a tenant keeps it without asking.
    again = await oauth.start(ctx, "Xero org", redirect_uri=REDIRECT)
    back = await xero.approve(again.authorize_url)
    reconnected = await oauth.callback(ctx, state=back["state"], code=back["code"])
    assert reconnected.status == "connected"
    assert reconnected.connection is not None and reconnected.connection.id == found.id
    assert await flows(ctx) == 0


async def test_expired_altered_and_foreign_states_are_refused(
    engine: AsyncEngine, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    qbo = Sim("quickbooks")
    ctx = app_for(engine, session_factory, qbo)
    started = await start_new(ctx, qbo, "Books", now=T0)
    back = await qbo.approve(started.authorize_url)
    late = T0 + FLOW_TTL + dt.timedelta(seconds=1)
    with pytest.raises(OAuthStateError, match="expired"):
        await oauth.callback(ctx, state=back["state"], code=back["code"], realm_id=back["realmId"], now=late)

    foreign = CredentialVault(KeyRing([Fernet.generate_key()], "test")).encrypt(
        {"flow": "x", "purpose": "oauth-state", "nonce": "n"}
    )
    altered = back["state"][:-4] + ("AAAA" if not back["state"].endswith("AAAA") else "BBBB")
    for state in (foreign.decode(), altered, "not-a-state", ""):
        with pytest.raises(OAuthStateError, match="not recognised"):
            await oauth.callback(ctx, state=state, code=back["code"], realm_id=back["realmId"])
    # One of ours, but of another purpose (a stored credential blob is a vault token too).
    with pytest.raises(OAuthStateError, match="not recognised"):
        await oauth.callback(ctx, state=ctx.vault.encrypt({"flow": "x"}).decode(), code="c", realm_id="1")
    async with ctx.sessions() as session:  # nothing was connected
        assert await session.scalar(select(func.count()).select_from(ERPConnection)) == 0
    assert await flows(ctx) == 1  # the expired flow stays until the next start sweeps it
    await oauth.start(ctx, "Other", system="quickbooks", redirect_uri=REDIRECT, client=qbo.client(), now=late)
    assert await flows(ctx) == 1


async def test_refused_code_and_missing_settings(
    engine: AsyncEngine, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    qbo = Sim("quickbooks")
    ctx = app_for(engine, session_factory, qbo)
    with pytest.raises(ConfigurationError, match="QUICKBOOKS_CLIENT_ID"):
        await oauth.start(ctx, "Books", system="quickbooks", redirect_uri=REDIRECT)
    with pytest.raises(ConfigurationError, match="QUICKBOOKS_REDIRECT_URI"):
        await oauth.start(ctx, "Books", system="quickbooks", client=qbo.client())
    with pytest.raises(ConfigurationError, match="does not connect through OAuth"):
        await oauth.start(ctx, "SAP", system="sap", redirect_uri=REDIRECT)

    started = await start_new(ctx, qbo, "Books")
    back = await qbo.approve(started.authorize_url)
    with pytest.raises(ERPAuthError) as refused:  # a code the ERP never issued
        await oauth.callback(ctx, state=back["state"], code="forged-code", realm_id=back["realmId"])
    assert refused.value.code == "invalid_grant"
    assert qbo.credentials["client_secret"] not in str(refused.value)
