"""`oauth_body_hash` as the widely used clients send it (issue 12 item 18).

The `netsuite` package signs through authlib with `force_include_body=True` and requests-oauthlib
through oauthlib: both add `oauth_body_hash` = base64(SHA-1(body)) beside an HMAC-SHA256 signature,
and NetSuite accepts it. The hash is signed like any other `oauth_*` parameter.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable
from typing import Any

import httpx

SUITEQL = "/services/rest/query/v1/suiteql"
BODY = json.dumps({"q": "SELECT id FROM vendor ORDER BY id"}).encode()


def _hash(name: str, body: bytes = BODY) -> str:
    return base64.b64encode(hashlib.new(name, body).digest()).decode()


async def _post(make_client: Callable[..., httpx.AsyncClient], body_hash: str) -> httpx.Response:
    async with make_client(extra={"oauth_body_hash": body_hash}) as client:
        return await client.post(
            SUITEQL,
            content=BODY,
            params={"limit": "5"},
            headers={"Prefer": "transient", "Content-Type": "application/json"},
        )


async def test_sha1_body_hash_is_accepted(make_client: Callable[..., httpx.AsyncClient], sim: Any) -> None:
    response = await _post(make_client, _hash("sha1"))
    assert response.status_code == 200, response.text
    assert response.json()["count"] == 5
    assert sim.verifier.audit["success"] == 1


async def test_sha256_body_hash_is_accepted(make_client: Callable[..., httpx.AsyncClient]) -> None:
    assert (await _post(make_client, _hash("sha256"))).status_code == 200


async def test_hash_of_another_body_is_refused(
    make_client: Callable[..., httpx.AsyncClient], sim: Any
) -> None:
    response = await _post(make_client, _hash("sha1", BODY + b" "))
    assert response.status_code == 401
    assert sim.verifier.audit["body_hash_mismatch"] == 1
