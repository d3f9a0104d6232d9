"""NetSuite's two error envelopes and the one exception the handlers raise.

RESTlets: an error thrown by the script (or raised by the platform in front of it) is answered with
`{"error": {"code": ..., "message": ...}}`; script errors are HTTP 400 (the shipped scripts throw
`N/error` objects, netsuite-connector.md §RESTlets), auth failures 401 and the account concurrency limit 400
`SSS_REQUEST_LIMIT_EXCEEDED` (netsuite-connector.md §Concurrency). REST web services answer RFC 7807-style
bodies `{"type", "title", "status", "o:errorDetails": [{"detail", "o:errorCode", "o:errorPath"?}]}`
(netsuite-connector.md §REST record API), with 429 for the concurrency limit (its `o:errorCode` string is
UNCERTAIN, netsuite-connector.md §Concurrency). `NetSuiteError` carries code, message, status and optional
path, and renders itself in either form.
"""

from __future__ import annotations

from starlette.responses import Response

from erpsim.core.jsonutil import SimJSONResponse

_TITLES = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    429: "Too Many Requests",
    500: "Internal Server Error",
    504: "Gateway Timeout",
}
_SECTIONS = {
    400: "15.5.1",
    401: "15.5.2",
    403: "15.5.4",
    404: "15.5.5",
    405: "15.5.6",
    409: "15.5.10",
    429: "6585#section-4",
    500: "15.6.1",
    504: "15.6.5",
}

LOGIN_DETAIL = (
    "Invalid login attempt. For more details, see the Login Audit Trail in the NetSuite UI "
    "at Setup > Users/Roles > User Management > View Login Audit Trail."
)
CONCURRENCY_MESSAGE = (
    "The request could not be processed because the account's concurrency limit "
    "for web services and RESTlets has been exceeded. Try again later."
)


class NetSuiteError(Exception):
    """A NetSuite error: code, human message, HTTP status and (REST) the offending field path."""

    def __init__(self, code: str, message: str, *, status: int = 400, path: str | None = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code, self.message, self.status, self.path = code, message, status, path

    def restlet_response(self) -> Response:
        return SimJSONResponse(
            {"error": {"code": self.code, "message": self.message}}, status_code=self.status
        )

    def rest_response(self) -> Response:
        detail: dict[str, str] = {"detail": self.message, "o:errorCode": self.code}
        if self.path:
            detail["o:errorPath"] = self.path
        section = _SECTIONS.get(self.status, "15.5.1")
        kind = (
            f"https://www.rfc-editor.org/rfc/rfc{section.replace('#', '.html#')}"
            if "#" in section
            else f"https://www.rfc-editor.org/rfc/rfc9110.html#section-{section}"
        )
        body = {
            "type": kind,
            "title": _TITLES.get(self.status, "Error"),
            "status": self.status,
            "o:errorDetails": [detail],
        }
        return SimJSONResponse(
            body,
            status_code=self.status,
            headers={"Content-Type": "application/vnd.oracle.resource+json; type=error"},
        )


def login_failed(rest: bool) -> NetSuiteError:
    # REST says INVALID_LOGIN; RESTlets INVALID_LOGIN_ATTEMPT
    # (netsuite-connector.md §Token-based authentication, UNCERTAIN wording).
    if rest:
        return NetSuiteError("INVALID_LOGIN", LOGIN_DETAIL, status=401)
    return NetSuiteError("INVALID_LOGIN_ATTEMPT", "Invalid login attempt.", status=401)


def concurrency_exceeded(rest: bool) -> NetSuiteError:
    if rest:  # netsuite-connector.md §Concurrency: REST web services answer 429; the code string is UNCERTAIN
        return NetSuiteError("CONCURRENCY_LIMIT_EXCEEDED", CONCURRENCY_MESSAGE, status=429)
    return NetSuiteError("SSS_REQUEST_LIMIT_EXCEEDED", CONCURRENCY_MESSAGE, status=400)


def not_found(rest: bool, what: str = "record") -> NetSuiteError:
    if rest:
        return NetSuiteError(
            "NONEXISTENT_ID",
            "The record instance does not exist. Provide a valid record instance ID.",
            status=404,
        )
    return NetSuiteError("NOT_FOUND", f"{what} not found")


def invalid_parameter(message: str, *, rest: bool = False, path: str | None = None) -> NetSuiteError:
    return NetSuiteError("INVALID_PARAMETER", message, status=400, path=path if rest else None)
