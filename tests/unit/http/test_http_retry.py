"""The retry loop and its pure classifier: Retry-After (seconds and HTTP-date), backoff with full
jitter, idempotency rules, caps on attempts and time, per-ERP signals as data, logged reasons."""

from __future__ import annotations

import email.utils
import logging
import ssl

import httpx
import pytest

from smartap_erp.http import (
    IDEMPOTENT,
    ManualClock,
    RetryPolicy,
    RetrySignal,
    RetryTransport,
    build_client,
    classify,
    parse_retry_after,
)

URL = "https://api.erp.test/v3/company/123/query"


class Script:
    """A MockTransport handler that plays back a list of responses or exceptions, recording requests."""

    def __init__(self, *outcomes: httpx.Response | type[httpx.TransportError]) -> None:
        self.outcomes = list(outcomes)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        outcome = self.outcomes.pop(0) if len(self.outcomes) > 1 else self.outcomes[0]
        if isinstance(outcome, type):
            raise outcome("scripted failure", request=request)
        return outcome


def client_for(
    script: Script, clock: ManualClock, policy: RetryPolicy | None = None, jitter: float = 1.0
) -> httpx.AsyncClient:
    return build_client(
        "https://api.erp.test/",
        transport=httpx.MockTransport(script),
        retry=policy or RetryPolicy(),
        clock=clock,
        sleep=clock.sleep,
        random=lambda: jitter,
    )


def request(method: str = "GET", idempotent: bool = False) -> httpx.Request:
    return httpx.Request(method, URL, extensions={IDEMPOTENT: True} if idempotent else {})


# ---- the classifier ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("outcome", "method", "idempotent", "retry"),
    [
        (httpx.Response(200), "GET", False, False),
        (httpx.Response(400), "GET", False, False),
        (httpx.Response(404), "GET", False, False),
        (httpx.Response(429), "GET", False, True),
        (httpx.Response(503), "GET", False, True),
        (httpx.Response(408), "GET", False, True),
        (httpx.Response(503), "POST", False, False),
        (httpx.Response(503), "POST", True, True),
        (httpx.Response(429), "PUT", False, False),
        (httpx.ReadTimeout("t"), "GET", False, True),
        (httpx.ReadTimeout("t"), "POST", False, False),
        (httpx.ReadTimeout("t"), "POST", True, True),
        (httpx.RemoteProtocolError("dropped"), "POST", False, False),
        (httpx.ConnectError("refused"), "POST", False, True),  # never reached the server
        (httpx.ConnectTimeout("slow"), "POST", False, True),
        (ValueError("bug"), "GET", False, False),
    ],
)
def test_classifier_decisions(
    outcome: httpx.Response | Exception, method: str, idempotent: bool, retry: bool
) -> None:
    decision = classify(request(method, idempotent), outcome, RetryPolicy(), now=0.0)
    assert decision.retry is retry
    assert decision.reason


def test_classifier_explains_why_a_write_is_not_retried() -> None:
    decision = classify(request("POST"), httpx.ReadTimeout("t"), RetryPolicy(), now=0.0)
    assert decision.reason == "ReadTimeout; not retried: POST is not marked idempotent"


def test_classifier_reports_the_server_wait() -> None:
    decision = classify(request(), httpx.Response(429, headers={"Retry-After": "7"}), RetryPolicy(), now=0.0)
    assert (decision.retry, decision.wait, decision.reason) == (True, 7.0, "HTTP 429 with Retry-After 7 s")


