"""The client factory, and the end-to-end guarantee that secrets never reach logs or error text."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging

import httpx
import pytest

from smartap_erp.connectors.responses import ErrorDetails, error_for_response
from smartap_erp.domain.enums import ERPSystem
from smartap_erp.errors import ERPAuthError, ERPError
from smartap_erp.http import (
    USER_AGENT,
    ManualClock,
    MemoryTokenStore,
    OAuth1TBAAuth,
    OAuth2RefreshAuth,
    RateLimitTransport,
    ServiceLayerSessionAuth,
    Token,
    build_client,
    close_client,
    get_logger,
)
from smartap_erp.http.retry import RetryTransport


async def test_build_client_composes_the_stack_and_defaults() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(302, headers={"Location": "https://elsewhere.test/"})

    client = build_client(
        "https://api.erp.test/api.xro/2.0/",
        headers={"xero-tenant-id": "tenant-1"},
        transport=httpx.MockTransport(handler),
    )
    async with client:
        response = await client.get("Invoices")
    assert response.status_code == 302  # redirects are surfaced, never followed with our auth headers
    assert str(seen[0].url) == "https://api.erp.test/api.xro/2.0/Invoices"
    assert seen[0].headers["Accept"] == "application/json"
    assert seen[0].headers["User-Agent"] == USER_AGENT
    assert seen[0].headers["xero-tenant-id"] == "tenant-1"
    assert client.timeout.read == 60.0 and client.timeout.connect == 10.0
    stack = client._transport  # the one place the layering is visible
    assert isinstance(stack, RateLimitTransport)
    assert isinstance(stack._inner, RetryTransport)


async def test_close_client_without_a_session_just_closes() -> None:
    client = build_client("https://a.test/", transport=httpx.MockTransport(lambda r: httpx.Response(200)))
    await close_client(client)
    assert client.is_closed


SENTINELS = {
    "client_secret": "SENTINEL-client-secret-0001",
    "refresh": "SENTINEL-refresh-0002",
    "access": "SENTINEL-access-0003",
    "new_access": "SENTINEL-access-0004",
    "new_refresh": "SENTINEL-refresh-0005",
    "sap_password": "SENTINEL-sap-password-0006",
    "b1session": "SENTINEL-b1session-0007",
    "consumer_secret": "SENTINEL-consumer-secret-0008",
    "token_secret": "SENTINEL-token-secret-0009",
    "query": "SENTINEL-query-0010",
}


def identity_and_api(request: httpx.Request) -> httpx.Response:
    if request.url.path == "/connect/token":
        if (
            SENTINELS["refresh"].encode() in request.content
            or SENTINELS["new_refresh"].encode() in request.content
        ):
            return httpx.Response(
                200,
                json={
                    "access_token": SENTINELS["new_access"],
                    "refresh_token": SENTINELS["new_refresh"],
                    "expires_in": 1800,
                },
            )
        return httpx.Response(
            400, json={"error": "invalid_grant", "error_description": f"bad {SENTINELS['new_refresh']}"}
        )
    if request.url.params.get("fail") == "401":
        detail = f"Token expired: {request.headers['Authorization']}"  # an ERP echoing what it got
        return httpx.Response(
            401,
            json={
                "fault": {"error": [{"message": "AuthenticationFailed", "detail": detail, "code": "3200"}]}
            },
        )
    if request.url.params.get("throttle") == "1" and not getattr(identity_and_api, "throttled", False):
        identity_and_api.throttled = True  # type: ignore[attr-defined]
        return httpx.Response(429, headers={"Retry-After": "1"})
    return httpx.Response(200, json={"ok": True})


def service_layer(request: httpx.Request) -> httpx.Response:
    if request.url.path.endswith("/Login"):
        return httpx.Response(
            200,
            headers={"Set-Cookie": f"B1SESSION={SENTINELS['b1session']}; HttpOnly"},
            json={"SessionId": SENTINELS["b1session"], "SessionTimeout": 30},
        )
    if request.url.path.endswith("/Logout"):
        return httpx.Response(204)
    return httpx.Response(
        400, json={"error": {"code": -5002, "message": {"lang": "en-us", "value": request.headers["Cookie"]}}}
    )


def restlet(request: httpx.Request) -> httpx.Response:
    body = {
        "error": {
            "code": "INVALID_LOGIN_ATTEMPT",
            "message": f"Invalid login attempt. {request.headers['Authorization']}",
        }
    }
    return httpx.Response(401, json=body)


async def test_no_secret_reaches_logs_or_error_messages(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    clock = ManualClock()
    errors: list[str] = []
    careless = get_logger("smartap_erp.tests.careless")

    # OAuth 2.0: refresh, a 429 retry with a secret in the query, a 401 with the token echoed back.
    expired = Token(
        SENTINELS["access"], SENTINELS["refresh"], expires_at=clock.datetime() - dt.timedelta(seconds=1)
    )
    store = MemoryTokenStore(expired)
    oauth = OAuth2RefreshAuth(
        store,
        erp=ERPSystem.XERO,
        token_url="https://identity.test/connect/token",
        client_id="client-1",
        client_secret=SENTINELS["client_secret"],
        clock=clock,
    )
    async with build_client(
        "https://api.test/",
        auth=oauth,
        transport=httpx.MockTransport(identity_and_api),
        clock=clock,
        sleep=clock.sleep,
    ) as client:
        ok = await client.get("Invoices", params={"throttle": "1", "access_token": SENTINELS["query"]})
        careless.debug("sent %s with headers %s", ok.request.url, dict(ok.request.headers))
        careless.info(
            "token response %s",
            {"access_token": SENTINELS["new_access"], "refresh_token": SENTINELS["new_refresh"]},
        )
        failed = await client.get("Invoices", params={"fail": "401"})
        errors.append(
            str(error_for_response(ERPSystem.XERO, failed, ErrorDetails(message=failed.text), now=clock()))
        )
    dead = MemoryTokenStore(
        Token("SENTINEL-access-0003", "SENTINEL-unknown-refresh-0011", expires_at=clock.datetime())
    )
    oauth_dead = OAuth2RefreshAuth(
        dead,
        erp=ERPSystem.XERO,
        token_url="https://identity.test/connect/token",
        client_id="client-1",
        client_secret=SENTINELS["client_secret"],
        clock=clock,
    )
    async with build_client(
        "https://api.test/", auth=oauth_dead, transport=httpx.MockTransport(identity_and_api)
    ) as client:
        with pytest.raises(ERPAuthError) as refused:
            await client.get("Invoices")
        errors.append(str(refused.value))
    SENTINELS["unknown_refresh"] = "SENTINEL-unknown-refresh-0011"

    # SAP: login with a password, an error body that echoes the session cookie, logout.
    sap_auth = ServiceLayerSessionAuth(
        service_root="https://sap.test/b1s/v1",
        company_db="SBODEMOUS",
        username="manager",
        password=SENTINELS["sap_password"],
    )
    sap = build_client(
        "https://sap.test/b1s/v1/", auth=sap_auth, transport=httpx.MockTransport(service_layer)
    )
    response = await sap.get("BusinessPartners")
    careless.warning("SAP said %s; cookies %s", response.text, response.request.headers.get("Cookie"))
    errors.append(
        str(error_for_response(ERPSystem.SAP, response, ErrorDetails(message=response.text), now=clock()))
    )
    await close_client(sap)

    # NetSuite: a 401 whose body repeats the signed Authorization header.
    tba = OAuth1TBAAuth(
        account_id="1234567",
        consumer_key="ck-public",
        consumer_secret=SENTINELS["consumer_secret"],
        token_id="token-id-1",
        token_secret=SENTINELS["token_secret"],
    )
    async with build_client(
        "https://1234567.restlets.api.netsuite.com/", auth=tba, transport=httpx.MockTransport(restlet)
    ) as ns:
        denied = await ns.get("app/site/hosting/restlet.nl", params={"script": "6", "deploy": "1"})
        careless.error("NetSuite refused: %s (sent %s)", denied.text, denied.request.headers["Authorization"])
        errors.append(
            str(
                error_for_response(ERPSystem.NETSUITE, denied, ErrorDetails(message=denied.text), now=clock())
            )
        )
        try:
            raise ERPError(f"wrapped {denied.request.headers['Authorization']}", erp=ERPSystem.NETSUITE)
        except ERPError:
            careless.exception("failure with traceback")

    assert "HTTP Request: GET" in caplog.text  # httpx's own log lines were captured (and filtered)
    assert "retrying GET" in caplog.text
    assert len(errors) == 4
    everything = caplog.text + "\n".join(errors)
    leaked = {name: value for name, value in SENTINELS.items() if value in everything}
    assert leaked == {}
    signature = denied.request.headers["Authorization"].split('oauth_signature="')[1].rstrip('"')
    assert signature not in everything
    assert httpx.URL(f"?s={signature}").params["s"] not in everything  # nor its decoded form


async def test_an_in_process_asgi_app_works_under_the_full_stack() -> None:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    from smartap_erp.http import RateLimiter, RateLimitPolicy

    async def echo(request: Request) -> JSONResponse:
        return JSONResponse(
            {"page": request.query_params.get("page"), "tenant": request.headers.get("xero-tenant-id")}
        )

    app = Starlette(routes=[Route("/api.xro/2.0/Invoices", echo)])
    limiter = RateLimiter(RateLimitPolicy(concurrency=1), key="xero:tenant:t-1", erp=ERPSystem.XERO)
    client = build_client(
        "http://simulator/api.xro/2.0/",
        headers={"xero-tenant-id": "t-1"},
        transport=httpx.ASGITransport(app=app),
        limiters=[limiter],
    )
    async with client:
        responses = await asyncio.gather(*(client.get("Invoices", params={"page": n}) for n in range(1, 6)))
    assert [r.json() for r in responses] == [{"page": str(n), "tenant": "t-1"} for n in range(1, 6)]
