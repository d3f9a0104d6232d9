"""QBO OAuth 2.0: bearer checks, expiry on the simulator clock, rotation, codes, revocation."""

from __future__ import annotations

import base64
from urllib.parse import parse_qs, urlparse

import httpx

from .conftest import Qbo

TOKEN_URL = "/oauth2/v1/tokens/bearer"


def basic(qbo: Qbo, secret: str | None = None) -> dict[str, str]:
    raw = f"{qbo.creds['client_id']}:{secret or qbo.creds['client_secret']}".encode()
    return {"Authorization": "Basic " + base64.b64encode(raw).decode(), "Accept": "application/json"}


async def refresh(client: httpx.AsyncClient, qbo: Qbo, token: str) -> httpx.Response:
    return await client.post(
        TOKEN_URL, data={"grant_type": "refresh_token", "refresh_token": token}, headers=basic(qbo)
    )


async def ping(qbo: Qbo, token: str | None = None) -> httpx.Response:
    async with qbo.client(token) as client:
        return await client.get(f"{qbo.base}/companyinfo/{qbo.creds['realm_id']}")


async def test_seeded_access_token_works_then_expires_after_an_hour(qbo: Qbo) -> None:
    ok = await ping(qbo)
    assert ok.status_code == 200 and ok.json()["CompanyInfo"]["CompanyName"] == "SmartAP Demo Company"
    qbo.clock.advance(3599)
    assert (await ping(qbo)).status_code == 200
    qbo.clock.advance(1)
    expired = await ping(qbo)
    assert expired.status_code == 401
    body = expired.json()
    assert body["fault"]["type"] == "AUTHENTICATION"
    assert body["fault"]["error"][0]["code"] == "3200"
    assert (
        body["fault"]["error"][0]["message"]
        == "message=AuthenticationFailed; errorCode=003200; statusCode=401"
    )
    assert body["fault"]["error"][0]["detail"] == "Token expired"
    assert qbo.creds["access_token"] not in expired.text


async def test_missing_or_unknown_token_is_401(qbo: Qbo) -> None:
    assert (await ping(qbo, token="")).status_code == 401
    unknown = await ping(qbo, token="not-a-token")
    assert unknown.status_code == 401 and unknown.json()["fault"]["error"][0]["detail"] == "Token invalid"


async def test_token_for_another_realm_is_403(qbo: Qbo) -> None:
    async with qbo.client() as client:
        response = await client.get("/v3/company/123/query", params={"query": "select * from Term"})
    assert response.status_code == 403
    assert response.json()["Fault"]["Error"][0]["code"] == "3100"


async def test_refresh_rotates_and_an_older_token_dies_once_a_newer_one_is_used(qbo: Qbo) -> None:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=qbo.app), base_url="http://qbo") as client:
        first = await refresh(client, qbo, qbo.creds["refresh_token"])
        assert first.status_code == 200
        body = first.json()
        assert body["token_type"] == "bearer" and body["expires_in"] == 3600
        assert body["x_refresh_token_expires_in"] == 8726400
        rt1 = body["refresh_token"]
        assert rt1 != qbo.creds["refresh_token"]
        assert (await ping(qbo, body["access_token"])).status_code == 200
        # RT0 has not been superseded by use yet: a retry of the same refresh still works.
        retry = await refresh(client, qbo, qbo.creds["refresh_token"])
        assert retry.status_code == 200
        second = await refresh(client, qbo, rt1)
        assert second.status_code == 200
        stale = await refresh(client, qbo, qbo.creds["refresh_token"])
        assert stale.status_code == 400
        assert stale.json() == {
            "error": "invalid_grant",
            "error_description": "Incorrect or invalid refresh token",
        }
        assert (await refresh(client, qbo, second.json()["refresh_token"])).status_code == 200
        state = (await client.get("/_sim/state")).json()
    assert state["auth"]["tokens_refreshed"] == 4
    assert state["auth"]["tokens_issued"] == 4


async def test_refreshed_access_token_expires_on_the_advanced_clock(qbo: Qbo) -> None:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=qbo.app), base_url="http://qbo") as client:
        access = (await refresh(client, qbo, qbo.creds["refresh_token"])).json()["access_token"]
        await client.post("/_sim/clock", json={"advance_seconds": 3600})
    assert (await ping(qbo, access)).status_code == 401


async def test_bad_client_credentials_and_grant_types(qbo: Qbo) -> None:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=qbo.app), base_url="http://qbo") as client:
        bad_secret = await client.post(
            TOKEN_URL,
            data={"grant_type": "refresh_token", "refresh_token": qbo.creds["refresh_token"]},
            headers=basic(qbo, secret="wrong"),
        )
        assert bad_secret.status_code == 401 and bad_secret.json()["error"] == "invalid_client"
        weird = await client.post(TOKEN_URL, data={"grant_type": "password"}, headers=basic(qbo))
        assert weird.json()["error"] == "unsupported_grant_type"
        posted = await client.post(
            TOKEN_URL,
            data={
                "grant_type": "refresh_token",
                "client_id": qbo.creds["client_id"],
                "client_secret": qbo.creds["client_secret"],
                "refresh_token": qbo.creds["refresh_token"],
            },
        )
        assert posted.status_code == 200  # client_secret_post


async def test_authorization_code_flow_redirects_with_code_and_realm(qbo: Qbo) -> None:
    redirect = "https://app.example.com/callback"
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=qbo.app), base_url="http://qbo") as client:
        answer = await client.get(
            "/connect/oauth2",
            params={
                "client_id": qbo.creds["client_id"],
                "response_type": "code",
                "redirect_uri": redirect,
                "scope": "com.intuit.quickbooks.accounting",
                "state": "xyz",
            },
        )
        assert answer.status_code == 302
        location = urlparse(answer.headers["location"])
        params = {k: v[0] for k, v in parse_qs(location.query).items()}
        assert f"{location.scheme}://{location.netloc}{location.path}" == redirect
        assert params["state"] == "xyz" and params["realmId"] == qbo.creds["realm_id"]
        exchange = {"grant_type": "authorization_code", "code": params["code"], "redirect_uri": redirect}
        tokens = await client.post(TOKEN_URL, data=exchange, headers=basic(qbo))
        assert tokens.status_code == 200
        again = await client.post(TOKEN_URL, data=exchange, headers=basic(qbo))
        assert again.status_code == 400 and again.json()["error"] == "invalid_grant"
    assert (await ping(qbo, tokens.json()["access_token"])).status_code == 200


async def test_expire_tokens_fault_and_revocation(qbo: Qbo) -> None:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=qbo.app), base_url="http://qbo") as client:
        await client.post("/_sim/faults", content="expire_tokens")
        assert (await ping(qbo)).status_code == 401
        fresh = (await refresh(client, qbo, qbo.creds["refresh_token"])).json()
        assert (await ping(qbo, fresh["access_token"])).status_code == 200
        revoked = await client.post(
            "/v2/oauth2/tokens/revoke", json={"token": fresh["refresh_token"]}, headers=basic(qbo)
        )
        assert revoked.status_code == 200
        assert (await ping(qbo, fresh["access_token"])).status_code == 401
        assert (await refresh(client, qbo, fresh["refresh_token"])).status_code == 400