def test_per_erp_signals_are_data() -> None:
    netsuite = RetrySignal(400, "NetSuite concurrency limit", body_contains="SSS_REQUEST_LIMIT_EXCEEDED")
    quickbooks = RetrySignal(429, "QuickBooks throttle", wait=60.0)
    xero_day = RetrySignal(429, "Xero daily limit", header=("X-Rate-Limit-Problem", "day"), retry=False)
    limit_body = b'{"error": {"code": "SSS_REQUEST_LIMIT_EXCEEDED", "message": "Request limit exceeded"}}'

    ns = classify(request(), httpx.Response(400, content=limit_body), RetryPolicy(signals=(netsuite,)), now=0)
    other_400 = classify(
        request(), httpx.Response(400, content=b"{}"), RetryPolicy(signals=(netsuite,)), now=0
    )
    qbo = classify(request(), httpx.Response(429), RetryPolicy(signals=(quickbooks,)), now=0)
    qbo_longer = classify(
        request(),
        httpx.Response(429, headers={"Retry-After": "90"}),
        RetryPolicy(signals=(quickbooks,)),
        now=0,
    )
    day = classify(
        request(),
        httpx.Response(429, headers={"X-Rate-Limit-Problem": "day"}),
        RetryPolicy(signals=(xero_day,)),
        now=0,
    )
    minute = classify(
        request(),
        httpx.Response(429, headers={"X-Rate-Limit-Problem": "minute"}),
        RetryPolicy(signals=(xero_day,)),
        now=0,
    )

    assert (ns.retry, ns.reason) == (True, "NetSuite concurrency limit")
    assert other_400.retry is False
    assert (qbo.retry, qbo.wait) == (True, 60.0)
    assert qbo_longer.wait == 90.0
    assert (day.retry, day.reason) == (False, "Xero daily limit")
    assert minute.retry is True


def test_retry_after_parses_seconds_and_http_dates() -> None:
    now = 1_700_000_000.0
    in_ten = email.utils.formatdate(now + 10, usegmt=True)
    assert parse_retry_after("7", now) == 7.0
    assert parse_retry_after(" 2.5 ", now) == 2.5
    assert parse_retry_after(in_ten, now) == pytest.approx(10.0)
    assert parse_retry_after(email.utils.formatdate(now - 30, usegmt=True), now) == 0.0
    assert parse_retry_after("-3", now) == 0.0
    for junk in (None, "", "soon", "nan", "inf"):
        assert parse_retry_after(junk, now) is None


def test_backoff_is_full_jitter_and_capped() -> None:
    policy = RetryPolicy(base_delay=1.0, max_delay=10.0)
    assert [policy.backoff(n, lambda: 1.0) for n in (1, 2, 3, 4, 5, 6)] == [1.0, 2.0, 4.0, 8.0, 10.0, 10.0]
    assert policy.backoff(3, lambda: 0.25) == 1.0
    assert policy.backoff(3, lambda: 0.0) == 0.0


# ---- the loop ------------------------------------------------------------------------------------


async def test_429_with_retry_after_seven_waits_seven_seconds(clock: ManualClock) -> None:
    script = Script(httpx.Response(429, headers={"Retry-After": "7"}), httpx.Response(200, json={"ok": True}))
    async with client_for(script, clock) as client:
        response = await client.get("v3/company/123/query")
    assert response.status_code == 200
    assert clock.sleeps == [7.0]
    assert len(script.requests) == 2


async def test_retry_after_as_http_date_is_honoured(clock: ManualClock) -> None:
    date = email.utils.formatdate(clock() + 42, usegmt=True)
    script = Script(httpx.Response(503, headers={"Retry-After": date}), httpx.Response(200))
    async with client_for(script, clock) as client:
        response = await client.get("x")
    assert response.status_code == 200
    assert clock.sleeps == [pytest.approx(42.0)]


async def test_backoff_without_retry_after_uses_injected_random(clock: ManualClock) -> None:
    script = Script(httpx.Response(502), httpx.Response(502), httpx.Response(502), httpx.Response(200))
    async with client_for(script, clock, RetryPolicy(base_delay=0.5), jitter=0.5) as client:
        response = await client.get("x")
    assert response.status_code == 200
    assert clock.sleeps == [0.25, 0.5, 1.0]


async def test_non_idempotent_post_is_not_retried_after_a_timeout(clock: ManualClock) -> None:
    script = Script(httpx.ReadTimeout, httpx.Response(201))
    async with client_for(script, clock) as client:
        with pytest.raises(httpx.ReadTimeout):
            await client.post("bill", json={"DocNumber": "B-1"})
    assert len(script.requests) == 1
    assert clock.sleeps == []


async def test_idempotent_marked_post_is_retried_after_a_timeout(clock: ManualClock) -> None:
    script = Script(httpx.ReadTimeout, httpx.Response(201, json={"Bill": {"Id": "9"}}))
    async with client_for(script, clock) as client:
        response = await client.post("bill", json={"DocNumber": "B-1"}, extensions={IDEMPOTENT: True})
    assert response.status_code == 201
    assert len(script.requests) == 2
    assert script.requests[0].content == script.requests[1].content


