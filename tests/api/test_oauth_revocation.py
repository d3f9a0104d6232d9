"""A reconnect revokes the grant it replaced, against the QuickBooks and Xero simulators, on SQLite and
PostgreSQL: after a second OAuth connect of the same connection the old refresh token is refused by
the ERP's token endpoint and the new pair works; a revocation endpoint that fails leaves the reconnect
done and logs no token; a Xero reconnect by the same Xero user (access-token claim) is not revoked,
since Xero's revocation would remove that user's connections, the new grant's too."""

from __future__ import annotations

import base64
import json
import logging

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from smartap_erp.app import connections, oauth
from smartap_erp.app.oauth_erp import _same_xero_user
from smartap_erp.domain.enums import ConnectionStatus
from tests.app.oauth_sim import Sim
from tests.app.simulated import SimulatedApp
from tests.app.test_oauth import app_for, start_new, stored

CALLBACK = {"quickbooks": "realmId"}


async def _connect(ctx: SimulatedApp, sim: Sim, name: str, *, new: bool) -> dict[str, str]:
    """One OAuth connect (a new connection, or a reconnect of `name`); the stored credentials."""
    system = sim.url.removeprefix("http://").removesuffix(".test")
    if new:
        started = await start_new(ctx, sim, name)
    else:
        started = await oauth.start(ctx, name, redirect_uri="https://smartap.example/cb")
    back = await sim.approve(started.authorize_url)
    realm = back.get(CALLBACK[system]) if system in CALLBACK else None
    result = await oauth.callback(ctx, state=back["state"], code=back["code"], realm_id=realm)
    if result.status == "choose_tenant":  # the Xero login reaches several organisations
        assert result.choice is not None
        result = await oauth.choose_tenant(ctx, choice=result.choice, tenant_id=result.tenants[0].tenant_id)
    assert result.status == "connected", result
    return (await stored(ctx, name))[1]


async def _refresh(sim: Sim, refresh_token: str) -> httpx.Response:
    """What the ERP's token endpoint says to `refresh_token` now."""
    path = "/oauth2/v1/tokens/bearer" if "quickbooks" in sim.url else "/connect/token"
    async with httpx.AsyncClient(transport=sim.transport, base_url=sim.url) as http:
        return await http.post(
            path,
            data={"grant_type": "refresh_token", "refresh_token": refresh_token},
            auth=(sim.credentials["client_id"], sim.credentials["client_secret"]),
        )


@pytest.mark.parametrize("system", ["quickbooks", "xero"])
async def test_reconnect_revokes_the_replaced_refresh_token(
    system: str, engine: AsyncEngine, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    sim = Sim(system)
    ctx = app_for(engine, session_factory, sim)
    first = await _connect(ctx, sim, "Books", new=True)
    second = await _connect(ctx, sim, "Books", new=False)

    assert second["refresh_token"] != first["refresh_token"]
    refused = await _refresh(sim, first["refresh_token"])
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_grant"
    assert (await connections.test_connection(ctx, "Books")).company_name  # the new pair works
    assert (await _refresh(sim, second["refresh_token"])).status_code == 200


@pytest.mark.parametrize("system", ["quickbooks", "xero"])
async def test_a_failed_revocation_does_not_fail_the_reconnect(
    system: str,
    engine: AsyncEngine,
    session_factory: async_sessionmaker[AsyncSession],
    caplog: pytest.LogCaptureFixture,
) -> None:
    sim = Sim(system)
    ctx = app_for(engine, session_factory, sim)
    first = await _connect(ctx, sim, "Books", new=True)

    async def failing(request: httpx.Request) -> httpx.Response:
        if "revo" in request.url.path:  # Intuit's /tokens/revoke, Xero's /connect/revocation
            return httpx.Response(503, json={"error": "temporarily_unavailable"})
        return await sim.transport.handle_async_request(request)

    assert ctx.sync is not None
    ctx.sync.connector_options["transport"] = httpx.MockTransport(failing)
    with caplog.at_level(logging.INFO):
        second = await _connect(ctx, sim, "Books", new=False)

    found, _ = await stored(ctx, "Books")
    assert found.status == ConnectionStatus.ACTIVE and second["refresh_token"] != first["refresh_token"]
    warned = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("was not revoked" in line for line in warned), warned
    assert first["refresh_token"] not in caplog.text and second["refresh_token"] not in caplog.text
    assert (await _refresh(sim, first["refresh_token"])).status_code == 200  # not revoked: it lapses


def _jwt(claims: dict[str, str]) -> str:
    def part(value: dict[str, str]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")

    return f"{part({'alg': 'RS256', 'typ': 'JWT'})}.{part(claims)}.c2lnbmF0dXJl"


def test_same_xero_user_is_told_by_the_access_token_claim() -> None:
    alice, bob = _jwt({"xero_userid": "a1"}), _jwt({"xero_userid": "b2"})
    assert _same_xero_user(alice, _jwt({"xero_userid": "a1", "jti": "other"}))
    assert not _same_xero_user(alice, bob)
    assert not _same_xero_user("xat_opaque", alice)  # not a JWT: cannot tell, so revoke
    assert not _same_xero_user(_jwt({"sub": "x"}), _jwt({"sub": "x"}))
