"""OAuth connect for QuickBooks and Xero over HTTP (`app.oauth` does the work).

`POST /api/v1/erp/connections/{id}/oauth/start` (admin) reconnects a connection; `POST
/api/v1/oauth/start` (admin) starts one for a new connection, created when the tokens arrive. Both
answer the authorize URL to send the person's browser to. `GET /api/v1/oauth/callback` is the redirect
URI the ERP sends the browser back to: it carries no API key, the signed single-use `state` is what
authenticates it (a replayed, expired or foreign one is a 422 problem). A Xero login that reaches
several organisations answers `choose_tenant` with the organisations and a one-time `choice` token,
which `POST /api/v1/oauth/choose-tenant` takes with the chosen `tenant_id` (authenticated by the
choice token in the same way). Client secrets are write-only; tokens never appear in a response.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field, Secret

from smartap_erp.api.deps import AdminKey, Ctx
from smartap_erp.app import oauth
from smartap_erp.app.oauth import OAuthResult, OAuthStart
from smartap_erp.domain.enums import ERPSystem

router = APIRouter(tags=["oauth"])


class OAuthStartIn(BaseModel):
    """Where the ERP sends the browser back (`GET /api/v1/oauth/callback` of this server); the
    provider's setting (QUICKBOOKS_REDIRECT_URI, XERO_REDIRECT_URI) when left out."""

    redirect_uri: str | None = Field(None, pattern=r"^https?://\S+$", max_length=2048)


class OAuthNewIn(OAuthStartIn):
    """A connection to create once the ERP's tokens arrive. The app's client id and secret come from
    the provider's settings (QUICKBOOKS_CLIENT_ID ...) unless given here; they are kept encrypted."""

    system: ERPSystem
    name: str = Field(min_length=1, max_length=255)
    api_url: str | None = Field(None, pattern=r"^https?://\S+$", max_length=2048)
    client_id: str | None = Field(None, min_length=1, max_length=255)
    client_secret: Secret[str] | None = None


class TenantChoiceIn(BaseModel):
    choice: str = Field(min_length=1, max_length=1024)
    tenant_id: str = Field(min_length=1, max_length=64)


@router.post(
    "/api/v1/erp/connections/{connection_id}/oauth/start",
    summary="Reconnect a connection through OAuth (authorize URL)",
)
async def start_reconnect(
    ctx: Ctx, _key: AdminKey, connection_id: str, body: OAuthStartIn | None = None
) -> OAuthStart:
    redirect_uri = body.redirect_uri if body else None
    return await oauth.start(ctx, connection_id, redirect_uri=redirect_uri)


@router.post("/api/v1/oauth/start", status_code=201, summary="Connect a new QuickBooks or Xero company")
async def start_new(ctx: Ctx, _key: AdminKey, body: OAuthNewIn) -> OAuthStart:
    client = {"client_id": body.client_id} if body.client_id else {}
    if body.client_secret is not None:
        client["client_secret"] = body.client_secret.get_secret_value()
    return await oauth.start(
        ctx,
        body.name.strip(),
        system=body.system.value,
        redirect_uri=body.redirect_uri,
        api_url=body.api_url,
        client=client,
        new=True,
    )


@router.get("/api/v1/oauth/callback", summary="The ERP's redirect back (no API key: the state)")
async def callback(
    ctx: Ctx,
    state: Annotated[str, Query(min_length=1, max_length=1024)],
    code: Annotated[str | None, Query(max_length=4096)] = None,
    realm_id: Annotated[str | None, Query(alias="realmId", max_length=64)] = None,
    error: Annotated[str | None, Query(max_length=256)] = None,
) -> OAuthResult:
    return await oauth.callback(ctx, state=state, code=code, realm_id=realm_id, error=error)


@router.post("/api/v1/oauth/choose-tenant", summary="Pick the Xero organisation (no API key: the choice)")
async def choose_tenant(ctx: Ctx, body: TenantChoiceIn) -> OAuthResult:
    return await oauth.choose_tenant(ctx, choice=body.choice, tenant_id=body.tenant_id)
