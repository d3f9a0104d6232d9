"""Turning HTTP outcomes into typed errors, and exceptions into per-record `RecordError`s.

`error_for_response` maps a failed response to the `ERPError` class that says what the caller must
do (401 auth, 403 permission, 404 not found, 409/412 conflict, 400/422 validation, 429 rate limit with
its `Retry-After`, 408/5xx transient, anything else a protocol error). Each connector reads its own
error envelope into an `ErrorDetails` (QuickBooks `Fault`, Xero `ValidationErrors`, SAP `error`,
NetSuite `o:errorDetails`) and may pick a finer class (QuickBooks 6140 duplicate, 5010 conflict);
`generic_error_details` is the fallback for bodies nobody recognised.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import httpx
from pydantic import ValidationError

from smartap_erp.domain.enums import ERPSystem
from smartap_erp.domain.results import RecordError
from smartap_erp.errors import (
    ERPAuthError,
    ERPConflictError,
    ERPError,
    ERPNotFoundError,
    ERPPermissionError,
    ERPProtocolError,
    ERPRateLimitError,
    ERPTransientError,
    ERPValidationError,
)
from smartap_erp.http.redact import redact_text
from smartap_erp.http.retry import parse_retry_after

_BY_STATUS: dict[int, type[ERPError]] = {
    400: ERPValidationError,
    401: ERPAuthError,
    403: ERPPermissionError,
    404: ERPNotFoundError,
    408: ERPTransientError,
    409: ERPConflictError,
    412: ERPConflictError,
    422: ERPValidationError,
    429: ERPRateLimitError,
}


@dataclass(frozen=True, slots=True)
class ErrorDetails:
    """The ERP's own words about a failure."""

    code: str | None = None
    message: str | None = None
    field: str | None = None
    error_class: type[ERPError] | None = None  # a connector's finer choice, else chosen by status


def generic_error_details(response: httpx.Response) -> ErrorDetails:
    """Best effort for an unknown envelope: common `code`/`message` keys, else the start of the text."""
    try:
        body: Any = json.loads(response.content or b"null")
    except ValueError:
        return ErrorDetails(message=response.text[:200] or None)
    if isinstance(body, dict):
        error = body.get("error")
        inner: dict[str, Any] = error if isinstance(error, dict) else body
        code = inner.get("code") or inner.get("Code") or inner.get("error")
        message = next(
            (inner[k] for k in ("message", "Message", "detail", "title", "Title") if inner.get(k)), None
        )
        return ErrorDetails(
            code=None if code is None or isinstance(code, dict) else str(code),
            message=None if message is None else str(message),
        )
    return ErrorDetails(message=response.text[:200] or None)


def error_class_for_status(status: int) -> type[ERPError]:
    if status in _BY_STATUS:
        return _BY_STATUS[status]
    return ERPTransientError if status >= 500 else ERPProtocolError


def error_for_response(
    erp: ERPSystem, response: httpx.Response, details: ErrorDetails, *, now: float
) -> ERPError:
    """The typed error for a failed response (the caller raises it)."""
    cls = details.error_class or error_class_for_status(response.status_code)
    request = response.request
    common: dict[str, Any] = {
        "erp": erp,
        "url": str(request.url),
        "method": request.method,
        "status": response.status_code,
        "code": details.code,
        "message": details.message,
        "field": details.field,
    }
    summary = _SUMMARIES.get(cls, "the ERP refused the request")
    if issubclass(cls, ERPRateLimitError):
        retry_after = parse_retry_after(response.headers.get("Retry-After"), now)
        return cls(summary, retry_after=retry_after, **common)
    return cls(summary, **common)


def transport_error(erp: ERPSystem, request: httpx.Request, exc: httpx.TransportError) -> ERPTransientError:
    """A timeout or connection failure the retry layer gave up on."""
    return ERPTransientError(
        f"no answer from the ERP ({type(exc).__name__})", erp=erp, url=str(request.url), method=request.method
    )


_SUMMARIES: dict[type[ERPError], str] = {
    ERPAuthError: "the ERP no longer accepts our credentials; a person must reconnect",
    ERPPermissionError: "the ERP user or role lacks a permission",
    ERPNotFoundError: "the record was not found",
    ERPConflictError: "the record changed in the ERP since it was read",
    ERPValidationError: "the ERP refused the record",
    ERPRateLimitError: "the ERP's rate limit was hit",
    ERPTransientError: "the ERP is unavailable; try again later",
    ERPProtocolError: "unexpected answer from the ERP",
}


def record_error_from(exc: BaseException, record_id: str | None) -> RecordError:
    """A `RecordError` for one record that could not be read or written."""
    if isinstance(exc, ValidationError):
        first = exc.errors()[0] if exc.errors() else None
        field = ".".join(str(part) for part in first["loc"]) if first and first["loc"] else None
        message = first["msg"] if first else str(exc)
        return RecordError(record_id=record_id, field=field, message=message, code="invalid_record")
    if isinstance(exc, KeyError) and exc.args:
        field = str(exc.args[0])
        return RecordError(
            record_id=record_id, field=field, message=f"the ERP record has no {field!r}", code="missing_field"
        )
    if isinstance(exc, ERPError):
        return RecordError(record_id=record_id, field=exc.field, message=str(exc), code=exc.code)
    message = redact_text(f"{type(exc).__name__}: {exc}")
    return RecordError(record_id=record_id, message=message, code="unreadable_record")
