"""SAP Business One Service Layer session flow: lazy login, cookies, re-login mid-pagination, logout."""

from __future__ import annotations

import asyncio
import itertools
import json

import httpx
import pytest

from smartap_erp.domain.enums import ERPSystem
from smartap_erp.errors import ERPAuthError, ERPTransientError
from smartap_erp.http import (
    Call,
    NextLink,
    ServiceLayerSessionAuth,
    build_client,
    close_client,
    iter_pages,
    parse_service_layer_error,
)

ROOT = "https://sap.customer.test:50000"
PASSWORD = "sap-Password-Sentinel-77"
EXPIRED = {
    "error": {
        "code": 301,
        "message": {"lang": "en-us", "value": "Invalid session or session already timeout."},
    }
}


class FakeServiceLayer:
    """Login/Logout and a BusinessPartners collection paged 20 at a time with odata.nextLink."""

    def __init__(self, rows: int = 45, expired_status: int = 401) -> None:
        self.rows = [{"CardCode": f"V{i:04d}", "CardName": f"Vendor {i}"} for i in range(rows)]
        self.sessions: set[str] = set()
        self.ids = (f"5b1c2d3e-0000-4000-8000-{n:012d}" for n in itertools.count(1))
        self.logins: list[dict[str, str]] = []
        self.logouts: list[str] = []
        self.log: list[tuple[str, str, int]] = []
        self.cookies_seen: list[str] = []
        self.expired_status = expired_status

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(0)
        response = self.route(request)
        self.log.append((request.method, request.url.raw_path.decode(), response.status_code))
        return response

    def route(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path == "/b1s/v1/Login":
            return self.login(json.loads(request.content))
        session = self.session_of(request)
        if session is None:
            return httpx.Response(self.expired_status, json=EXPIRED)
        if path == "/b1s/v1/Logout":
            self.sessions.discard(session)
            self.logouts.append(session)
            return httpx.Response(204)
        skip = int(request.url.params.get("$skip", "0"))
        body: dict[str, object] = {"value": self.rows[skip : skip + 20]}
        if skip + 20 < len(self.rows):
            body["odata.nextLink"] = f"/b1s/v1/BusinessPartners?$skip={skip + 20}"
        return httpx.Response(200, json=body)

    def login(self, body: dict[str, str]) -> httpx.Response:
        self.logins.append(body)
        if body.get("Password") != PASSWORD:
            error = {
                "error": {"code": -304, "message": {"lang": "en-us", "value": "Invalid login credential."}}
            }
            return httpx.Response(401, json=error)
        session = next(self.ids)
        self.sessions.add(session)
        headers = [
            ("Set-Cookie", f"B1SESSION={session}; HttpOnly"),
            ("Set-Cookie", "ROUTEID=.node1; path=/b1s"),
        ]
        return httpx.Response(
            200, headers=headers, json={"SessionId": session, "Version": "1000110", "SessionTimeout": 30}
        )

    def session_of(self, request: httpx.Request) -> str | None:
        cookie = request.headers.get("Cookie", "")
        self.cookies_seen.append(cookie)
        values = dict(part.strip().split("=", 1) for part in cookie.split(";") if "=" in part)
        session = values.get("B1SESSION")
        return session if session in self.sessions else None


def make(
    fake: FakeServiceLayer, password: str = PASSWORD
) -> tuple[httpx.AsyncClient, ServiceLayerSessionAuth]:
    auth = ServiceLayerSessionAuth(
        service_root=f"{ROOT}/b1s/v1", company_db="SBODEMOUS", username="manager", password=password
    )
    return build_client(f"{ROOT}/b1s/v1/", auth=auth, transport=httpx.MockTransport(fake)), auth


async def test_logs_in_on_first_use_and_sends_both_cookies() -> None:
    fake = FakeServiceLayer()
    client, auth = make(fake)
    async with client:
        first = await client.get("BusinessPartners")
        second = await client.get("BusinessPartners", params={"$skip": 20})
    assert (first.status_code, second.status_code) == (200, 200)
    assert fake.logins == [{"CompanyDB": "SBODEMOUS", "UserName": "manager", "Password": PASSWORD}]
    session = next(iter(fake.sessions))
    assert fake.cookies_seen[-1] == f"B1SESSION={session}; ROUTEID=.node1"
    assert auth.logins == 1


async def test_session_expiry_mid_pagination_relogs_and_resumes_the_same_page() -> None:
    fake = FakeServiceLayer(rows=45)
    client, auth = make(fake)

    async def send(call: Call) -> httpx.Response:
        response = await client.send(call.build(client))
        response.raise_for_status()
        return response

    names: list[str] = []
    async with client:
        async for page in iter_pages(
            send, Call.get("BusinessPartners"), NextLink(), lambda b: b["value"], erp=ERPSystem.SAP
        ):
            names += [row["CardCode"] for row in page.records]
            if page.number == 1:
                fake.sessions.clear()  # the session times out between page 1 and page 2
    assert names == [f"V{i:04d}" for i in range(45)]
    assert auth.logins == 2
    data_calls = [(path, status) for method, path, status in fake.log if "BusinessPartners" in path]
    assert data_calls == [
        ("/b1s/v1/BusinessPartners", 200),
        ("/b1s/v1/BusinessPartners?$skip=20", 401),
        ("/b1s/v1/BusinessPartners?$skip=20", 200),  # the same page again, not page 1
        ("/b1s/v1/BusinessPartners?$skip=40", 200),
    ]


async def test_error_code_301_with_another_status_also_relogs() -> None:
    fake = FakeServiceLayer(expired_status=400)
    client, auth = make(fake)
    async with client:
        await client.get("BusinessPartners")
        fake.sessions.clear()
        response = await client.get("BusinessPartners")
    assert response.status_code == 200
    assert auth.logins == 2


async def test_only_one_relogin_per_request() -> None:
    fake = FakeServiceLayer()
    client, auth = make(fake)
    async with client:
        await client.get("BusinessPartners")
        fake.sessions.clear()
        fake.login = lambda body: httpx.Response(  # type: ignore[method-assign]
            200, headers={"Set-Cookie": "B1SESSION=never-valid-session-1; HttpOnly"}, json={}
        )
        response = await client.get("BusinessPartners")
    assert response.status_code == 401
    assert auth.logins == 2


async def test_concurrent_first_requests_share_one_login() -> None:
    fake = FakeServiceLayer()
    client, auth = make(fake)
    async with client:
        responses = await asyncio.gather(*(client.get("BusinessPartners") for _ in range(10)))
    assert {r.status_code for r in responses} == {200}
    assert len(fake.logins) == 1
    assert auth.logins == 1


async def test_refused_login_is_an_auth_error_without_the_password() -> None:
    fake = FakeServiceLayer()
    client, _ = make(fake, password="wrong-Password-Sentinel-99")
    async with client:
        with pytest.raises(ERPAuthError) as caught:
            await client.get("BusinessPartners")
    error = caught.value
    assert (error.erp, error.status, error.code, error.message) == (
        ERPSystem.SAP,
        401,
        "-304",
        "Invalid login credential.",
    )
    assert "wrong-Password-Sentinel-99" not in str(error)
    assert error.url == f"{ROOT}/b1s/v1/Login"


async def test_login_on_a_broken_server_is_transient() -> None:
    client = build_client(
        f"{ROOT}/b1s/v1/",
        auth=ServiceLayerSessionAuth(
            service_root=f"{ROOT}/b1s/v1", company_db="C", username="u", password="p"
        ),
        transport=httpx.MockTransport(lambda request: httpx.Response(500, text="Internal error")),
        sleep=_no_sleep,
    )
    async with client:
        with pytest.raises(ERPTransientError):
            await client.get("BusinessPartners")


async def test_close_logs_out_once() -> None:
    fake = FakeServiceLayer()
    client, auth = make(fake)
    await client.get("BusinessPartners")
    session = next(iter(fake.sessions))
    await close_client(client)
    assert fake.logouts == [session]
    assert fake.sessions == set()
    assert not auth.has_session
    assert client.is_closed
    await auth.aclose_session(client)  # nothing open any more: no second logout
    assert fake.logouts == [session]


async def test_close_without_a_session_sends_nothing() -> None:
    fake = FakeServiceLayer()
    client, _ = make(fake)
    await close_client(client)
    assert fake.log == []


async def test_failed_logout_does_not_raise() -> None:
    fake = FakeServiceLayer()
    client, _ = make(fake)
    await client.get("BusinessPartners")
    fake.sessions.clear()  # the server forgot the session: Logout answers 401
    await close_client(client)
    assert client.is_closed


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (EXPIRED, ("301", "Invalid session or session already timeout.")),
        (
            {"error": {"code": "-10", "message": "Item code already exists"}},
            ("-10", "Item code already exists"),
        ),
        ({"value": []}, (None, None)),
        ("not json", (None, None)),
    ],
)
def test_parse_service_layer_error_reads_v1_and_v2_shapes(
    body: object, expected: tuple[str | None, str | None]
) -> None:
    content = body.encode() if isinstance(body, str) else json.dumps(body).encode()
    assert parse_service_layer_error(httpx.Response(400, content=content)) == expected


async def _no_sleep(_: float) -> None:
    return None
