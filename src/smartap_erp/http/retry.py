"""The only retry loop in the product: `RetryTransport`, driven by a pure classifier.

`classify(request, response_or_exception, policy, now)` returns a `Decision(retry, reason, wait)`
and has no side effects, so every branch is a one-line test. `RetryPolicy` is data: which statuses
retry, backoff (exponential, full jitter), caps on attempts and total time, the longest server-asked
wait we sit out inside a request, and per-ERP `RetrySignal`s (NetSuite's RESTlet concurrency error
is an HTTP 400 with `SSS_REQUEST_LIMIT_EXCEEDED` in the body, netsuite-connector.md §Concurrency; QuickBooks
asks for 60 s after a 429, quickbooks.md §Rate limits). Reads are retried; writes only when the request
carries the `idempotent` extension, except after a connection error (the request never left). Every retry is
logged with its reason and a redacted URL. When the loop gives up it returns the last response (or raises the
last transport error) so the connector turns it into a typed `ERPError`.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import math
import ssl
from dataclasses import dataclass

import httpx

from smartap_erp.http.call import is_idempotent, run_resend_hooks
from smartap_erp.http.clock import Clock, Random, Sleep, system_clock, system_random, system_sleep
from smartap_erp.http.redact import get_logger, redact_url

log = get_logger(__name__)

# Errors raised before a single byte of the request reached the server: safe to retry any method.
NOT_SENT_ERRORS: tuple[type[httpx.TransportError], ...] = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
)


@dataclass(frozen=True, slots=True)
class Decision:
    """What to do with one outcome. `wait` is the server's requested wait (None: use backoff)."""

    retry: bool
    reason: str
    wait: float | None = None


