"""Xero identity in the simulator: credentials, token grants, rotation grace, /connections, tenant checks."""

from __future__ import annotations

import base64
import hashlib
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from erpsim.core import Clock, SimConfig
from erpsim.registry import load_system
from erpsim.xero import credentials

from .conftest import API, auth_headers

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def basic(creds: dict[str, str], secret: str | None = None) -> dict[str, str]:
    raw = f"{creds['client_id']}:{secret or creds['client_secret']}".encode()
    return {**FORM, "Authorization": "Basic " + base64.b64encode(raw).decode()}


async def refresh(client: httpx.AsyncClient, creds: dict[str, str], token: str) -> httpx.Response:
    return await client.post(
        "/connect/token", headers=basic(creds), content=f"grant_type=refresh_token&refresh_token={token}"
    )


def test_registry_and_credentials_are_deterministic_per_seed() -> None:
    system = load_system("xero")
    assert system.credentials(SimConfig(seed=1)) == credentials(SimConfig(seed=1))
    assert credentials(SimConfig(seed=1)) != credentials(SimConfig(seed=2))
    assert set(credentials(SimConfig())) == {
        "client_id",
        "client_secret",
        "tenant_id",
        "access_token",
        "refresh_token",
    }


async def test_connections_lists_both_tenants_and_credentials_name_the_first(
    client: httpx.AsyncClient, creds: dict[str, str]
) -> None:
    response = await client.get("/connections", headers={"xero-tenant-id": ""})
    assert response.status_code == 200
    tenants = response.json()
    assert len(tenants) == 2
    assert tenants[0]["tenantId"] == creds["tenant_id"]
    assert {t["tenantType"] for t in tenants} == {"ORGANISATION"}
    assert set(tenants[0]) == {
        "id",
        "authEventId",
        "tenantId",
        "tenantType",
        "tenantName",
        "createdDateUtc",
        "updatedDateUtc",
    }
    assert "X-AppMinLimit-Remaining" in response.headers
    # not tenant-scoped (xero.md §Tenancy and OAuth 2.0)
    assert "X-MinLimit-Remaining" not in response.headers


async def test_tenant_header_is_required_and_checked(
    client: httpx.AsyncClient, creds: dict[str, str]
) -> None:
    other = (await client.get("/connections")).json()[1]["tenantId"]
    missing = await client.get(f"{API}/Organisation", headers={"xero-tenant-id": ""})
    wrong = await client.get(
        f"{API}/Organisation", headers={"xero-tenant-id": "6a6b3a1e-0000-4000-8000-000000000000"}
    )
    assert missing.status_code == wrong.status_code == 403
    assert wrong.json()["Detail"] == "AuthorizationUnsuccessful"
    mine = (await client.get(f"{API}/Organisation")).json()["Organisations"][0]
    theirs = (await client.get(f"{API}/Organisation", headers={"xero-tenant-id": other})).json()[
        "Organisations"
    ][0]
    assert mine["OrganisationID"] == creds["tenant_id"]
    assert theirs["OrganisationID"] == other and theirs["Name"] != mine["Name"]
    conn_id = (await client.get("/connections")).json()[1]["id"]
    assert (await client.delete(f"/connections/{conn_id}")).status_code == 204
    gone = await client.get(f"{API}/Organisation", headers={"xero-tenant-id": other})
    assert gone.status_code == 403


async def test_missing_or_expired_access_token_is_401(
    app: Any, client: httpx.AsyncClient, fixed_clock: Clock, creds: dict[str, str]
) -> None:
    no_token = await client.get(f"{API}/Organisation", headers={"Authorization": ""})
    assert no_token.status_code == 401
    assert (await client.get(f"{API}/Organisation")).status_code == 200
    fixed_clock.advance(30 * 60 + 1)
    expired = await client.get(f"{API}/Organisation")
    assert expired.status_code == 401
    assert expired.json()["Detail"].startswith("TokenExpired")
    assert "invalid_token" in expired.headers["WWW-Authenticate"]


