"""The Service Layer's response envelopes: JSON errors, OData annotations per version, overload pages.

v1 (OData 3) errors are `{"error": {"code": <number>, "message": {"lang": "en-us", "value": …}}}`
(sap.md §Error bodies); v2 (OData 4) is reported to send the code as a string and the message as plain text
([S3], UNCERTAIN), which is what the simulator does on `/b1s/v2`. Annotation names differ too:
`odata.metadata` / `odata.nextLink` / `odata.count` on v1, `@odata.context` / `@odata.nextLink` /
`@odata.count` on v2 (sap.md §Hosts and versions). The server has no published rate limit; when it runs out of
worker threads the Apache front end answers 503 with its HTML page, and a back end that does not
answer in time gives a 504 from the proxy — both HTML, not the JSON envelope.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import HTMLResponse, Response

from erpsim.core.jsonutil import SimJSONResponse

SESSION_CODE = 301
SESSION_MESSAGE = "Invalid session or session already timeout."
NOT_FOUND_CODE = -2028
NOT_FOUND_MESSAGE = "No matching records found (ODBC -2028)"


def error(
    version: str, status: int, code: int, message: str, headers: dict[str, str] | None = None
) -> Response:
    body: dict[str, Any]
    if version == "v2":
        body = {"error": {"code": str(code), "message": message}}
    else:
        body = {"error": {"code": code, "message": {"lang": "en-us", "value": message}}}
    return SimJSONResponse(body, status_code=status, headers=headers)


def session_error(version: str) -> Response:
    """Missing, unknown or timed-out B1SESSION: HTTP 401, code 301 (sap.md §Login and session cookies)."""
    return error(version, 401, SESSION_CODE, SESSION_MESSAGE)


def annotation(version: str, name: str) -> str:
    """`metadata` / `nextLink` / `count` under the version's annotation name."""
    if version == "v2":
        return "@odata.context" if name == "metadata" else f"@odata.{name}"
    return f"odata.{name}"


def metadata_url(base_url: str, version: str, fragment: str) -> str:
    return f"{base_url}/b1s/{version}/$metadata#{fragment}"


_APACHE = (
    '<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">\n<html><head>\n<title>{status} {reason}</title>\n'
    "</head><body>\n<h1>{reason}</h1>\n<p>{text}</p>\n</body></html>\n"
)


def overloaded() -> Response:
    """All Service Layer worker threads busy: the load balancer's 503 page."""
    text = (
        "The server is temporarily unable to service your\nrequest due to maintenance downtime or "
        "capacity\nproblems. Please try again later."
    )
    return HTMLResponse(_APACHE.format(status=503, reason="Service Unavailable", text=text), status_code=503)


def gateway_timeout() -> Response:
    text = "The gateway did not receive a timely response\nfrom the upstream server or application."
    return HTMLResponse(_APACHE.format(status=504, reason="Gateway Timeout", text=text), status_code=504)
