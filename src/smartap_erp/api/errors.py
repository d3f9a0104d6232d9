"""Every error the REST API answers is RFC 9457 `application/problem+json`: `type`, `title`, `status`,
`detail`, `correlation_id` (also on the log line and in the `X-Correlation-ID` header), `retryable`,
`errors[{pointer, detail}]` for a request that fails validation, and `erp`, `erp_code`,
`erp_message` when the ERP said no. The product's error classes map to statuses by what the caller
must do: `NotFoundError` 404, `ConflictError` 409, other `ConfigurationError` 422, an `ERPError` 502
(503 and `retryable` when transient or rate-limited, with `Retry-After` when the ERP said when).
Anything else is a bug: logged with its traceback, answered 500 with only the correlation id.
"""

from __future__ import annotations

import math
import re
import uuid
from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from smartap_erp.app.database import database_failure
from smartap_erp.errors import (
    ConfigurationError,
    ConflictError,
    ERPError,
    ERPRateLimitError,
    ERPTransientError,
    NotFoundError,
    SmartAPError,
)
from smartap_erp.http.redact import get_logger

log = get_logger(__name__)

PROBLEM_JSON = "application/problem+json"
TYPE_BASE = "https://smartap.example/problems/"  # stable identifiers; docs/api.md lists them
CORRELATION_HEADER = "X-Correlation-ID"
_GIVEN_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")  # a caller's own id is kept only if it is this tame


class ProblemItem(BaseModel):
    pointer: str  # JSON Pointer into the request ("/body/name", "/query/limit", "/header/authorization")
    detail: str


class Problem(BaseModel):
    """The body of every error response (for the OpenAPI spec; responses are built as dicts)."""

    type: str
    title: str
    status: int
    detail: str
    correlation_id: str
    retryable: bool = False
    errors: list[ProblemItem] | None = None
    erp: str | None = None
    erp_code: str | None = None
    erp_message: str | None = None


# Listed on every route in the OpenAPI spec (FastAPI's own 422 schema is replaced by `Problem`).
PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": Problem, "content": {PROBLEM_JSON: {}}, "description": HTTPStatus(status).phrase}
    for status in (401, 403, 404, 409, 422, 500, 502, 503)
}


def correlation_id(request: Request) -> str:
    return str(getattr(request.state, "correlation_id", None) or uuid.uuid4().hex)


def problem(
    request: Request,
    status: int,
    detail: str,
    *,
    kind: str | None = None,
    headers: Mapping[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    phrase = HTTPStatus(status).phrase
    body: dict[str, Any] = {
        "type": TYPE_BASE + (kind or phrase.lower().replace(" ", "-").replace("'", "")),
        "title": phrase,
        "status": status,
        "detail": detail,
        "correlation_id": correlation_id(request),
        "retryable": False,
    }
    body.update({name: value for name, value in extra.items() if value is not None})
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=dict(headers or {}))


def pointer(location: Sequence[int | str]) -> str:
    """FastAPI's error location ("body", "lines", 0, "amount") as a JSON Pointer ("/body/lines/0/amount")."""
    return "/" + "/".join(str(part).replace("~", "~0").replace("/", "~1") for part in location)


async def _validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    items = [
        {"pointer": pointer(error.get("loc", ())), "detail": str(error.get("msg", "invalid"))}
        for error in exc.errors()
    ]  # never `input`: it may hold a secret the caller sent
    return problem(request, 422, "the request is not valid: see `errors`", kind="validation", errors=items)


async def _http(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
    return problem(request, exc.status_code, detail, headers=exc.headers)


_KINDS = {404: "not-found", 409: "conflict", 422: "invalid-configuration", 500: "failed"}


def status_of(exc: SmartAPError) -> int:
    if isinstance(exc, ERPError):  # before ConfigurationError: ERPConfigurationError is both
        return 503 if isinstance(exc, ERPTransientError) else 502
    if isinstance(exc, NotFoundError):
        return 404
    if isinstance(exc, ConflictError):
        return 409
    if isinstance(exc, ConfigurationError):
        return 422
    return 500


async def _product(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, SmartAPError)
    status = status_of(exc)
    if not isinstance(exc, ERPError):
        if status == 500:  # a deliberate error with no HTTP meaning (a failed run): its line is safe
            log.error("request failed [%s]: %s", correlation_id(request), exc)
        # an error may say the same request can succeed later (an Idempotency-Key still in progress)
        retryable = bool(getattr(exc, "retryable", False))
        return problem(request, status, str(exc), kind=_KINDS.get(status), retryable=retryable)
    headers: dict[str, str] = {}
    if isinstance(exc, ERPRateLimitError) and exc.retry_after is not None:
        headers["Retry-After"] = str(max(1, math.ceil(exc.retry_after)))
    log.warning("ERP error [%s]: %s", correlation_id(request), exc)
    return problem(
        request,
        status,
        str(exc),  # already redacted by ERPError
        kind="erp-unavailable" if status == 503 else "erp-error",
        headers=headers,
        retryable=status == 503,
        erp=exc.erp.value,
        erp_code=exc.code,
        erp_message=exc.message,
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(HTTPException, _http)
    app.add_exception_handler(SmartAPError, _product)


class CorrelationMiddleware:
    """Gives each request a correlation id (the caller's `X-Correlation-ID` when tame, else a new one),
    returns it in the response header, and turns an unexpected exception into a 500 problem that names
    only that id; the traceback goes to the log, never to the caller. A database failure (unreachable,
    schema missing) is a 503 with the one-line description the CLI also prints."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = _header(scope, b"x-correlation-id")
        cid = given if given and _GIVEN_ID.match(given) else uuid.uuid4().hex
        scope.setdefault("state", {})["correlation_id"] = cid
        started = False

        async def send_with_id(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-correlation-id", cid.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception as exc:
            if started:
                raise
            request = Request(scope)
            failure = database_failure(exc)
            if failure is not None:
                log.error("database failure [%s]: %s", cid, failure.message)
                response = problem(request, 503, failure.message, kind="database-unavailable", retryable=True)
            else:
                log.exception("unexpected error [%s]", cid)
                response = problem(request, 500, f"internal error; quote correlation id {cid}")
            await response(scope, receive, send_with_id)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return str(value.decode("latin-1"))
    return None
