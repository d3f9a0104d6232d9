"""The ERP calls of the OAuth connect flow (`app.oauth`): the authorization code exchanged for a token
pair at the ERP's token endpoint (RFC 6749 §4.1.3, client authenticated by HTTP Basic, the PKCE
verifier when one was sent), and the organisations a Xero login reaches (`GET /connections`, bearer
token, no tenant header: xero.md §Tenancy and OAuth 2.0). Failures are `ERPError`s as everywhere:
transient (5xx, 408, 429, unreachable), configuration (client id/secret refused), auth (code refused),
protocol (an answer without a token pair). Issued tokens are registered with the log redaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import httpx

from smartap_erp.app.models import AppModel
from smartap_erp.domain.enums import ERPSystem
from smartap_erp.errors import (
    ConfigurationError,
    ERPAuthError,
    ERPConfigurationError,
    ERPProtocolError,
    ERPTransientError,
)
from smartap_erp.http.redact import register_secret
from smartap_erp.http.tokens import Token

TIMEOUT = httpx.Timeout(30.0, connect=10.0)


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