async def test_refresh_rotates_and_the_old_token_has_a_30_minute_grace(
    client: httpx.AsyncClient, fixed_clock: Clock, creds: dict[str, str]
) -> None:
    first = await refresh(client, creds, creds["refresh_token"])
    assert first.status_code == 200
    body = first.json()
    assert body["expires_in"] == 1800 and body["token_type"] == "Bearer"
    assert body["refresh_token"] != creds["refresh_token"]
    fresh = {**auth_headers(creds), "Authorization": f"Bearer {body['access_token']}"}
    assert (await client.get(f"{API}/Organisation", headers=fresh)).status_code == 200
    fixed_clock.advance(29 * 60)
    assert (await refresh(client, creds, creds["refresh_token"])).status_code == 200  # lost-response grace
    fixed_clock.advance(2 * 60)
    late = await refresh(client, creds, creds["refresh_token"])
    assert late.status_code == 400 and late.json() == {"error": "invalid_grant"}
    assert (await refresh(client, creds, body["refresh_token"])).status_code == 200
    state = (await client.get("/_sim/state")).json()
    assert state["auth"]["tokens_refreshed"] == 3


async def test_client_authentication_and_form_checks(
    client: httpx.AsyncClient, creds: dict[str, str]
) -> None:
    wrong_secret = await client.post(
        "/connect/token",
        headers=basic(creds, "nope"),
        content=f"grant_type=refresh_token&refresh_token={creds['refresh_token']}",
    )
    assert wrong_secret.status_code == 401 and wrong_secret.json() == {"error": "invalid_client"}
    in_form = await client.post(
        "/connect/token",
        headers=FORM,
        content=(
            f"grant_type=refresh_token&refresh_token={creds['refresh_token']}"
            f"&client_id={creds['client_id']}&client_secret={creds['client_secret']}"
        ),
    )
    assert in_form.status_code == 200
    bad_grant = await client.post("/connect/token", headers=basic(creds), content="grant_type=password")
    assert bad_grant.json() == {"error": "unsupported_grant_type"}


async def test_authorize_approves_at_once_and_the_code_is_single_use(
    client: httpx.AsyncClient, creds: dict[str, str]
) -> None:
    redirect = "http://127.0.0.1:9/callback"
    response = await client.get(
        "/identity/connect/authorize",
        params={
            "response_type": "code",
            "client_id": creds["client_id"],
            "redirect_uri": redirect,
            "scope": "offline_access accounting.transactions",
            "state": "xyz",
        },
    )
    assert response.status_code == 302
    location = urlsplit(response.headers["location"])
    query = parse_qs(location.query)
    assert f"{location.scheme}://{location.netloc}{location.path}" == redirect and query["state"] == ["xyz"]
    form = f"grant_type=authorization_code&code={query['code'][0]}&redirect_uri={redirect}"
    assert (await client.post("/connect/token", headers=basic(creds), content=form)).status_code == 200
    again = await client.post("/connect/token", headers=basic(creds), content=form)
    assert again.json() == {"error": "invalid_grant"}


async def test_a_pkce_code_is_redeemed_only_with_its_verifier(
    client: httpx.AsyncClient, creds: dict[str, str]
) -> None:
    redirect = "http://127.0.0.1:9/callback"
    verifier = "v" * 43
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()

    async def code(method: str = "S256") -> httpx.Response:
        return await client.get(
            "/identity/connect/authorize",
            params={
                "response_type": "code",
                "client_id": creds["client_id"],
                "redirect_uri": redirect,
                "code_challenge": challenge,
                "code_challenge_method": method,
            },
        )

    async def redeem(verifier_part: str) -> httpx.Response:
        response = await code()
        issued = parse_qs(urlsplit(response.headers["location"]).query)["code"][0]
        form = f"grant_type=authorization_code&code={issued}&redirect_uri={redirect}{verifier_part}"
        return await client.post("/connect/token", headers=basic(creds), content=form)

    assert (await code("plain")).status_code == 400
    assert (await redeem("")).json() == {"error": "invalid_grant"}
    assert (await redeem("&code_verifier=" + "w" * 43)).json() == {"error": "invalid_grant"}
    granted = await redeem("&code_verifier=" + verifier)
    assert granted.status_code == 200 and granted.json()["token_type"] == "Bearer"
