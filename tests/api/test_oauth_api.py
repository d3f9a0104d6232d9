"""OAuth connect over HTTP (issue 14), end to end against the QuickBooks and Xero simulators on
SQLite and PostgreSQL: start (admin only) answers the authorize URL, the simulator's authorize
endpoint redirects the browser to `/api/v1/oauth/callback` with code and state (no API key needed),
the callback stores the tokens and answers the connection (never a token or secret); Xero's several
organisations are chosen through `/api/v1/oauth/choose-tenant`; a replayed or foreign state is a 422
problem document; a read key cannot start a flow."""

from __future__ import annotations

from typing import Any

import httpx
from cryptography.fernet import Fernet

from smartap_erp.api.errors import PROBLEM_JSON
from tests.api.conftest import KeyFor, bearer
from tests.app.oauth_sim import Sim
from tests.app.simulated import SimulatedApp

REDIRECT = "http://api.test/api/v1/oauth/callback"


def mount(ctx: SimulatedApp, sim: Sim) -> None:
    assert ctx.sync is not None
    ctx.sync.connector_options["transport"] = sim.transport  # the ERP's hosts are the simulator


async def browse(sim: Sim, anon: httpx.AsyncClient, authorize_url: str) -> httpx.Response:
    """The browser: the ERP's authorize page redirects it to our callback, which it then opens."""
    location = await sim.redirect(authorize_url)
    return await anon.get(location.raw_path.decode())


def new_body(sim: Sim, name: str, **extra: Any) -> dict[str, Any]:
    system = sim.url.removeprefix("http://").removesuffix(".test")
    return {
        "system": system,
        "name": name,
        "api_url": sim.url,
        "redirect_uri": REDIRECT,
        **sim.client(),
        **extra,
    }


def no_secrets(response: httpx.Response, sim: Sim) -> None:
    for name in ("client_secret", "access_token", "refresh_token"):
        assert sim.credentials[name] not in response.text
    for word in ("access_token", "refresh_token", "code_verifier"):
        assert word not in response.text


async def test_quickbooks_connect_over_http(
    api: httpx.AsyncClient, anon: httpx.AsyncClient, api_ctx: SimulatedApp
) -> None:
    qbo = Sim("quickbooks")
    mount(api_ctx, qbo)
    started = await api.post("/api/v1/oauth/start", json=new_body(qbo, "Books"))
    assert started.status_code == 201, started.text
    assert started.json()["authorize_url"].startswith("http://quickbooks.test/connect/oauth2?")
    no_secrets(started, qbo)

    done = await browse(qbo, anon, started.json()["authorize_url"])
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "connected"
    connection = done.json()["connection"]
    assert connection["name"] == "Books" and connection["status"] == "active"
    no_secrets(done, qbo)

    detail = await api.get(f"/api/v1/erp/connections/{connection['id']}")
    assert detail.status_code == 200
    assert {"access_token", "refresh_token", "realm_id"} <= set(detail.json()["credentials_set"])

    # Reconnect the same connection; then the old state again is refused (replay).
    again = await api.post(
        f"/api/v1/erp/connections/{connection['id']}/oauth/start", json={"redirect_uri": REDIRECT}
    )
    assert again.status_code == 200, again.text
    state = dict(httpx.URL(again.json()["authorize_url"]).params)["state"]
    assert (await browse(qbo, anon, again.json()["authorize_url"])).json()["status"] == "connected"
    replay = await anon.get("/api/v1/oauth/callback", params={"state": state, "code": "x", "realmId": "1"})
    assert replay.status_code == 422
    assert replay.headers["content-type"].startswith(PROBLEM_JSON)
    assert "already used" in replay.json()["detail"]


async def test_xero_tenant_choice_over_http(
    api: httpx.AsyncClient, anon: httpx.AsyncClient, api_ctx: SimulatedApp
) -> None:
    xero = Sim("xero")
    mount(api_ctx, xero)
    started = await api.post("/api/v1/oauth/start", json=new_body(xero, "Xero org"))
    assert "code_challenge_method=S256" in started.json()["authorize_url"]
    offered = await browse(xero, anon, started.json()["authorize_url"])
    assert offered.status_code == 200 and offered.json()["status"] == "choose_tenant"
    no_secrets(offered, xero)
    body = offered.json()
    second = body["tenants"][1]["tenant_id"]

    chosen = await anon.post(
        "/api/v1/oauth/choose-tenant", json={"choice": body["choice"], "tenant_id": second}
    )
    assert chosen.status_code == 200, chosen.text
    assert chosen.json()["connection"]["name"] == "Xero org"
    no_secrets(chosen, xero)
    listed = await api.get(f"/api/v1/erp/connections/{chosen.json()['connection']['id']}")
    assert "tenant_id" in listed.json()["credentials_set"]
    tested = await api.post(f"/api/v1/erp/connections/{chosen.json()['connection']['id']}/test")
    assert tested.status_code == 200, tested.text
    assert tested.json()["company_name"] == body["tenants"][1]["name"] == "Harbor Holdings (Demo)"
    spent = await anon.post(
        "/api/v1/oauth/choose-tenant", json={"choice": body["choice"], "tenant_id": second}
    )
    assert spent.status_code == 422


async def test_scopes_foreign_state_and_taken_name(
    api: httpx.AsyncClient, anon: httpx.AsyncClient, api_ctx: SimulatedApp, key_for: KeyFor
) -> None:
    qbo = Sim("quickbooks")
    mount(api_ctx, qbo)
    body = new_body(qbo, "Books")
    assert (await anon.post("/api/v1/oauth/start", json=body)).status_code == 401
    read = await anon.post("/api/v1/oauth/start", json=body, headers=bearer(await key_for("write")))
    assert read.status_code == 403

    foreign = Fernet(Fernet.generate_key()).encrypt(b'{"purpose": "oauth-state"}').decode()
    refused = await anon.get("/api/v1/oauth/callback", params={"state": foreign, "code": "c", "realmId": "1"})
    assert refused.status_code == 422 and "not recognised" in refused.json()["detail"]
    assert (await anon.get("/api/v1/oauth/callback")).status_code == 422  # no state at all

    started = await api.post("/api/v1/oauth/start", json=body)
    assert (await browse(qbo, anon, started.json()["authorize_url"])).status_code == 200
    taken = await api.post("/api/v1/oauth/start", json=body)
    assert taken.status_code == 409
    declined = await api.post("/api/v1/oauth/start", json=new_body(qbo, "Declined"))
    state = dict(httpx.URL(declined.json()["authorize_url"]).params)["state"]
    answer = await anon.get("/api/v1/oauth/callback", params={"state": state, "error": "access_denied"})
    assert answer.status_code == 422 and "access_denied" in answer.json()["detail"]
    forged = await api.post("/api/v1/oauth/start", json=new_body(qbo, "Forged"))
    back = await qbo.approve(forged.json()["authorize_url"])
    params = {"state": back["state"], "code": "forged-code", "realmId": back["realmId"]}
    erp_refused = await anon.get("/api/v1/oauth/callback", params=params)
    assert erp_refused.status_code == 502 and erp_refused.json()["erp_code"] == "invalid_grant"
    no_secrets(erp_refused, qbo)
    missing = await api.post("/api/v1/erp/connections/nope/oauth/start", json={})
    assert missing.status_code == 404
