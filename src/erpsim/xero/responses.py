"""Xero's response envelopes: the success wrapper, the API exceptions, identity errors and 429s.

Success bodies wrap collections as `{"Id", "Status": "OK", "ProviderName", "DateTimeUTC":
"/Date(ms)/", ["pagination"], "<Collection>": [...]}` (xero.md §Endpoints). Accounting errors use the
`{"ErrorNumber", "Type", "Message", ["Elements"]}` body: 10 ValidationException
(xero.md §Writes and idempotency), 14 PostDataInvalidException (a body that is not the expected JSON), 16
QueryParseException (a bad `where`/`order`), 17 ObjectNotFoundException (404). Authentication and tenant
failures use the identity service's problem body `{"Type": null, "Title", "Status", "Detail", "Instance",
"Extensions"}` (401 AuthenticationUnsuccessful / TokenExpired, 403 AuthorizationUnsuccessful for a missing,
unknown or disconnected `xero-tenant-id`, xero.md §Simulator notes). The exact ErrorNumber values other than
10 and the problem-body details are not in Xero's docs (UNCERTAIN; modelled on what Xero is commonly seen to
return).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from starlette.responses import Response

from erpsim.core.jsonutil import SimJSONResponse
from erpsim.xero.dates import ms_date

PROVIDER_NAME = "SmartAP ERP Connector"


def envelope(
    request_id: str,
    now: datetime,
    collection: str,
    items: list[Any],
    pagination: dict[str, int] | None = None,
    status_code: int = 200,
) -> Response:
    body: dict[str, Any] = {
        "Id": request_id,
        "Status": "OK",
        "ProviderName": PROVIDER_NAME,
        "DateTimeUTC": ms_date(now, offset=False),
    }
    if pagination is not None:
        body["pagination"] = pagination
    body[collection] = items
    return SimJSONResponse(body, status_code=status_code)


def api_error(
    number: int, kind: str, message: str, status: int = 400, elements: list[Any] | None = None
) -> Response:
    body: dict[str, Any] = {"ErrorNumber": number, "Type": kind, "Message": message}
    if elements is not None:
        body["Elements"] = elements
    return SimJSONResponse(body, status_code=status)


def validation_error(elements: list[Any]) -> Response:
    return api_error(10, "ValidationException", "A validation exception occurred", elements=elements)


def post_data_invalid(message: str) -> Response:
    return api_error(14, "PostDataInvalidException", message)


def query_parse_error(message: str) -> Response:
    return api_error(16, "QueryParseException", message)


def not_found() -> Response:
    return api_error(17, "ObjectNotFoundException", "The resource you're looking for cannot be found", 404)


def problem(
    status: int, title: str, detail: str, instance: str, headers: dict[str, str] | None = None
) -> Response:
    body: dict[str, Any] = {
        "Type": None,
        "Title": title,
        "Status": status,
        "Detail": detail,
        "Instance": instance,
        "Extensions": {},
    }
    return SimJSONResponse(body, status_code=status, headers=headers)


def unauthorized(instance: str, detail: str = "AuthenticationUnsuccessful") -> Response:
    error = "invalid_token" if detail.startswith("TokenExpired") else "invalid_request"
    return problem(401, "Unauthorized", detail, instance, {"WWW-Authenticate": f'Bearer error="{error}"'})


def forbidden(instance: str) -> Response:
    return problem(403, "Forbidden", "AuthorizationUnsuccessful", instance)


def rate_limited(problem_name: str, retry_after: int, instance: str, remaining: dict[str, str]) -> Response:
    """HTTP 429 with `Retry-After` (seconds) and `X-Rate-Limit-Problem` (xero.md §Rate limits)."""
    headers = {"Retry-After": str(retry_after), "X-Rate-Limit-Problem": problem_name, **remaining}
    return problem(429, "Too Many Requests", f"Rate limit exceeded ({problem_name})", instance, headers)


def server_error(instance: str, status: int = 500) -> Response:
    return problem(
        status,
        "An error occurred",
        "An error occurred in Xero. Check the API Status page http://status.developer.xero.com "
        "for current service status.",
        instance,
    )


def oauth_error(code: str, status: int) -> Response:
    return SimJSONResponse({"error": code}, status_code=status)
