"""Connections over HTTP on SQLite and PostgreSQL: create, get, list by cursor, update, pause and
resume, delete; credentials write-only (only the names of the fields set come back, never a value,
not even in a validation error); refusals as problem documents (409 taken name, 422 bad URL or
missing credential field or nothing to change, 404 unknown); scopes (read GETs, write tests,
admin changes); a test against the QuickBooks simulator (company name and country, the connection
active) and a refused one (502 with the ERP's code, the connection in error, `errors` in its health);
health linking a failed run to its sync log."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import httpx

from smartap_erp.db.models import ERPConnection
from smartap_erp.domain.enums import ERPEntity, ERPSystem, SyncDirection
from smartap_erp.sync.logs import finish_log, start_log
from tests.api.conftest import KeyFor, SimulatedApp, bearer
from tests.app.simulated import T0
from tests.app.test_connections import CREDENTIALS, SECRET
from tests.sync.harness import ErpHarness

URL = "/api/v1/erp/connections"


def body(name: str, **fields: Any) -> dict[str, Any]:
    return {"system": "quickbooks", "name": name, "credentials": CREDENTIALS, **fields}


def problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    found: dict[str, Any] = response.json()
    return found


async def test_create_get_update_and_delete(api: httpx.AsyncClient) -> None:
    made = await api.post(
        URL, json=body("Books", interval_minutes=15, conflict_policies={"vendor": "manual"})
    )
    assert made.status_code == 201, made.text
    shown = made.json()
    assert (shown["name"], shown["system"], shown["status"]) == ("Books", "quickbooks", "pending")
    assert shown["credentials_set"] == sorted(CREDENTIALS) and shown["interval_minutes"] == 15
    assert SECRET not in made.text and "access-token-value" not in made.text

    cid = shown["id"]
    assert (await api.get(f"{URL}/{cid}")).json() == shown
    assert (await api.get(f"{URL}/Books")).json()["id"] == cid  # a name addresses it too

    changed = await api.patch(
        f"{URL}/{cid}",
        json={
            "name": "Books US",
            "api_url": "http://127.0.0.1:9",
            "interval_minutes": 30,
            "conflict_policies": {"purchase_order": "erp_wins"},
            "credentials": {**CREDENTIALS, "environment": "sandbox"},
        },
    )
    assert changed.status_code == 200, changed.text
    after = changed.json()
    assert (after["name"], after["api_url"], after["interval_minutes"]) == (
        "Books US",
        "http://127.0.0.1:9",
        30,
    )
    assert after["conflict_policies"] == {"vendor": "manual", "purchase_order": "erp_wins"}
    assert "environment" in after["credentials_set"] and SECRET not in changed.text

    removed = await api.delete(f"{URL}/{cid}")
    assert removed.status_code == 200 and removed.json() == {"id": cid, "name": "Books US"}
    gone = problem(await api.get(f"{URL}/{cid}"), 404)
    assert "no connection" in gone["detail"]


async def test_list_pages_by_cursor(api: httpx.AsyncClient) -> None:
    for name in ("e", "a", "d", "b", "c"):
        assert (await api.post(URL, json=body(name))).status_code == 201

    seen, cursor, pages = [], None, 0
    while True:
        params: dict[str, Any] = {"limit": 2} if cursor is None else {"limit": 2, "cursor": cursor}
        page = (await api.get(URL, params=params)).json()
        seen += [c["name"] for c in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert (seen, pages) == (["a", "b", "c", "d", "e"], 3)
    assert all("credentials" not in c for c in (await api.get(URL)).json()["items"])

    assert problem(await api.get(URL, params={"limit": 201}), 422)["errors"][0]["pointer"] == "/query/limit"
    assert "cursor" in problem(await api.get(URL, params={"cursor": "%%%"}), 422)["detail"]


async def test_refusals_are_problems_and_never_echo_credentials(api: httpx.AsyncClient) -> None:
    assert (await api.post(URL, json=body("Books"))).status_code == 201

    taken = problem(await api.post(URL, json=body("Books")), 409)
    assert "already exists" in taken["detail"]
    bad_url = problem(await api.post(URL, json=body("Other", api_url="ftp://x")), 422)
    assert [e["pointer"] for e in bad_url["errors"]] == ["/body/api_url"]
    partial = {k: v for k, v in CREDENTIALS.items() if k != "realm_id"}
    missing = problem(await api.post(URL, json=body("Other", credentials=partial)), 422)
    assert "realm_id" in missing["detail"]
    wrong = problem(await api.post(URL, json=body("Other", interval_minutes=0, unknown=SECRET)), 422)
    assert {e["pointer"] for e in wrong["errors"]} == {"/body/interval_minutes", "/body/unknown"}
    for response in (bad_url, missing, wrong):
        assert SECRET not in str(response) and "access-token-value" not in str(response)

    assert "nothing to change" in problem(await api.patch(f"{URL}/Books", json={}), 422)["detail"]
    assert problem(await api.patch(f"{URL}/nope", json={"auto_sync": False}), 404)
    assert problem(await api.delete(f"{URL}/nope"), 404)
    assert [c["name"] for c in (await api.get(URL)).json()["items"]] == ["Books"]


async def test_scopes(api: httpx.AsyncClient, anon: httpx.AsyncClient, key_for: KeyFor) -> None:
    cid = (await api.post(URL, json=body("Books"))).json()["id"]
    read, write = bearer(await key_for("read")), bearer(await key_for("write"))

    assert (await anon.get(URL)).status_code == 401
    assert (await anon.get(URL, headers=read)).status_code == 200
    assert (await anon.get(f"{URL}/{cid}/health", headers=read)).status_code == 200
    assert (await anon.post(URL, json=body("Other"), headers=write)).status_code == 403
    assert (await anon.patch(f"{URL}/{cid}", json={"auto_sync": False}, headers=write)).status_code == 403
    assert (await anon.post(f"{URL}/{cid}/pause", headers=write)).status_code == 403
    assert (await anon.delete(f"{URL}/{cid}", headers=write)).status_code == 403
    assert (await anon.post(f"{URL}/{cid}/test", headers=read)).status_code == 403
    assert [c["name"] for c in (await api.get(URL)).json()["items"]] == ["Books"]


async def test_pause_and_resume_scheduled_syncs(api: httpx.AsyncClient) -> None:
    cid = (await api.post(URL, json=body("Books"))).json()["id"]
    paused = await api.post(f"{URL}/{cid}/pause")
    assert paused.status_code == 200 and paused.json()["auto_sync"] is False
    assert (await api.get(f"{URL}/{cid}")).json()["auto_sync"] is False
    assert (await api.post(f"{URL}/{cid}/resume")).json()["auto_sync"] is True


async def test_a_test_reaches_the_simulator_and_a_refusal_shows_in_health(
    api: httpx.AsyncClient, anon: httpx.AsyncClient, key_for: KeyFor, api_ctx: SimulatedApp
) -> None:
    assert api_ctx.sync is not None
    harness = await ErpHarness.start(ERPSystem.QUICKBOOKS, api_ctx.sync, name="Books", vendors=1)
    cid = str(harness.connection.id)

    tested = await anon.post(f"{URL}/{cid}/test", headers=bearer(await key_for("write")))
    assert tested.status_code == 200, tested.text
    info = tested.json()
    assert info["success"] is True and info["system"] == "quickbooks"
    assert info["company_id"] == harness.sim.credentials()["realm_id"]
    assert info["company_name"] and info["country"]
    assert (await api.get(f"{URL}/{cid}")).json()["status"] == "active"
    assert (await api.get(f"{URL}/{cid}/health")).json()["errors"] == []

    revoked = {**harness.sim.credentials(), "access_token": "expired-token", "refresh_token": "revoked-token"}
    assert (await api.patch(f"{URL}/{cid}", json={"credentials": revoked})).status_code == 200
    refused = problem(await api.post(f"{URL}/{cid}/test"), 502)
    assert refused["erp"] == "quickbooks" and refused["retryable"] is False
    assert "revoked-token" not in str(refused) and "expired-token" not in str(refused)

    health = (await api.get(f"{URL}/{cid}/health")).json()
    assert health["connection"]["status"] == "error" and health["healthy"] is False
    assert [e["type"] for e in health["errors"]] == ["auth"]
    assert health["errors"][0]["message"].startswith("reconnect QuickBooks")


async def test_health_links_a_failed_run_to_its_sync_log(
    api: httpx.AsyncClient, api_ctx: SimulatedApp
) -> None:
    cid = (await api.post(URL, json=body("Books"))).json()["id"]
    async with api_ctx.sessions() as session:
        stored = await session.get(ERPConnection, uuid.UUID(cid))
        assert stored is not None
        log = await start_log(
            session, stored, entity=ERPEntity.VENDOR, direction=SyncDirection.IMPORT, now=T0
        )
        end = T0 + dt.timedelta(seconds=5)
        finish_log(
            log, stored, total=3, succeeded=0, errors=[], now=end, error_message="QuickBooks unreachable"
        )
        await session.commit()
        log_id = str(log.id)

    health = (await api.get(f"{URL}/{cid}/health")).json()
    assert health["healthy"] is True and health["last_sync"]["id"] == log_id  # a failed run, not a stop
    assert health["errors"] == [
        {
            "type": "sync",
            "kind": "internal",  # stopped with a message but no exception to classify
            "message": "QuickBooks unreachable",
            "at": end.isoformat().replace("+00:00", "Z"),
            "sync_log_id": log_id,
            "sync_log_url": f"/api/v1/erp/sync-logs/{log_id}",
        }
    ]
