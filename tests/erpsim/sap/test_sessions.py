"""Login, cookies, idle timeout, logout, ROUTEID pinning and the 401 / code 301 envelope
(sap.md §Login and session cookies)."""

from __future__ import annotations

from typing import Any

import httpx

from erpsim.core import SimConfig
from tests.erpsim.sap.conftest import login_body

SESSION_ERROR = {
    "error": {
        "code": 301,
        "message": {"lang": "en-us", "value": "Invalid session or session already timeout."},
    }
}


async def test_login_sets_cookies_and_reports_timeout(anon: httpx.AsyncClient, config: SimConfig) -> None:
    response = await anon.post("/b1s/v1/Login", json=login_body(config))
    assert response.status_code == 200
    body = response.json()
    assert body["SessionTimeout"] == 30
    assert body["odata.metadata"].endswith("/b1s/v1/$metadata#B1Sessions/@Element")
    cookies = response.headers.get_list("set-cookie")
    assert any(c.startswith(f"B1SESSION={body['SessionId']};") and "HttpOnly" in c for c in cookies)
    assert any(c.startswith("ROUTEID=.node") and "path=/b1s" in c for c in cookies)
    assert (await anon.get("/b1s/v1/BusinessPartners")).status_code == 200


async def test_v2_login_uses_v4_annotations(anon: httpx.AsyncClient, config: SimConfig) -> None:
    response = await anon.post("/b1s/v2/Login", json=login_body(config))
    assert response.status_code == 200
    assert "@odata.context" in response.json()
    page = (await anon.get("/b1s/v2/ChartOfAccounts")).json()
    assert "@odata.context" in page and "odata.metadata" not in page


async def test_missing_session_is_401_code_301(anon: httpx.AsyncClient) -> None:
    response = await anon.get("/b1s/v1/BusinessPartners")
    assert response.status_code == 401
    assert response.json() == SESSION_ERROR
    v2 = await anon.get("/b1s/v2/BusinessPartners")
    assert v2.status_code == 401
    assert v2.json() == {"error": {"code": "301", "message": "Invalid session or session already timeout."}}


async def test_login_path_is_case_sensitive(anon: httpx.AsyncClient, config: SimConfig) -> None:
    response = await anon.post("/b1s/v1/login", json=login_body(config))
    assert response.status_code == 401
    assert response.json() == SESSION_ERROR


async def test_wrong_password_or_company_refused(anon: httpx.AsyncClient, config: SimConfig) -> None:
    bad_password = {**login_body(config), "Password": "wrong"}
    response = await anon.post("/b1s/v1/Login", json=bad_password)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == -304
    response = await anon.post("/b1s/v1/Login", json=login_body(config, "SBONOPE"))
    assert response.status_code == 401
    missing = await anon.post("/b1s/v1/Login", json={"UserName": "manager"})
    assert missing.status_code == 400
    assert "set-cookie" not in missing.headers


async def test_idle_timeout_and_activity_resets_it(client: httpx.AsyncClient, app: Any) -> None:
    clock = app.state.sim.clock
    clock.advance(29 * 60)
    assert (await client.get("/b1s/v1/ChartOfAccounts")).status_code == 200
    clock.advance(29 * 60)  # 58 min since login, 29 since the last request
    assert (await client.get("/b1s/v1/ChartOfAccounts")).status_code == 200
    clock.advance(30 * 60 + 1)
    response = await client.get("/b1s/v1/ChartOfAccounts")
    assert response.status_code == 401
    assert response.json() == SESSION_ERROR
    assert app.state.sim.sessions_open() == 0


async def test_logout_ends_session(client: httpx.AsyncClient, app: Any) -> None:
    assert app.state.sim.sessions_open() == 1
    assert (await client.post("/b1s/v1/Logout")).status_code == 204
    assert app.state.sim.sessions_open() == 0
    assert (await client.get("/b1s/v1/ChartOfAccounts")).status_code == 401


async def test_expire_tokens_fault_drops_sessions(client: httpx.AsyncClient) -> None:
    assert (await client.post("/_sim/faults", content="expire_sessions")).status_code == 200
    assert (await client.get("/b1s/v1/ChartOfAccounts")).status_code == 401
    state = (await client.get("/_sim/state")).json()
    assert state["auth"]["sessions_open"] == 0
    assert state["auth"]["tokens_issued"] == 1


async def test_routeid_pins_session_to_its_node(client: httpx.AsyncClient, app: Any) -> None:
    session = client.cookies["B1SESSION"]
    route = client.cookies["ROUTEID"]
    other = ".node2" if route == ".node1" else ".node1"
    client.cookies.clear()
    wrong = await client.get(
        "/b1s/v1/ChartOfAccounts", headers={"Cookie": f"B1SESSION={session}; ROUTEID={other}"}
    )
    assert wrong.status_code == 401
    # Without ROUTEID the balancer alternates members: one of two consecutive calls lands elsewhere.
    statuses = {
        (await client.get("/b1s/v1/ChartOfAccounts", headers={"Cookie": f"B1SESSION={session}"})).status_code
        for _ in range(2)
    }
    assert statuses == {200, 401}


async def test_session_is_bound_to_its_company(anon: httpx.AsyncClient, config: SimConfig) -> None:
    assert (await anon.post("/b1s/v1/Login", json=login_body(config, "SBODEMOGB"))).status_code == 200
    vat = (await anon.get("/b1s/v1/VatGroups")).json()["value"]
    assert {g["Code"] for g in vat} >= {"I1", "O1"}
    assert (await anon.get("/b1s/v1/SalesTaxCodes")).json()["value"] == []
    partners = (await anon.get("/b1s/v1/BusinessPartners", headers={"Prefer": "odata.maxpagesize=0"})).json()
    assert len(partners["value"]) < 45