async def test_attempts_are_capped(clock: ManualClock) -> None:
    script = Script(httpx.Response(503))
    async with client_for(script, clock, RetryPolicy(max_attempts=4)) as client:
        response = await client.get("x")
    assert response.status_code == 503  # the last response comes back for the connector to map
    assert len(script.requests) == 4
    assert len(clock.sleeps) == 3


async def test_total_time_is_capped(clock: ManualClock) -> None:
    script = Script(httpx.Response(503, headers={"Retry-After": "30"}))
    policy = RetryPolicy(max_attempts=100, max_elapsed=100.0)
    async with client_for(script, clock, policy) as client:
        response = await client.get("x")
    assert response.status_code == 503
    assert clock.sleeps == [30.0, 30.0, 30.0]  # a fourth wait would end past 100 s
    assert len(script.requests) == 4


async def test_a_server_wait_longer_than_we_sit_out_returns_at_once(clock: ManualClock) -> None:
    script = Script(httpx.Response(429, headers={"Retry-After": "3600"}), httpx.Response(200))
    async with client_for(script, clock, RetryPolicy(max_server_wait=120.0)) as client:
        response = await client.get("x")
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "3600"
    assert clock.sleeps == []


async def test_transport_errors_are_retried_then_raised(clock: ManualClock) -> None:
    script = Script(httpx.ConnectError)
    async with client_for(script, clock, RetryPolicy(max_attempts=3)) as client:
        with pytest.raises(httpx.ConnectError):
            await client.get("x")
    assert len(script.requests) == 3


async def test_netsuite_restlet_concurrency_400_is_retried(clock: ManualClock) -> None:
    limit = httpx.Response(400, json={"error": {"code": "SSS_REQUEST_LIMIT_EXCEEDED", "message": "limit"}})
    script = Script(limit, httpx.Response(200, json={"ok": True}))
    policy = RetryPolicy(
        signals=(RetrySignal(400, "NetSuite concurrency", body_contains="SSS_REQUEST_LIMIT_EXCEEDED"),)
    )
    async with client_for(script, clock, policy) as client:
        response = await client.get("app/site/hosting/restlet.nl")
    assert response.status_code == 200
    assert len(script.requests) == 2


async def test_every_retry_is_logged_with_reason_and_a_redacted_url(
    clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    script = Script(httpx.Response(429, headers={"Retry-After": "7"}), httpx.Response(200))
    caplog.set_level(logging.INFO, logger="smartap_erp.http.retry")
    async with client_for(script, clock) as client:
        await client.get("x", params={"access_token": "Sentinel-Query-Token-1", "page": "2"})
    retries = [r for r in caplog.records if r.name == "smartap_erp.http.retry"]
    assert len(retries) == 1
    message = retries[0].getMessage()
    assert "HTTP 429 with Retry-After 7 s" in message
    assert "attempt 2 of 5" in message
    assert "access_token=***" in message and "page=2" in message
    assert "Sentinel-Query-Token-1" not in caplog.text


async def test_retry_transport_can_be_used_alone(clock: ManualClock) -> None:
    script = Script(httpx.Response(500), httpx.Response(200))
    transport = RetryTransport(
        httpx.MockTransport(script), clock=clock, sleep=clock.sleep, random=lambda: 0.0
    )
    async with httpx.AsyncClient(transport=transport) as client:
        response = await client.get(URL)
    assert response.status_code == 200
    assert clock.sleeps == [0.0]


def test_a_refused_certificate_is_not_retried() -> None:
    from smartap_erp.http.retry import RetryPolicy, classify

    request = httpx.Request("GET", "https://sap.example.com:50000/b1s/v1/Login")
    cause = ssl.SSLCertVerificationError(1, "certificate verify failed: self-signed certificate")
    try:
        raise httpx.ConnectError("TLS handshake failed", request=request) from cause
    except httpx.ConnectError as error:
        decision = classify(request, error, RetryPolicy(), now=0.0)
    assert decision.retry is False
    assert "certificate was refused" in decision.reason
    plain = classify(request, httpx.ConnectError("refused", request=request), RetryPolicy(), now=0.0)
    assert plain.retry is True
