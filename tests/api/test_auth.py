"""API keys at the door: missing, malformed, unknown and revoked keys are 401 with a Bearer
challenge; a key below the scope a route needs is 403; scopes nest (admin > write > read); the key is
never in a response other than its creation, nor in the log."""

from __future__ import annotations

import logging

import httpx
import pytest

from smartap_erp.api.deps import require
from smartap_erp.app import api_keys
from tests.api.conftest import KeyFor, bearer
from tests.app.simulated import SimulatedApp

KEYS = "/api/v1/api-keys"


async def test_a_request_without_a_key_is_401_with_a_challenge(anon: httpx.AsyncClient) -> None:
    response = await anon.get(KEYS)
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert response.json()["status"] == 401


@pytest.mark.parametrize(
    "header",
    ["Bearer sap_not-a-real-key", "Bearer ", "Basic dXNlcjpwYXNz", "sap_no-scheme", "Bearer nope"],
)
async def test_bad_keys_are_401(anon: httpx.AsyncClient, header: str) -> None:
    response = await anon.get(KEYS, headers={"Authorization": header})
    assert response.status_code == 401
    assert "sap_" not in response.text


async def test_scopes_nest(anon: httpx.AsyncClient, key_for: KeyFor) -> None:
    read, write, admin = await key_for("read"), await key_for("write"), await key_for("admin")
    assert (await anon.get(KEYS, headers=bearer(read))).status_code == 403
    forbidden = await anon.get(KEYS, headers=bearer(write))
    assert forbidden.status_code == 403
    assert forbidden.json()["detail"] == "this needs a key of scope admin; this key is write"
    assert (await anon.get(KEYS, headers=bearer(admin))).status_code == 200


def test_require_is_one_dependency_per_scope() -> None:
    assert require("write") is require("write")
    assert require("write") is not require("read")
    with pytest.raises(ValueError, match="root"):
        require("root")


async def test_a_revoked_key_is_refused_at_once(
    anon: httpx.AsyncClient, api_ctx: SimulatedApp, key_for: KeyFor
) -> None:
    key = await key_for("admin")
    assert (await anon.get(KEYS, headers=bearer(key))).status_code == 200
    (row,) = [k for k in await api_keys.list_keys(api_ctx) if key.startswith(k.prefix) and k.last_used_at]
    revoked = await anon.post(f"{KEYS}/{row.id}/revoke", headers=bearer(key))
    assert revoked.status_code == 200
    assert revoked.json()["revoked_at"] is not None
    again = await anon.get(KEYS, headers=bearer(key))
    assert again.status_code == 401
    assert again.json()["detail"] == "the API key is not valid (unknown or revoked)"


async def test_keys_appear_only_when_created(
    api: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    created = await api.post(KEYS, json={"name": "smartap prod", "scope": "write"})
    assert created.status_code == 201
    body = created.json()
    key = body["key"]
    assert key.startswith("sap_") and len(key) > 40
    assert body["prefix"] == key[:8] and body["scope"] == "write"
    listed = await api.get(KEYS)
    assert listed.status_code == 200
    assert key not in listed.text and "key_hash" not in listed.text
    assert {item["name"] for item in listed.json()} == {"test admin", "smartap prod"}
    assert "key" not in listed.json()[0]
    used = await api.get(KEYS, headers=bearer(key))  # a write key on an admin route
    assert used.status_code == 403 and key not in used.text
    assert key not in caplog.text


async def test_creating_a_key_validates_its_input(api: httpx.AsyncClient) -> None:
    response = await api.post(KEYS, json={"name": "", "scope": "root", "extra": 1})
    assert response.status_code == 422
    pointers = {item["pointer"] for item in response.json()["errors"]}
    assert pointers == {"/body/name", "/body/scope", "/body/extra"}
