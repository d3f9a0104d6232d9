"""The web UI's side of the OAuth connect flow (QuickBooks Online, Xero), admin only, on `app.oauth`:
`/ui/oauth/callback` is the redirect URI the UI's flows name (register `<this server>/ui/oauth/callback`
with the ERP app), `/ui/oauth/choose-tenant` takes the Xero organisation when a login reaches several,
and `/ui/connections/{id}/reconnect` runs the round trip again for an existing connection, whose new
tokens replace the old ones (the app layer revokes the old grant). The one-time tenant-choice token
never reaches a page or a URL: it waits in an HttpOnly cookie limited to `/ui/oauth`. A second
cookie names the new connection a wizard is connecting, so its callback continues the wizard (the
connection held `pending`, automatic syncs off); any other callback is a reconnect.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated
from urllib.parse import quote, unquote

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import RedirectResponse, Response

from smartap_erp.app import connections, oauth, providers, setup
from smartap_erp.app.oauth import OAuthResult
from smartap_erp.app.oauth_state import FLOW_TTL
from smartap_erp.errors import NotFoundError, SmartAPError
from smartap_erp.ui.security import Admin, CheckedForm
from smartap_erp.ui.templating import render

router = APIRouter(include_in_schema=False)

CALLBACK_PATH = "/ui/oauth/callback"
CHOICE_COOKIE = "smartap_oauth_choice"
NEW_FLOW_COOKIE = "smartap_oauth_new"
_COOKIE_PATH = "/ui/oauth"
_FLOW_SECONDS = int(FLOW_TTL.total_seconds())


def callback_url(request: Request) -> str:
    """This server's UI callback, as the browser reaches it (https behind a trusted proxy)."""
    return str(request.base_url).rstrip("/") + CALLBACK_PATH


def _set_oauth_cookie(request: Request, response: Response, name: str, value: str, max_age: int) -> None:
    """A cookie only the OAuth pages receive: HttpOnly, SameSite=Lax (the ERP's redirect back is a
    top-level GET, which carries it), Secure over https."""
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path=_COOKIE_PATH,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )


def remember_new_flow(request: Request, response: Response, name: str) -> None:
    _set_oauth_cookie(request, response, NEW_FLOW_COOKIE, quote(name, safe=""), _FLOW_SECONDS)


def _failed(request: Request, message: str, status_code: int = 422) -> Response:
    return render(request, "wizard/oauth_failed.html", status_code, message=message)


async def _finished(request: Request, result: OAuthResult) -> Response:
    """Where a connected flow goes: on with the wizard for the new connection it was started for,
    else the reconnect confirmation."""
    assert result.connection is not None
    connection = result.connection
    wizard_name = unquote(request.cookies.get(NEW_FLOW_COOKIE, ""))
    if wizard_name == connection.name and connection.last_sync_at is None:
        await setup.hold(request.app.state.ctx, str(connection.id))
        response: Response = RedirectResponse(f"/ui/connections/new/{connection.id}/test", status_code=303)
        response.delete_cookie(NEW_FLOW_COOKIE, path=_COOKIE_PATH)
    else:
        response = render(request, "wizard/reconnected.html", connection=connection)
    response.delete_cookie(CHOICE_COOKIE, path=_COOKIE_PATH)
    return response


@router.get(CALLBACK_PATH)
async def callback(
    request: Request,
    user: Admin,
    state: Annotated[str, Query(min_length=1, max_length=1024)],
    code: Annotated[str | None, Query(max_length=4096)] = None,
    realm_id: Annotated[str | None, Query(alias="realmId", max_length=64)] = None,
    error: Annotated[str | None, Query(max_length=256)] = None,
) -> Response:
    try:
        result = await oauth.callback(
            request.app.state.ctx, state=state, code=code, realm_id=realm_id, error=error
        )
    except SmartAPError as exc:
        return _failed(request, str(exc))
    if result.status == "connected":
        return await _finished(request, result)
    assert result.choice is not None and result.choice_expires_at is not None
    response = render(request, "wizard/tenant.html", tenants=result.tenants, error=None)
    seconds = (result.choice_expires_at - dt.datetime.now(dt.UTC)).total_seconds()
    _set_oauth_cookie(request, response, CHOICE_COOKIE, result.choice, max(1, int(seconds)))
    return response


@router.post("/ui/oauth/choose-tenant")
async def choose_tenant(request: Request, user: Admin, form: CheckedForm) -> Response:
    choice = request.cookies.get(CHOICE_COOKIE)
    tenant_id = form.get("tenant_id")
    if not choice:
        return _failed(request, "the organisation choice expired (10 minutes): connect again")
    if not isinstance(tenant_id, str) or not tenant_id:
        return _failed(request, "no organisation was chosen: connect again and choose one")
    try:
        result = await oauth.choose_tenant(request.app.state.ctx, choice=choice, tenant_id=tenant_id)
    except SmartAPError as exc:
        return _failed(request, str(exc))
    return await _finished(request, result)


async def _oauth_connection(request: Request, cid: uuid.UUID) -> tuple[connections.ConnectionView, bool]:
    try:
        connection = await connections.find_connection(request.app.state.ctx, str(cid))
    except NotFoundError:
        raise HTTPException(404, "no such connection") from None
    return connection, providers.get_provider(connection.system.value).oauth is not None


@router.get("/ui/connections/{cid:uuid}/reconnect")
async def reconnect_page(request: Request, cid: uuid.UUID, user: Admin) -> Response:
    connection, is_oauth = await _oauth_connection(request, cid)
    return render(request, "wizard/reconnect.html", connection=connection, is_oauth=is_oauth, error=None)


@router.post("/ui/connections/{cid:uuid}/reconnect")
async def reconnect(request: Request, cid: uuid.UUID, user: Admin, form: CheckedForm) -> Response:
    connection, is_oauth = await _oauth_connection(request, cid)
    try:
        started = await oauth.start(request.app.state.ctx, str(cid), redirect_uri=callback_url(request))
    except SmartAPError as exc:
        return render(
            request,
            "wizard/reconnect.html",
            422,
            connection=connection,
            is_oauth=is_oauth,
            error=str(exc),
        )
    response = RedirectResponse(started.authorize_url, status_code=303)
    response.delete_cookie(NEW_FLOW_COOKIE, path=_COOKIE_PATH)  # this flow is a reconnect
    return response
