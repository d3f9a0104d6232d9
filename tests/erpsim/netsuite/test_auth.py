"""Token-Based Authentication in the NetSuite simulator: the test vector, and every way to fail."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from erpsim.netsuite.auth import base_string, sign
from tests.erpsim.netsuite.conftest import RESTLET, restlet_params


def test_published_hmac_sha256_vector() -> None:
    # netsuite-connector.md §Signature test vector: Oracle's worked example, also in LedgerSync's
    # token_spec.rb.
    params = [
        ("script", "6"),
        ("deploy", "1"),
        ("customParam", "someValue"),
        ("testParam", "someOtherValue"),
        ("oauth_consumer_key", "ef40afdd8abaac111b13825dd5e5e2ddddb44f86d5a0dd6dcf38c20aae6b67e4"),
        ("oauth_token", "2b0ce516420110bcbd36b69e99196d1b7f6de3c6234c5afb799b73d87569f5cc"),
        ("oauth_nonce", "fjaLirsIcCGVZWzBX0pg"),
        ("oauth_timestamp", "1508242306"),
        ("oauth_signature_method", "HMAC-SHA256"),
        ("oauth_version", "1.0"),
    ]
    url = "https://1234567.restlets.api.netsuite.com/app/site/hosting/restlet.nl"
    base = base_string("POST", url, params)
    assert base.startswith(
        "POST&https%3A%2F%2F1234567.restlets.api.netsuite.com%2Fapp%2Fsite%2Fhosting"
        "%2Frestlet.nl&customParam%3DsomeValue%26deploy%3D1%26oauth_consumer_key%3D"
    )
    signature = sign(
        base,
        "d26ad321a4b2f23b0741c8d38392ce01c3e23e109df6c96eac6d099e9ab9e8b5",
        "c29a677df7d5439a458c063654187e3d678d73aca8e3c9d8bea1478a3eb0d295",
    )
    assert signature == "i7MEtGwhCTIZbTsTrNGw9LdcERn4wsjt5C7TxmKWIfU="


async def test_correctly_signed_request_is_served(client: httpx.AsyncClient, sim: Any) -> None:
    response = await client.get(RESTLET, params=restlet_params("vendor", limit="5"))
    assert response.status_code == 200, response.text
    assert response.json()["count"] == 5
    assert sim.verifier.audit["success"] == 1


async def _refused(client: httpx.AsyncClient, sim: Any, reason: str, **params: str) -> None:
    response = await client.get(RESTLET, params=restlet_params("vendor", **params))
    assert response.status_code == 401
    assert response.json() == {
        "error": {"code": "INVALID_LOGIN_ATTEMPT", "message": "Invalid login attempt."}
    }
    assert sim.verifier.audit[reason] == 1, dict(sim.verifier.audit)


def _add_query(request: httpx.Request) -> httpx.Request:
    request.url = request.url.copy_merge_params({"limit": "1000"})
    return request


async def test_tampered_query_is_refused(make_client: Callable[..., httpx.AsyncClient], sim: Any) -> None:
    async with make_client(tamper=_add_query) as client:
        await _refused(client, sim, "invalid_signature", limit="5")


async def test_wrong_secret_is_refused(make_client: Callable[..., httpx.AsyncClient], sim: Any) -> None:
    async with make_client(consumer_secret="0" * 64) as client:
        await _refused(client, sim, "invalid_signature")


async def test_stale_timestamp_is_refused(make_client: Callable[..., httpx.AsyncClient], sim: Any) -> None:
    async with make_client(timestamp=int(sim.clock.time()) - 301) as client:
        await _refused(client, sim, "timestamp_refused")


async def test_timestamp_within_tolerance_is_accepted(
    make_client: Callable[..., httpx.AsyncClient], sim: Any
) -> None:
    async with make_client(timestamp=int(sim.clock.time()) + 290) as client:
        assert (await client.get(RESTLET, params=restlet_params("vendor"))).status_code == 200


async def test_reused_nonce_is_refused(make_client: Callable[..., httpx.AsyncClient], sim: Any) -> None:
    async with make_client(nonce="fixed-nonce-123456") as client:
        first = await client.get(RESTLET, params=restlet_params("vendor"))
        assert first.status_code == 200
        await _refused(client, sim, "nonce_used")


async def test_sha1_is_refused(make_client: Callable[..., httpx.AsyncClient], sim: Any) -> None:
    async with make_client(method="HMAC-SHA1") as client:
        await _refused(client, sim, "unsupported_signature_method")


async def test_realm_in_host_form_is_refused(
    make_client: Callable[..., httpx.AsyncClient], sim: Any, creds: dict[str, str]
) -> None:
    # netsuite-connector.md §Hosts and realm: 1234567_SB1 in the realm, 1234567-sb1 in the host.
    host_form = creds["account_id"].replace("_", "-").lower()
    async with make_client(realm=host_form) as client:
        await _refused(client, sim, "invalid_realm")


async def test_body_hash_when_sent_must_match(
    make_client: Callable[..., httpx.AsyncClient], sim: Any
) -> None:
    async with make_client(extra={"oauth_body_hash": "AAAA"}) as client:
        await _refused(client, sim, "body_hash_mismatch")


async def test_account_host_name_is_verified_as_https(
    app: Any, creds: dict[str, str], sim: Any, make_client: Callable[..., httpx.AsyncClient]
) -> None:
    host = creds["account_id"].replace("_", "-").lower() + ".restlets.api.netsuite.com"
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url=f"https://{host}", auth=make_client().auth
    ) as client:
        response = await client.get(RESTLET, params=restlet_params("vendor"))
    assert response.status_code == 200, response.text
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="https://9999999.restlets.api.netsuite.com",
        auth=make_client().auth,
    ) as client:
        await _refused(client, sim, "wrong_account_host")


async def test_rest_auth_failure_uses_the_rest_envelope(
    make_client: Callable[..., httpx.AsyncClient],
) -> None:
    async with make_client(consumer_secret="x" * 64) as client:
        response = await client.get("/services/rest/record/v1/vendor")
    assert response.status_code == 401
    body = response.json()
    assert body["status"] == 401 and body["o:errorDetails"][0]["o:errorCode"] == "INVALID_LOGIN"


async def test_missing_header_and_revoked_token(client: httpx.AsyncClient, app: Any, sim: Any) -> None:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://sim") as bare:
        assert (await bare.get(RESTLET, params=restlet_params("vendor"))).status_code == 401
    sim.set_fault_plan(sim.faults.plan.parse("expire_tokens"))
    await _refused(client, sim, "invalid_token")
    sim.reset()
    assert (await client.get(RESTLET, params=restlet_params("vendor"))).status_code == 200
