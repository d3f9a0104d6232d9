"""The HTTP exchanges of a sync run, recorded while it runs: `recording()` puts an `ExchangeRecorder`
in a context variable for the run, and `RecordingTransport`, the innermost layer of a connector's
transport stack, adds one `Exchange` per request sent while one is set (every retry attempt and every
login or token refresh is an exchange of its own, so a 429 that the retry loop sat out is counted).

An exchange is the method, the redacted URL (`redact_url`: no secret query value), the status (None
when no response came; the transport error's type instead), the duration in milliseconds and the
ERP's own error code read from an error body. Never a header or a body. A run keeps its first
`keep` exchanges and every failure (status >= 400 or no response), up to `keep_failures`; the rest
are only counted (`omitted`). `smartap_erp.sync.logs` starts a recorder with each sync log and writes
its exchanges with the log when it closes.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import json
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx

from smartap_erp.http.redact import redact_text, redact_url

KEEP = 200  # exchanges kept from the start of a run, successful or not
KEEP_FAILURES = 1000  # failures kept after those
_ERROR_BODY_LIMIT = 65_536  # bytes: an error body longer than this is not searched for a code


@dataclass(frozen=True, slots=True)
class Exchange:
    seq: int
    method: str
    url: str  # redacted
    status: int | None
    duration_ms: int
    erp_code: str | None
    error: str | None  # the transport error's type when no response came
    at: dt.datetime

    @property
    def failed(self) -> bool:
        return self.status is None or self.status >= 400


@dataclass
class ExchangeRecorder:
    """The exchanges of one run (one sync log), bounded."""

    log_id: uuid.UUID | None = None
    keep: int = KEEP
    keep_failures: int = KEEP_FAILURES
    next_seq: int = 1
    kept: list[Exchange] = field(default_factory=list)
    omitted: int = 0  # sent, counted, not kept
    _failures_kept: int = 0

    def add(
        self,
        method: str,
        url: str,
        status: int | None,
        duration_ms: int,
        erp_code: str | None,
        error: str | None,
        at: dt.datetime,
    ) -> None:
        seq, self.next_seq = self.next_seq, self.next_seq + 1
        exchange = Exchange(seq, method, url, status, duration_ms, erp_code, error, at)
        if len(self.kept) < self.keep:
            self.kept.append(exchange)
        elif exchange.failed and self._failures_kept < self.keep_failures:
            self._failures_kept += 1
            self.kept.append(exchange)
        else:
            self.omitted += 1


_current: contextvars.ContextVar[ExchangeRecorder | None] = contextvars.ContextVar(
    "erp_exchange_recorder", default=None
)


def current_recorder() -> ExchangeRecorder | None:
    return _current.get()


def start_recording(recorder: ExchangeRecorder) -> None:
    """Record this context's exchanges (and those of tasks it starts from now on) into `recorder`.
    For a run whose start and end are in different functions (`sync.logs.start_log` / `finish_log`)."""
    _current.set(recorder)


def stop_recording(recorder: ExchangeRecorder) -> bool:
    """Stop recording into `recorder` if it is the current one; whether it was."""
    if _current.get() is not recorder:
        return False
    _current.set(None)
    return True


@contextlib.contextmanager
def recording(recorder: ExchangeRecorder | None = None) -> Iterator[ExchangeRecorder]:
    """Record the exchanges sent inside this block."""
    recorder = recorder or ExchangeRecorder()
    token = _current.set(recorder)
    try:
        yield recorder
    finally:
        _current.reset(token)


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class RecordingTransport(httpx.AsyncBaseTransport):
    """Passes requests to `inner`, and records each into the current recorder, if there is one."""

    def __init__(
        self,
        inner: httpx.AsyncBaseTransport,
        *,
        timer: Callable[[], float] = time.perf_counter,
        now: Callable[[], dt.datetime] = _utcnow,
    ) -> None:
        self._inner, self._timer, self._now = inner, timer, now

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        recorder = _current.get()
        if recorder is None:
            return await self._inner.handle_async_request(request)
        at, started = self._now(), self._timer()
        url = redact_url(request.url)[:2048]
        try:
            response = await self._inner.handle_async_request(request)
        except httpx.TransportError as exc:
            took = _ms(self._timer() - started)
            recorder.add(request.method, url, None, took, None, type(exc).__name__, at)
            raise
        code = None
        if response.status_code >= 400:
            await response.aread()  # kept on the response: the layers above read it again
            code = erp_error_code(response.content)
        took = _ms(self._timer() - started)
        recorder.add(request.method, url, response.status_code, took, code, None, at)
        return response

    async def aclose(self) -> None:
        await self._inner.aclose()


def _ms(seconds: float) -> int:
    return max(0, round(seconds * 1000))


def erp_error_code(body: bytes) -> str | None:
    """The ERP's own error code in an error body, for each ERP's shape: QuickBooks
    `{"Fault": {"Error": [{"code": "6240"}]}}`, SAP `{"error": {"code": -10}}`, NetSuite REST
    `{"o:errorDetails": [{"o:errorCode": "INVALID_VALUE"}]}`, Xero `{"ErrorNumber": 10, "Type":
    "ValidationException"}`, OAuth `{"error": "invalid_grant"}`, else a top-level `code`. None if
    the body is not JSON or holds none (NetSuite RESTlet and Xero rate-limit bodies can be text)."""
    if not body or len(body) > _ERROR_BODY_LIMIT:
        return None
    try:
        data: Any = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(data, dict):
        return None
    code = _first_code(data)
    return None if code is None else redact_text(str(code))[:128]


def _first_code(data: dict[str, Any]) -> object:
    fault = data.get("Fault") or data.get("fault")
    if isinstance(fault, dict):
        errors = fault.get("Error") or fault.get("error")
        if isinstance(errors, list) and errors and isinstance(errors[0], dict):
            return errors[0].get("code")
    error = data.get("error")
    if isinstance(error, dict):
        return error.get("code")
    details = data.get("o:errorDetails")
    if isinstance(details, list) and details and isinstance(details[0], dict):
        return details[0].get("o:errorCode")
    if "Type" in data and "ErrorNumber" in data:
        return data["Type"]
    if isinstance(error, str):
        return error
    for name in ("code", "errorCode", "error_code"):
        if isinstance(data.get(name), str | int):
            return data[name]
    return None
