"""Every error the product raises on purpose. Callers branch on the class, never on the text.

The classes are grouped by what the caller must do, not by HTTP status:

SmartAPError
├── ConfigurationError              a setting or stored configuration is wrong: a person must fix it
│   ├── CredentialDecryptionError   stored credentials cannot be decrypted with the configured keys
│   ├── ERPConfigurationError       (also an ERPError) the ERP says our set-up is wrong: bad client id,
│   │                               unknown company or tenant; retrying will not help
│   ├── NotFoundError               what a request names does not exist (an API answers 404)
│   └── ConflictError               the request contradicts what is stored (an API answers 409)
└── ERPError                        something the ERP answered (or failed to answer)
    ├── ERPAuthError                authentication needed: pause the connection, ask a person to reconnect
    │   └── ERPPermissionError      authenticated, but the user or role lacks a permission
    ├── ERPTransientError           worth retrying later: 5xx, timeouts, dropped connections
    │   └── ERPRateLimitError       the ERP's rate limit; `retry_after` / `resets_at` say when to come back
    │       └── ERPQuotaExhaustedError   a daily (long-window) quota is spent; park the connection
    ├── ERPRecordError              this one record is wrong: skip it, show it to a person, carry on
    │   ├── ERPValidationError      the ERP refused the payload (missing field, bad reference ...)
    │   ├── ERPNotFoundError        the record does not exist (any more)
    │   ├── ERPConflictError        the remote version moved on (stale SyncToken, ETag)
    │   └── ERPDuplicateError       the ERP already has a record with that number or name
    └── ERPProtocolError            a bug, ours or the ERP's: a response we cannot understand
        └── PaginationError         the paging loop saw a repeated page or never ended

Every `ERPError` carries the ERP (`ERPSystem`), a redacted URL, the HTTP status, the ERP's own error
code and message and, when the ERP names one, the field concerned. `str(error)` is one readable line
with secrets scrubbed; the same values are attributes for code to branch on.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from smartap_erp.domain.enums import ERPSystem


class SmartAPError(Exception):
    """Base of every deliberate error. `exit_code` is what the CLI exits with when it escapes."""

    exit_code: int = 1


class ConfigurationError(SmartAPError):
    """A setting, key or stored configuration is invalid; retrying will not help."""

    exit_code = 2


class CredentialDecryptionError(ConfigurationError):
    """Stored credentials could not be decrypted with any configured key."""

    exit_code = 1


class NotFoundError(ConfigurationError):
    """What a request names (a connection, an invoice, a job) does not exist, or names several."""


class ConflictError(ConfigurationError):
    """The request contradicts what is stored: a name already taken, a job that did not fail."""


_MAX_TEXT = 500  # an ERP message is a summary, never a whole body (it can be huge or hold PII)


class ERPError(SmartAPError):
    """An ERP call failed. Attributes are what code branches on; `str()` is what a person reads.

    Args:
        summary: our one-line description of what failed ("token refresh refused").
        erp: which ERP answered.
        url: the URL called; it is redacted before it is stored.
        method: the HTTP method, shown with the URL.
        status: the HTTP status, when there was a response.
        code: the ERP's own error code ("6240", "invalid_grant", "-10", "SSS_REQUEST_LIMIT_EXCEEDED").
        message: the ERP's own error message, redacted and truncated.
        field: the field the ERP says is wrong, when it names one.
    """

    def __init__(
        self,
        summary: str,
        *,
        erp: ERPSystem,
        url: str | None = None,
        method: str | None = None,
        status: int | None = None,
        code: str | None = None,
        message: str | None = None,
        field: str | None = None,
    ) -> None:
        # Imported here: the http package imports this module, so a top-level import would be a cycle.
        from smartap_erp.http.redact import redact_text, redact_url

        self.summary = _one_line(redact_text(summary))
        self.erp = ERPSystem(erp)
        self.url = redact_url(url) if url else None
        self.method = method
        self.status = status
        self.code = None if code is None else _one_line(redact_text(str(code)))
        # Cut before redacting (a body can be megabytes), then again after; 4x leaves room for masks.
        self.message = (
            None if message is None else _one_line(redact_text(message[: 4 * _MAX_TEXT]))[:_MAX_TEXT]
        )
        self.field = field
        super().__init__(self._line())

    def _line(self) -> str:
        parts = [f"{self.erp.value}: {self.summary}"]
        where = " ".join(p for p in (self.method, self.url) if p)
        if self.status is not None:
            where = f"HTTP {self.status}" + (f" for {where}" if where else "")
        if where:
            parts.append(f"({where})")
        said = ": ".join(p for p in (self.code, self.message) if p)
        if said:
            parts.append(f"- ERP said {said}")
        if self.field:
            parts.append(f"[field {self.field}]")
        return " ".join(parts)

    def __str__(self) -> str:
        return self._line()

    def _state(self) -> dict[str, Any]:
        return {
            "erp": self.erp,
            "url": self.url,
            "method": self.method,
            "status": self.status,
            "code": self.code,
            "message": self.message,
            "field": self.field,
        }

    def __reduce__(self) -> tuple[Any, ...]:
        # Keyword-only constructors do not survive pickling by default; job runners pickle errors.
        return (_rebuild, (type(self), self.summary, self._state()))


def _rebuild(cls: type[ERPError], summary: str, state: dict[str, Any]) -> ERPError:
    return cls(summary, **state)


def _one_line(text: str) -> str:
    return " ".join(text.split())


class ERPAuthError(ERPError):
    """The ERP no longer accepts our credentials (refresh refused, session login failed, 401 after
    a fresh token). Pause the connection and ask a person to reconnect."""


class ERPPermissionError(ERPAuthError):
    """Authenticated, but the user or role lacks a permission (HTTP 403). A person must fix it."""


class ERPConfigurationError(ERPError, ConfigurationError):
    """The ERP says our configuration is wrong (client id/secret, company, tenant, account)."""

    exit_code = 2


class ERPTransientError(ERPError):
    """Worth retrying later: the ERP was down, slow or unreachable. The run fails softly."""


class ERPRateLimitError(ERPTransientError):
    """The ERP's rate limit was hit (or would have been). Come back after `retry_after` seconds
    (at `resets_at`) when known."""

    def __init__(
        self,
        summary: str,
        *,
        retry_after: float | None = None,
        resets_at: dt.datetime | None = None,
        **details: Any,
    ) -> None:
        self.retry_after = retry_after
        self.resets_at = resets_at
        super().__init__(summary, **details)

    def _line(self) -> str:
        line = super()._line()
        if self.resets_at is not None:
            line += f"; resets at {self.resets_at.astimezone(dt.UTC).isoformat(timespec='seconds')}"
        elif self.retry_after is not None:
            line += f"; retry after {self.retry_after:g} s"
        return line

    def _state(self) -> dict[str, Any]:
        return {**super()._state(), "retry_after": self.retry_after, "resets_at": self.resets_at}


class ERPQuotaExhaustedError(ERPRateLimitError):
    """A long-window quota (Xero's 5,000 calls a day per tenant) is spent. Waiting inside a request
    would mean hours; the connection is parked until `resets_at` instead."""


class ERPRecordError(ERPError):
    """This one record was refused. Skip it, show it to a person, carry on with the others."""


class ERPValidationError(ERPRecordError):
    """The ERP refused the payload: a missing or invalid field, an inactive reference, a closed period."""


class ERPNotFoundError(ERPRecordError):
    """The record does not exist in the ERP (or no longer does)."""


class ERPConflictError(ERPRecordError):
    """The remote record changed since we read it (QuickBooks 5010 stale SyncToken, HTTP 409/412)."""


class ERPDuplicateError(ERPRecordError):
    """The ERP already holds a record with this number or name (QuickBooks 6140/6240)."""


class ERPProtocolError(ERPError):
    """A response we cannot understand: a bug in the connector or in the ERP. Report it."""


class PaginationError(ERPProtocolError):
    """The paging loop saw a repeated page or request, or ran past its page limit."""
