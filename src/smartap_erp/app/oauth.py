"""OAuth 2.0 connect for QuickBooks Online and Xero, in the application layer: `start` returns the
ERP's authorize URL for a connection (an existing one to reconnect, or a new one by name, created when
the tokens arrive), `callback` exchanges the code the ERP redirected back with and stores the token
pair encrypted on the connection, `choose_tenant` finishes a Xero login that reaches several
organisations. The `state` (and a tenant choice) is single use and valid for ten minutes: signed,
encrypted, stored hashed and spent by `app.oauth_state`, so a replay is refused. PKCE (S256) is sent
where the ERP documents it: Xero. QuickBooks' facts (docs/quickbooks.md §OAuth 2.0 tokens) name none,
and the app is a confidential client (client secret over HTTP Basic), so QuickBooks gets no PKCE. The
client id and secret come from the connection's credentials, else the provider's settings
(QUICKBOOKS_CLIENT_ID, XERO_CLIENT_ID ...). ERP calls go to the real hosts, or under the connection's
`api_url` (a simulator), through the transport the context's connector options name (tests). A
reconnect revokes the grant it replaced at the ERP's revocation endpoint (`oauth_erp.revoke_replaced_grant`;
a failed revocation is logged and the reconnect stands).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import re
import secrets
import uuid
from collections.abc import Mapping
from typing import Any, Literal
from urllib.parse import urlencode

import httpx
from pydantic import AwareDatetime
from sqlalchemy.ext.asyncio import AsyncSession

from smartap_erp.app.connections import (
    ConnectionView,
    _check_name_free,  # the same rules as every other connection write
    _commit,
    _replace_credentials,
    view,
)
from smartap_erp.app.context import AppContext, resolve_connection
from smartap_erp.app.models import AppModel
from smartap_erp.app.oauth_erp import (
    TIMEOUT,
    TenantOption,
    exchange_code,
    revoke_replaced_grant,
    xero_tenants,
)
from smartap_erp.app.oauth_state import FLOW_TTL, claim, kept_secrets, new_token, sweep_expired
from smartap_erp.connectors.base import rebase_url
from smartap_erp.connectors.provider import AuthKind, ERPProvider, OAuthEndpoints
from smartap_erp.connectors.registry import registry
from smartap_erp.db.connections import create_connection, read_credentials
from smartap_erp.db.models import ERPConnection
from smartap_erp.db.models.oauth import OAuthFlow
from smartap_erp.domain.enums import ConnectionStatus, ERPSystem
from smartap_erp.errors import (
    ConfigurationError,
    ConflictError,
    ERPProtocolError,
    NotFoundError,
)
from smartap_erp.events import engine as raised
from smartap_erp.http.redact import get_logger
from smartap_erp.http.tokens import Token
from smartap_erp.sync.tokens import token_fields, token_from

log = get_logger(__name__)

PKCE_SYSTEMS = frozenset({ERPSystem.XERO.value})  # xero.md: Xero's code flow takes PKCE
# Where Xero lists the organisations a login reaches (xero.md §Tenancy and OAuth 2.0).
XERO_CONNECTIONS_URL = "https://api.xero.com/connections"


class OAuthStart(AppModel):
    authorize_url: str  # send the person's browser here
    expires_at: AwareDatetime  # the callback must come before this
    pkce: bool


class OAuthResult(AppModel):
    """`connected` with the connection, or `choose_tenant` with the organisations and the one-time
    `choice` token that `choose_tenant` takes with the chosen `tenant_id`."""

    status: Literal["connected", "choose_tenant"]
    connection: ConnectionView | None = None
    tenants: list[TenantOption] = []
    choice: str | None = None
    choice_expires_at: AwareDatetime | None = None


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _oauth_provider(system: str) -> tuple[ERPProvider, OAuthEndpoints]:
    provider = registry.provider(system)
    if provider.auth is not AuthKind.OAUTH2 or provider.oauth is None:
        raise ConfigurationError(
            f"{provider.name} does not connect through OAuth 2.0 ({provider.auth.label})"
        )
    return provider, provider.oauth


def _client(provider: ERPProvider, ctx: AppContext, given: Mapping[str, Any]) -> dict[str, str]:
    """client_id and client_secret: the connection's own, else the provider's settings."""
    filled = provider.with_settings(given, ctx.settings)
    missing = [name for name in ("client_id", "client_secret") if not filled.get(name)]
    if missing:
        names = ", ".join(s.name for s in provider.settings if s.credential in missing)
        raise ConfigurationError(
            f"{provider.name}: no {' or '.join(missing)}: give it in the credentials or set {names}"
        )
    return {"client_id": str(filled["client_id"]), "client_secret": str(filled["client_secret"])}


async def start(
    ctx: AppContext,
    connection: str,
    *,
    system: str | None = None,
    redirect_uri: str | None = None,
    api_url: str | None = None,
    client: Mapping[str, str] | None = None,
    new: bool = False,
    now: dt.datetime | None = None,
) -> OAuthStart:
    """The authorize URL for `connection` (name or id of an existing connection to reconnect, or the
    name of a new one of `system`, created at the callback; `client` gives a new one's client id and
    secret when the settings do not). `new`: refuse a name an existing connection has."""
    now = now or _utcnow()
    async with ctx.sessions() as session:
        existing = await _existing(session, connection)
        if existing is not None and new:
            raise ConflictError(f"name: a connection named {connection!r} already exists")
        if existing is not None:
            if system is not None and registry.provider(system).system != existing.system_type.value:
                raise ConflictError(
                    f"connection {existing.name!r} is a {existing.system_type.value} connection"
                )
            provider, endpoints = _oauth_provider(existing.system_type.value)
            client_ids = _client(provider, ctx, read_credentials(existing, vault=ctx.vault))
            api_url = existing.api_url
        else:
            if system is None:
                raise NotFoundError(
                    f"no connection named or with id {connection!r}; name an ERP to create it"
                )
            provider, endpoints = _oauth_provider(system)
            client_ids = _client(provider, ctx, dict(client or {}))
        redirect = redirect_uri or provider.redirect_uri(ctx.settings)
        if not redirect:
            setting = next(
                (s.name for s in provider.settings if s.option == "redirect_uri"), "a redirect URI"
            )
            raise ConfigurationError(f"{provider.name}: no redirect URI: give one or set {setting}")
        stored: dict[str, Any] = dict(client or {}) if existing is None else {}
        pkce = provider.system in PKCE_SYSTEMS
        query = {
            "response_type": "code",
            "client_id": client_ids["client_id"],
            "redirect_uri": redirect,
            "scope": " ".join(endpoints.scopes),
        }
        if pkce:
            stored["code_verifier"] = secrets.token_urlsafe(48)  # 64 characters (RFC 7636: 43-128)
            digest = hashlib.sha256(stored["code_verifier"].encode()).digest()
            query["code_challenge"] = base64.urlsafe_b64encode(digest).decode().rstrip("=")
            query["code_challenge_method"] = "S256"
        flow = OAuthFlow(
            id=uuid.uuid4(),
            system_type=ERPSystem(provider.system),
            connection_id=existing.id if existing else None,
            connection_name=None if existing else connection.strip(),
            api_url=api_url,
            redirect_uri=redirect,
            secrets=ctx.vault.encrypt(stored),
            stage="authorize",
            created_at=now,
            expires_at=now + FLOW_TTL,
        )
        state = new_token(ctx, flow)
        await sweep_expired(session, now)  # flows abandoned, refused or spent go as new ones start
        session.add(flow)
        await session.commit()
    query["state"] = state
    url = rebase_url(endpoints.authorize_url, api_url)
    return OAuthStart(authorize_url=f"{url}?{urlencode(query)}", expires_at=flow.expires_at, pkce=pkce)


async def _existing(session: AsyncSession, connection: str) -> ERPConnection | None:
    try:
        return await resolve_connection(session, connection)
    except NotFoundError:
        return None


async def callback(
    ctx: AppContext,
    *,
    state: str,
    code: str | None = None,
    realm_id: str | None = None,
    error: str | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    now: dt.datetime | None = None,
) -> OAuthResult:
    """Finish the flow `state` started: exchange `code`, store the tokens (QuickBooks: with the
    `realmId` of the redirect; Xero: with its one organisation, or return the choice)."""
    now = now or _utcnow()
    async with ctx.sessions() as session:
        flow = await claim(ctx, session, state, "authorize", now)
        if error:  # the person declined, or the ERP refused the request
            said = error if re.fullmatch(r"[a-z_]{1,64}", error) else "an unreadable error"  # RFC 6749 codes
            raise ConfigurationError(f"{flow.system_type.value}: authorization not given ({said})")
        if not code:
            raise ConfigurationError("the OAuth callback carries no code")
        provider, endpoints = _oauth_provider(flow.system_type.value)
        kept = kept_secrets(ctx, flow)
        client_ids = _client(provider, ctx, await _client_source(ctx, session, flow, kept))
        quickbooks = provider.system == ERPSystem.QUICKBOOKS.value
        if quickbooks and not (realm_id or "").isdigit():  # the company comes with the redirect
            raise ERPProtocolError("the callback carries no realmId", erp=ERPSystem.QUICKBOOKS)
        async with _http(ctx, flow, transport) as http:
            token = await exchange_code(
                http,
                erp=flow.system_type,
                token_url=rebase_url(endpoints.token_url, flow.api_url),
                redirect_uri=flow.redirect_uri,
                client=client_ids,
                code=code,
                code_verifier=kept.pop("code_verifier", None),
                now=now,
            )
            if quickbooks:
                return await _connect(ctx, session, flow, {**kept, "realm_id": realm_id}, token, now)
            tenants = await xero_tenants(http, rebase_url(XERO_CONNECTIONS_URL, flow.api_url), token)
        chosen = await _preferred_tenant(session, flow, tenants)
        if chosen is not None:
            return await _connect(ctx, session, flow, {**kept, "tenant_id": chosen}, token, now)
        return await _offer_choice(ctx, session, flow, kept, token, tenants, now)


async def choose_tenant(
    ctx: AppContext, *, choice: str, tenant_id: str, now: dt.datetime | None = None
) -> OAuthResult:
    """Finish a Xero flow whose login reaches several organisations with the one chosen."""
    now = now or _utcnow()
    async with ctx.sessions() as session:
        flow = await claim(ctx, session, choice, "choose_tenant", now)
        kept = kept_secrets(ctx, flow)
        offered = {str(t["tenant_id"]).lower() for t in kept.pop("tenants", [])}
        token = token_from(kept, now)  # the pair kept while the person chose
        for name in token_fields(token):
            kept.pop(name, None)
        if tenant_id.strip().lower() not in offered:
            raise ConfigurationError("tenant_id: not one of the organisations this login reaches")
        return await _connect(
            ctx, session, flow, {**kept, "tenant_id": tenant_id.strip().lower()}, token, now
        )


def _http(ctx: AppContext, flow: OAuthFlow, transport: httpx.AsyncBaseTransport | None) -> httpx.AsyncClient:
    """A client to the ERP's identity hosts, through the transport the context's connector options
    give (a simulator in tests) unless one is passed."""
    if transport is None:
        sync = ctx.sync_context()
        options = {**sync.connector_options, **sync.options_by_connection.get(flow.connection_id, {})}
        transport = options.get("transport")
    return httpx.AsyncClient(transport=transport, timeout=TIMEOUT)


async def _client_source(
    ctx: AppContext, session: AsyncSession, flow: OAuthFlow, kept: Mapping[str, Any]
) -> Mapping[str, Any]:
    if flow.connection_id is None:
        return kept
    found = await session.get(ERPConnection, flow.connection_id)
    if found is None:
        raise NotFoundError("the connection this OAuth flow was for no longer exists")
    return read_credentials(found, vault=ctx.vault)


async def _preferred_tenant(
    session: AsyncSession, flow: OAuthFlow, tenants: list[TenantOption]
) -> str | None:
    """The only organisation, or the one a reconnected connection already uses; None: ask."""
    if len(tenants) == 1:
        return tenants[0].tenant_id
    if flow.connection_id is not None:
        found = await session.get(ERPConnection, flow.connection_id)
        current = (found.tenant_id or "").lower() if found else ""
        if current in {t.tenant_id for t in tenants}:
            return current
    return None


async def _offer_choice(
    ctx: AppContext,
    session: AsyncSession,
    flow: OAuthFlow,
    kept: dict[str, Any],
    token: Token,
    tenants: list[TenantOption],
    now: dt.datetime,
) -> OAuthResult:
    """Keep the issued pair (encrypted) on the flow and hand out a one-time choice token."""
    flow.stage = "choose_tenant"
    flow.used_at = None
    flow.expires_at = now + FLOW_TTL
    flow.secrets = ctx.vault.encrypt(
        {**kept, **token_fields(token), "tenants": [t.model_dump() for t in tenants]}
    )
    choice = new_token(ctx, flow)
    await session.commit()
    return OAuthResult(
        status="choose_tenant", tenants=tenants, choice=choice, choice_expires_at=flow.expires_at
    )


async def _connect(
    ctx: AppContext,
    session: AsyncSession,
    flow: OAuthFlow,
    fields: dict[str, Any],
    token: Token,
    now: dt.datetime,
) -> OAuthResult:
    """Store the pair on the flow's connection (creating it when the flow names a new one)."""
    fields.pop("code_verifier", None)
    new_fields = {**fields, **token_fields(token)}
    if flow.connection_id is None:
        assert flow.connection_name is not None
        await _check_name_free(session, flow.connection_name)  # taken since the flow started?
        credentials = {k: v for k, v in new_fields.items() if v is not None}
        connection = await create_connection(
            session,
            vault=ctx.vault,
            name=flow.connection_name,
            system_type=flow.system_type,
            credentials=credentials,
            api_url=flow.api_url,
            **registry.provider(flow.system_type.value).column_values(credentials),
        )
    else:
        found = await session.get(ERPConnection, flow.connection_id)
        if found is None:
            raise NotFoundError("the connection this OAuth flow was for no longer exists")
        connection = found
        replaced = read_credentials(connection, vault=ctx.vault).to_dict()
        credentials = {**replaced, **new_fields}
        await _replace_credentials(
            ctx, session, connection, {k: v for k, v in credentials.items() if v is not None}
        )
    previous = connection.status
    connection.status, connection.connection_error = ConnectionStatus.ACTIVE, None
    raised.connection_status(connection, previous)  # connection.recovered after a reconnect
    connection.last_connected_at = now
    await session.delete(flow)
    await _commit(session, connection.name)
    log.info("%s: OAuth connect finished for connection %s", flow.system_type.value, connection.id)
    if flow.connection_id is not None:  # a reconnect: revoke the grant it replaced (never fails it)
        provider, endpoints = _oauth_provider(flow.system_type.value)
        async with _http(ctx, flow, None) as http:
            await revoke_replaced_grant(
                http,
                erp=flow.system_type,
                revoke_url=rebase_url(endpoints.revoke_url, flow.api_url) if endpoints.revoke_url else None,
                client=_client(provider, ctx, credentials),
                old=replaced,
                new=token,
                connection=str(connection.id),
            )
    return OAuthResult(status="connected", connection=view(connection))
