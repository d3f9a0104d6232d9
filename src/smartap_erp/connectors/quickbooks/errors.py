"""QuickBooks' error envelope read into `ErrorDetails`, with the finer error classes its codes imply.

Faults come as `{"Fault": {"Error": [{"Message", "Detail", "code", "element"}], "type"}}`, and 401s in a
lower-case variant `{"fault": {"error": [{"message", "detail", "code"}], "type": "AUTHENTICATION"}}`
(quickbooks.md §Faults). A Fault can also sit inside an HTTP 200 batch item.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import httpx

from smartap_erp.connectors.responses import ErrorDetails, generic_error_details
from smartap_erp.errors import (
    ERPAuthError,
    ERPConflictError,
    ERPDuplicateError,
    ERPError,
    ERPNotFoundError,
    ERPPermissionError,
    ERPRateLimitError,
    ERPValidationError,
)

# Codes from Intuit's "handling common errors" page (quickbooks.md §Faults).
_BY_CODE: dict[str, type[ERPError]] = {
    "100": ERPAuthError,
    "3200": ERPAuthError,
    "120": ERPPermissionError,
    "3100": ERPPermissionError,
    "3001": ERPRateLimitError,
    "610": ERPNotFoundError,
    "5010": ERPConflictError,  # Stale Object Error: the SyncToken moved on
    "6140": ERPDuplicateError,  # Duplicate Doc Num
    "6240": ERPDuplicateError,  # Duplicate Name Exists
    "2020": ERPValidationError,
    "2170": ERPValidationError,
    "2500": ERPValidationError,
    "6000": ERPValidationError,
    "6210": ERPValidationError,  # Account Period Closed
}


def fault_details(fault: Mapping[str, Any]) -> ErrorDetails:
    """Details of a Fault object (either casing)."""
    errors = fault.get("Error") or fault.get("error") or [{}]
    first = errors[0] if isinstance(errors, list) and errors else {}
    code = str(first.get("code") or "") or None
    message = first.get("Message") or first.get("message")
    detail = first.get("Detail") or first.get("detail")
    text = f"{message}: {detail}" if message and detail and detail != message else (message or detail)
    return ErrorDetails(
        code=code,
        message=None if text is None else str(text),
        field=first.get("element") or None,
        error_class=_BY_CODE.get(code.lstrip("0") if code else ""),
    )


def response_error_details(response: httpx.Response) -> ErrorDetails:
    try:
        body = json.loads(response.content or b"null")
    except ValueError:
        return generic_error_details(response)
    fault = body.get("Fault") or body.get("fault") if isinstance(body, dict) else None
    if isinstance(fault, Mapping):
        return fault_details(fault)
    return generic_error_details(response)
