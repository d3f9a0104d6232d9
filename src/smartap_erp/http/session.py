"""SAP Business One Service Layer session login as an `httpx.Auth` flow.

On first use it POSTs `{service root}/Login` with CompanyDB/UserName/Password
(sap.md §Login and session cookies), keeps the `B1SESSION` cookie (and `ROUTEID`, which pins a load-balanced
installation to the node that owns the session, sap.md §Login and session cookies) and sends them on every
request. When the Service Layer answers 401, or any error with code 301 "Invalid session or session already
timeout" (sap.md §Login and session cookies), it logs in again and repeats the same request once: a nextLink
walk resumes on the page it was on (sap.md §Login and session cookies). Concurrent requests share one login
(lock + identity re-check). `aclose_session(client)` logs out (`POST /Logout`, 204); the connector's `close()`
calls it. `parse_service_layer_error` reads both the v1 and v2 error shapes (sap.md §Error bodies).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncGenerator
from dataclasses import dataclass, field
from typing import Any

import httpx

from smartap_erp.domain.enums import ERPSystem
from smartap_erp.errors import ERPAuthError, ERPError, ERPProtocolError, ERPTransientError
from smartap_erp.http.call import IDEMPOTENT
from smartap_erp.http.redact import get_logger, redact_url, register_secret

log = get_logger(__name__)

SESSION_COOKIES = ("B1SESSION", "ROUTEID")
SESSION_EXPIRED_CODE = "301"


@dataclass(frozen=True, slots=True)
class _Session:
    cookies: dict[str, str] = field(repr=False)
    timeout_minutes: int | None = None

    def cookie_header(self) -> str:
        return "; ".join(f"{name}={value}" for name, value in self.cookies.items())


def parse_service_layer_error(response: httpx.Response) -> tuple[str | None, str | None]:
    """(code, message) from `{"error": {"code": 301, "message": {"lang": "en-us", "value": "…"}}}`
    (v1) or `{"error": {"code": "…", "message": "…"}}` (v2). (None, None) if the body is not one."""
    try:
        body: Any = json.loads(response.content or b"null")
    except ValueError:
        return None, None
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return None, None
    code, message = error.get("code"), error.get("message")
    if isinstance(message, dict):
        message = message.get("value")
    return (None if code is None else str(code)), (None if message is None else str(message))


class ServiceLayerSessionAuth(httpx.Auth):
    """Cookie session for the SAP B1 Service Layer: log in lazily, re-login once on expiry."""

    def __init__(
        self,
        *,
        service_root: str,
        company_db: str,
        username: str,
        password: str,
        language: int | None = None,
        erp: ERPSystem = ERPSystem.SAP,
    ) -> None:
        register_secret(password)
        root = service_root.rstrip("/")
        # case-sensitive: /login is an unknown resource (sap.md §Login and session cookies)
        self.login_url = f"{root}/Login"
        self.logout_url = f"{root}/Logout"
        body: dict[str, Any] = {"CompanyDB": company_db, "UserName": username, "Password": password}
        if language is not None:
            body["Language"] = language
        self._login_body = body
        self._erp = erp
        self._session: _Session | None = None
        self._lock = asyncio.Lock()
        self.logins = 0

    async def async_auth_flow(self, request: httpx.Request) -> AsyncGenerator[httpx.Request, httpx.Response]:
        session = self._session
        relogin = False
        while True:
            if session is None or relogin:
                stale = session if relogin else None
                async with self._lock:
                    if self._session is stale:  # nobody logged in (again) while we waited
                        response = yield self._login_request()
                        self._session = await self._accept_login(response)
                    session = self._session
            assert session is not None
            request.headers["Cookie"] = session.cookie_header()
            response = yield request
            if relogin or not await self._session_expired(response):
                return
            log.info("SAP session expired at %s; logging in again", redact_url(request.url))
            relogin = True

    async def aclose_session(self, client: httpx.AsyncClient) -> None:
        """Log out (`POST /Logout`) if a session is open. Never raises: this runs at shutdown."""
        async with self._lock:
            session, self._session = self._session, None
        if session is None:
            return
        request = httpx.Request("POST", self.logout_url, headers={"Cookie": session.cookie_header()})
        try:
            response = await client.send(request, auth=None)
        except httpx.HTTPError as exc:
            log.warning("SAP logout failed: %s", type(exc).__name__)
            return
        if response.status_code >= 400:
            log.warning("SAP logout answered HTTP %d", response.status_code)

    @property
    def has_session(self) -> bool:
        return self._session is not None

    def _login_request(self) -> httpx.Request:
        # A replayed login only opens another session, so the retry layer may repeat it.
        return httpx.Request("POST", self.login_url, json=self._login_body, extensions={IDEMPOTENT: True})

    async def _accept_login(self, response: httpx.Response) -> _Session:
        await response.aread()
        if response.status_code != 200:
            raise self._login_error(response)
        body = _json_object(response)
        cookies = {name: value for name in SESSION_COOKIES if (value := response.cookies.get(name))}
        if "B1SESSION" not in cookies and isinstance(body.get("SessionId"), str):
            # the cookie value is the SessionId (sap.md §Login and session cookies)
            cookies["B1SESSION"] = body["SessionId"]
        if "B1SESSION" not in cookies:
            raise ERPProtocolError(
                "SAP login answered 200 without a B1SESSION cookie",
                erp=self._erp,
                url=self.login_url,
                method="POST",
                status=200,
            )
        register_secret(cookies["B1SESSION"])
        self.logins += 1
        timeout = body.get("SessionTimeout")
        return _Session(cookies, timeout if isinstance(timeout, int) else None)

    def _login_error(self, response: httpx.Response) -> ERPError:
        code, message = parse_service_layer_error(response)
        details: dict[str, Any] = {
            "erp": self._erp,
            "url": self.login_url,
            "method": "POST",
            "status": response.status_code,
            "code": code,
            "message": message,
        }
        if response.status_code >= 500 or response.status_code in (408, 429):
            return ERPTransientError("SAP Service Layer login is unavailable", **details)
        return ERPAuthError(
            "SAP Service Layer refused the login; check company, user and password", **details
        )

    async def _session_expired(self, response: httpx.Response) -> bool:
        if response.status_code == 401:
            return True
        if response.status_code < 400:
            return False
        await response.aread()
        return parse_service_layer_error(response)[0] == SESSION_EXPIRED_CODE


def _json_object(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
