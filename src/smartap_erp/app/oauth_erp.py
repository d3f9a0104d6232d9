"""The ERP calls of the OAuth connect flow (`app.oauth`): the authorization code exchanged for a token
pair at the ERP's token endpoint (RFC 6749 §4.1.3, client authenticated by HTTP Basic, the PKCE
verifier when one was sent), and the organisations a Xero login reaches (`GET /connections`, bearer
token, no tenant header: xero.md §Tenancy and OAuth 2.0). Failures are `ERPError`s as everywhere:
transient (5xx, 408, 429, unreachable), configuration (client id/secret refused), auth (code refused),
protocol (an answer without a token pair). Issued tokens are registered with the log redaction.
`revoke_replaced_grant` revokes the refresh token a reconnect replaced, at the provider's revocation
endpoint (QuickBooks: JSON `{"token": ...}`; Xero: RFC 7009 form `token=...`; both with HTTP Basic
client authentication); a revocation that fails is logged (never the token) and the reconnect stands.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from collections.abc import Mapping
from typing import Any

import httpx

from smartap_erp.app.models import AppModel
from smartap_erp.domain.enums import ERPSystem
from smartap_erp.errors import (
    ConfigurationError,
    ERPAuthError,
    ERPConfigurationError,
    ERPError,
    ERPProtocolError,
    ERPTransientError,
)
from smartap_erp.http.redact import get_logger, register_secret
from smartap_erp.http.tokens import Token

TIMEOUT = httpx.Timeout(30.0, connect=10.0)
# Intuit's revoke endpoint takes JSON {"token": ...} (quickbooks.md §OAuth 2.0 tokens, [Q16]); the
# others the RFC 7009 form.
_JSON_REVOCATION = frozenset({ERPSystem.QUICKBOOKS.value})

log = get_logger(__name__)


class TenantOption(AppModel):
    tenant_id: str
    name: str
    type: str


async def exchange_code(
    http: httpx.AsyncClient,
    *,
    erp: ERPSystem,
    token_url: str,
    redirect_uri: str,
    client: Mapping[str, str],
    code: str,
    code_verifier: str | None,
    now: dt.datetime,
) -> Token:
    """The token pair for `code`; the redirect URI must be the one the authorize request named."""
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
    if code_verifier:
        form["code_verifier"] = code_verifier
    try:
        response = await http.post(
            token_url,
            data=form,
            auth=httpx.BasicAuth(client["client_id"], client["client_secret"]),
            headers={"Accept": "application/json"},
        )
    except httpx.HTTPError as exc:
        raise ERPTransientError(
            f"token endpoint unreachable ({type(exc).__name__})", erp=erp, url=token_url, method="POST"
        ) from None
    details: dict[str, Any] = {"erp": erp, "url": token_url, "method": "POST", "status": response.status_code}
    body = _json(response)
    if response.status_code != 200:
        details.update(code=body.get("error"), message=body.get("error_description"))
        if response.status_code >= 500 or response.status_code in (408, 429):
            raise ERPTransientError("token endpoint unavailable; try again later", **details)
        if body.get("error") in ("invalid_client", "unauthorized_client"):
            raise ERPConfigurationError("token endpoint refused the app's client id/secret", **details)
        raise ERPAuthError("token endpoint refused the authorization code; connect again", **details)
    try:
        token = Token.from_token_response(body, now=now.timestamp())
    except (ValueError, TypeError):
        raise ERPProtocolError("token endpoint sent no token pair", **details) from None
    register_secret(token.access_token, token.refresh_token)  # masked in any later log line or error
    return token


async def xero_tenants(http: httpx.AsyncClient, url: str, token: Token) -> list[TenantOption]:
    """The organisations the new token set reaches (their `tenantId`, never the connection `id`)."""
    headers = {"Authorization": f"Bearer {token.access_token}", "Accept": "application/json"}
    try:
        response = await http.get(url, headers=headers)
    except httpx.HTTPError as exc:
        raise ERPTransientError(
            f"/connections unreachable ({type(exc).__name__})", erp=ERPSystem.XERO, url=url, method="GET"
        ) from None
    items = _json(response).get("items")
    if response.status_code != 200 or not isinstance(items, list):
        raise ERPProtocolError(
            "could not list the organisations of the login",
            erp=ERPSystem.XERO,
            url=url,
            method="GET",
            status=response.status_code,
        )
    tenants = [
        TenantOption(
            tenant_id=str(item["tenantId"]).lower(),
            name=str(item.get("tenantName") or ""),
            type=str(item.get("tenantType") or ""),
        )
        for item in items
        if isinstance(item, dict) and item.get("tenantId")
    ]
    if not tenants:
        raise ConfigurationError("xero: this login reaches no organisation; connect one in Xero first")
    return tenants


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {"items": body}


async def revoke_token(
    http: httpx.AsyncClient, *, erp: ERPSystem, revoke_url: str, client: Mapping[str, str], token: str
) -> None:
    """Revoke `token` (a refresh token) at the ERP; an `ERPError` when the ERP does not confirm it."""
    register_secret(token)
    auth = httpx.BasicAuth(client["client_id"], client["client_secret"])
    headers = {"Accept": "application/json"}
    try:
        if erp.value in _JSON_REVOCATION:
            response = await http.post(revoke_url, json={"token": token}, auth=auth, headers=headers)
        else:
            response = await http.post(revoke_url, data={"token": token}, auth=auth, headers=headers)
    except httpx.HTTPError as exc:
        raise ERPTransientError(
            f"revocation endpoint unreachable ({type(exc).__name__})", erp=erp, url=revoke_url, method="POST"
        ) from None
    if response.status_code != 200:
        body = _json(response)
        busy = response.status_code >= 500 or response.status_code in (408, 429)
        raise (ERPTransientError if busy else ERPProtocolError)(
            "revocation endpoint unavailable" if busy else "revocation endpoint refused the request",
            erp=erp,
            url=revoke_url,
            method="POST",
            status=response.status_code,
            code=body.get("error"),
            message=body.get("error_description"),
        )


async def revoke_replaced_grant(
    http: httpx.AsyncClient,
    *,
    erp: ERPSystem,
    revoke_url: str | None,
    client: Mapping[str, str],
    old: Mapping[str, object],
    new: Token,
    connection: str,
) -> bool:
    """Revoke the grant a reconnect replaced (its refresh token in `old`), so no second live grant
    stays behind at the ERP. Never raises: a failure is logged without the token, the old grant then
    lapses on its own (QuickBooks 100 days, Xero 60 days unused). True when the ERP confirmed it."""
    token = old.get("refresh_token")
    if revoke_url is None or not isinstance(token, str) or not token or token == new.refresh_token:
        return False
    if erp is ERPSystem.XERO and _same_xero_user(old.get("access_token"), new.access_token):
        # Xero's revocation removes all the user's connections to the app (xero-ruby PR #125), which
        # the grant just made by the same user uses too: leave the old refresh token to lapse.
        log.info("xero: connection %s reconnected by the same Xero user; old grant left to lapse", connection)
        return False
    try:
        await revoke_token(http, erp=erp, revoke_url=revoke_url, client=client, token=token)
    except ERPError as exc:
        log.warning(
            "%s: the grant connection %s replaced was not revoked (%s); it lapses on its own",
            erp.value,
            connection,
            exc,
        )
        return False
    log.info("%s: the grant connection %s replaced was revoked", erp.value, connection)
    return True


def _same_xero_user(old_access: object, new_access: str) -> bool:
    """Whether two Xero access tokens (JWTs) name the same `xero_userid`; False when either is not a
    JWT carrying it (the claims are read only to avoid revoking the new grant, never trusted)."""
    old_user, new_user = _jwt_claim(old_access, "xero_userid"), _jwt_claim(new_access, "xero_userid")
    return old_user is not None and old_user == new_user


def _jwt_claim(token: object, claim: str) -> str | None:
    parts = token.split(".") if isinstance(token, str) else []
    if len(parts) != 3:
        return None
    try:
        payload = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return None
    value = payload.get(claim) if isinstance(payload, dict) else None
    return str(value) if value else None