@dataclass(frozen=True, slots=True)
class RetrySignal:
    """An ERP-specific rule for one kind of response, written as data.

    Matches a response with `status` whose body contains `body_contains` (when set) and whose header
    `header[0]` equals `header[1]` (case-insensitive, when set). `retry=False` makes it final (Xero's
    daily-limit 429); `wait` is a fixed minimum wait in seconds.
    """

    status: int
    reason: str
    body_contains: str | None = None
    header: tuple[str, str] | None = None
    retry: bool = True
    wait: float | None = None

    def matches(self, response: httpx.Response) -> bool:
        if response.status_code != self.status:
            return False
        if self.header is not None:
            name, value = self.header
            if response.headers.get(name, "").strip().lower() != value.lower():
                return False
        if self.body_contains is not None:
            return self.body_contains in response.content.decode("utf-8", "replace")
        return True


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How hard to try. All durations in seconds."""

    max_attempts: int = 5
    max_elapsed: float = 300.0
    base_delay: float = 1.0
    max_delay: float = 60.0
    max_server_wait: float = 120.0
    retry_statuses: frozenset[int] = frozenset({408, 429, 500, 502, 503, 504})
    signals: tuple[RetrySignal, ...] = ()
    safe_methods: frozenset[str] = frozenset({"GET", "HEAD", "OPTIONS"})

    def replayable(self, request: httpx.Request) -> bool:
        """Reads always; writes only when marked idempotent (an idempotency key makes a replay safe)."""
        return request.method.upper() in self.safe_methods or is_idempotent(request)

    def signal_for(self, response: httpx.Response) -> RetrySignal | None:
        return next((signal for signal in self.signals if signal.matches(response)), None)

    def needs_body(self, status: int) -> bool:
        return any(s.status == status and s.body_contains is not None for s in self.signals)

    def backoff(self, attempt: int, rand: Random) -> float:
        """Full jitter: uniform(0, min(max_delay, base_delay * 2^(attempt-1)))."""
        return rand() * min(self.max_delay, self.base_delay * 2.0 ** (attempt - 1))


def parse_retry_after(value: str | None, now: float) -> float | None:
    """`Retry-After` as seconds from `now`: delta-seconds or an HTTP-date (RFC 9110 §10.2.3)."""
    if not value or not value.strip():
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        return _seconds_until_http_date(text, now)
    return max(0.0, seconds) if math.isfinite(seconds) else None


def _seconds_until_http_date(text: str, now: float) -> float | None:
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)  # HTTP-dates are GMT
    return max(0.0, when.timestamp() - now)


def classify(
    request: httpx.Request, outcome: httpx.Response | BaseException, policy: RetryPolicy, *, now: float
) -> Decision:
    """Pure: should this outcome of `request` be retried, why, and after what server-given wait?"""
    replayable = policy.replayable(request)
    if isinstance(outcome, BaseException):
        return _classify_error(request, outcome, replayable)
    signal = policy.signal_for(outcome)
    if signal is not None:
        if not signal.retry:
            return Decision(False, signal.reason)
        given = (parse_retry_after(outcome.headers.get("Retry-After"), now), signal.wait)
        waits = [w for w in given if w is not None]
        return _if_replayable(request, replayable, signal.reason, max(waits) if waits else None)
    status = outcome.status_code
    if status not in policy.retry_statuses:
        return Decision(False, f"HTTP {status} is not retryable")
    wait = parse_retry_after(outcome.headers.get("Retry-After"), now)
    reason = f"HTTP {status}" + (f" with Retry-After {wait:g} s" if wait is not None else "")
    return _if_replayable(request, replayable, reason, wait)


def _refused_certificate(error: BaseException) -> bool:
    """A TLS certificate the client refused: the same certificate will be refused again."""
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, ssl.SSLCertVerificationError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _classify_error(request: httpx.Request, error: BaseException, replayable: bool) -> Decision:
    name = type(error).__name__
    if _refused_certificate(error):
        return Decision(False, "the server's TLS certificate was refused; retrying cannot help")
    if isinstance(error, NOT_SENT_ERRORS):
        return Decision(True, f"{name} before the request was sent")
    if isinstance(error, httpx.TransportError):
        return _if_replayable(request, replayable, name, None)
    return Decision(False, f"{name} is not a transport error")


def _if_replayable(request: httpx.Request, replayable: bool, reason: str, wait: float | None) -> Decision:
    if replayable:
        return Decision(True, reason, wait)
    return Decision(False, f"{reason}; not retried: {request.method} is not marked idempotent")


class RetryTransport(httpx.AsyncBaseTransport):
    """Wraps a transport; retries per `policy`, sleeping with the injected `sleep`."""

    def __init__(
        self,
        inner: httpx.AsyncBaseTransport,
        *,
        policy: RetryPolicy | None = None,
        clock: Clock = system_clock,
        sleep: Sleep = system_sleep,
        random: Random = system_random,
    ) -> None:
        self._inner = inner
        self.policy = policy or RetryPolicy()
        self._clock = clock
        self._sleep = sleep
        self._random = random

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        started = self._clock()
        attempt = 1
        while True:
            outcome = await self._attempt(request)
            decision = classify(request, outcome, self.policy, now=self._clock())
            delay = self._delay(decision, attempt) if decision.retry else 0.0
            stop = self._stop_reason(attempt, started, delay) if decision.retry else decision.reason
            if stop is not None:
                if decision.retry or self._noteworthy(outcome):
                    log.info("not retrying %s %s: %s", request.method, redact_url(request.url), stop)
                return _finish(outcome)
            log.warning(
                "retrying %s %s in %.2f s (attempt %d of %d): %s",
                request.method,
                redact_url(request.url),
                delay,
                attempt + 1,
                self.policy.max_attempts,
                decision.reason,
            )
            if isinstance(outcome, httpx.Response):
                await outcome.aclose()
            await self._sleep(delay)
            await run_resend_hooks(request)
            attempt += 1

    async def _attempt(self, request: httpx.Request) -> httpx.Response | httpx.TransportError:
        try:
            response = await self._inner.handle_async_request(request)
        except httpx.TransportError as exc:
            return exc
        if self.policy.needs_body(response.status_code):
            await response.aread()
        return response

    def _noteworthy(self, outcome: httpx.Response | httpx.TransportError) -> bool:
        if not isinstance(outcome, httpx.Response):
            return True
        return (
            outcome.status_code in self.policy.retry_statuses or self.policy.signal_for(outcome) is not None
        )

    def _delay(self, decision: Decision, attempt: int) -> float:
        if decision.wait is not None:
            return decision.wait
        return self.policy.backoff(attempt, self._random)

    def _stop_reason(self, attempt: int, started: float, delay: float) -> str | None:
        policy = self.policy
        if attempt >= policy.max_attempts:
            return f"{attempt} attempts made (the cap)"
        if delay > policy.max_server_wait:
            return f"the server asked for {delay:g} s, longer than the {policy.max_server_wait:g} s we wait"
        elapsed = self._clock() - started
        if elapsed + delay > policy.max_elapsed:
            return f"waiting {delay:.2f} s more would pass the {policy.max_elapsed:g} s budget"
        return None

    async def aclose(self) -> None:
        await self._inner.aclose()


def _finish(outcome: httpx.Response | httpx.TransportError) -> httpx.Response:
    if isinstance(outcome, httpx.Response):
        return outcome
    raise outcome
