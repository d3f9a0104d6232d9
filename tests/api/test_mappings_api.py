"""Field mappings over HTTP on SQLite and PostgreSQL: create (compiled and checked against the
connection's ERP catalogue), list by cursor and entity, update (the changed rule compiled again; a
field cannot be cleared), delete, a mapping addressed through another connection is 404; a refused
rule is a 422 problem pointing at the body field with the syntax error's line and column; preview of
one rule not stored, and of the stored mappings, on given samples (per-record output and errors), a
preview's compile error answered with its position; reading needs `read`, changes `write`."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from tests.api.conftest import KeyFor, SimulatedApp, bearer
from tests.api.test_connections_api import problem
from tests.app.test_logs import _connection

URL = "/api/v1/erp/connections/Books/mappings"


def rule(entity: str, smartap_field: str, erp_field: str, **fields: Any) -> dict[str, Any]:
    return {"entity": entity, "smartap_field": smartap_field, "erp_field": erp_field, **fields}


async def test_create_list_update_delete(api: httpx.AsyncClient, api_ctx: SimulatedApp) -> None:
    await _connection(api_ctx, "Books")  # a Xero connection
    await _connection(api_ctx, "Other")
    made = await api.post(URL, json=rule("invoice", "invoice_number", "invoice_number", rule="value.upper()"))
    assert made.status_code == 201, made.text
    upper = made.json()
    assert (upper["entity"], upper["direction"], upper["rule"]) == ("invoice", "export", "value.upper()")
    city = (await api.post(URL, json=rule("vendor", "address.city", "address.city", default="-"))).json()
    name = (await api.post(URL, json=rule("vendor", "name", "name", required=True))).json()

    first = (await api.get(URL, params={"limit": 2})).json()
    assert [m["id"] for m in first["items"]] == [upper["id"], city["id"]] and first["next_cursor"]
    rest = (await api.get(URL, params={"limit": 2, "cursor": first["next_cursor"]})).json()
    assert [m["id"] for m in rest["items"]] == [name["id"]] and rest["next_cursor"] is None
    vendors = (await api.get(URL, params={"entity_type": "vendor"})).json()["items"]
    assert [m["id"] for m in vendors] == [city["id"], name["id"]]
    assert problem(await api.get(URL, params={"cursor": "x"}), 422)["detail"].endswith("without it")

    changed = await api.patch(f"{URL}/{upper['id']}", json={"rule": "value.lower()", "description": "lower"})
    assert changed.status_code == 200, changed.text
    after = changed.json()
    assert (after["rule"], after["description"], after["erp_field"]) == (
        "value.lower()",
        "lower",
        "invoice_number",
    )
    cleared = (await api.patch(f"{URL}/{city['id']}", json={"default": None})).json()
    assert cleared["default"] is None and cleared["smartap_field"] == "address.city"
    assert (
        "cannot be cleared"
        in problem(await api.patch(f"{URL}/{city['id']}", json={"erp_field": None}), 422)["detail"]
    )
    assert "nothing to change" in problem(await api.patch(f"{URL}/{city['id']}", json={}), 422)["detail"]
    memo = problem(await api.patch(f"{URL}/{upper['id']}", json={"erp_field": "memo"}), 422)
    assert memo["errors"][0]["pointer"] == "/body/erp_field"  # Xero's bills have no memo
    assert (await api.get(URL, params={"entity_type": "invoice"})).json()["items"][0][
        "erp_field"
    ] == "invoice_number"

    elsewhere = "/api/v1/erp/connections/Other/mappings"
    problem(await api.patch(f"{elsewhere}/{upper['id']}", json={"rule": "value"}), 404)
    problem(await api.delete(f"{elsewhere}/{upper['id']}"), 404)
    removed = await api.delete(f"{URL}/{upper['id']}")
    assert removed.status_code == 200 and removed.json() == {"id": upper["id"]}
    problem(await api.delete(f"{URL}/{upper['id']}"), 404)
    problem(await api.delete(f"{URL}/not-an-id"), 404)
    problem(await api.get("/api/v1/erp/connections/Nope/mappings"), 404)


async def test_a_refused_rule_points_at_its_field_and_position(
    api: httpx.AsyncClient, api_ctx: SimulatedApp
) -> None:
    await _connection(api_ctx, "Books")
    syntax = problem(await api.post(URL, json=rule("vendor", "name", "name", rule="value.upper(")), 422)
    [item] = syntax["errors"]
    assert item["pointer"] == "/body/rule" and "syntax error" in item["detail"]
    assert "at line 1, column" in item["detail"]
    regex = problem(await api.post(URL, json=rule("vendor", "name", "name", regex="(")), 422)
    assert regex["errors"][0]["pointer"] == "/body/regex"
    unknown = problem(await api.post(URL, json=rule("vendor", "bogus", "name")), 422)
    assert unknown["errors"][0]["pointer"] == "/body/smartap_field"
    problem(await api.post(URL, json=rule("spaceship", "name", "name")), 422)
    assert (await api.get(URL)).json()["items"] == []


async def test_preview_a_rule_and_the_stored_mappings(api: httpx.AsyncClient, api_ctx: SimulatedApp) -> None:
    await _connection(api_ctx, "Books")
    samples = [{"name": "acme", "tax_id": "12-3"}, {"name": "globex", "tax_id": "x"}]
    one = {"smartap_field": "name", "erp_field": "name", "rule": "'V-' + value"}

    tried = await api.post(f"{URL}/preview", json={"entity": "vendor", "samples": samples, "rule": one})

    assert tried.status_code == 200, tried.text
    out = tried.json()
    assert (out["compiled"], out["error"], out["direction"], out["mappings"]) == (True, None, "import", 1)
    assert [r["result"]["name"] for r in out["records"]] == ["V-acme", "V-globex"]
    assert (await api.get(URL)).json()["items"] == []  # a tried rule is not stored

    await api.post(URL, json=rule("vendor", "tax_id", "tax_id", regex="^[0-9-]+$"))
    stored = (await api.post(f"{URL}/preview", json={"entity": "vendor", "samples": samples})).json()
    assert stored["mappings"] == 1 and stored["records"][0]["errors"] == []
    assert "does not match" in stored["records"][1]["errors"][0]["message"]

    bad = {**one, "rule": "value +"}
    refused = (
        await api.post(f"{URL}/preview", json={"entity": "vendor", "samples": samples, "rule": bad})
    ).json()
    assert refused["compiled"] is False and refused["records"] == []
    error = refused["error"]
    assert error["field"] == "transformation_rule" and "syntax error" in error["message"]
    assert error["line"] == 1 and isinstance(error["column"], int)
    off = {**one, "erp_field": "bogus"}
    catalogue = (
        await api.post(f"{URL}/preview", json={"entity": "vendor", "samples": samples, "rule": off})
    ).json()
    assert catalogue["error"]["field"] == "erp_field" and catalogue["error"]["line"] is None

    empty = problem(await api.post(f"{URL}/preview", json={"entity": "vendor", "samples": []}), 422)
    assert empty["errors"][0]["pointer"] == "/body/samples"
    problem(await api.post(f"{URL}/preview", json={"entity": "vendor", "samples": [{}] * 101}), 422)
    problem(
        await api.post(
            "/api/v1/erp/connections/Nope/mappings/preview", json={"entity": "vendor", "samples": samples}
        ),
        404,
    )


async def test_scopes(anon: httpx.AsyncClient, key_for: KeyFor, api_ctx: SimulatedApp) -> None:
    await _connection(api_ctx, "Books")
    read = bearer(await key_for("read"))
    assert (await anon.get(URL, headers=read)).status_code == 200
    problem(await anon.post(URL, json=rule("vendor", "name", "name"), headers=read), 403)
    problem(await anon.delete(f"{URL}/{uuid.uuid4()}", headers=read), 403)
    problem(await anon.post(f"{URL}/preview", json={"entity": "vendor", "samples": [{}]}, headers=read), 403)
    problem(await anon.get(URL), 401)
