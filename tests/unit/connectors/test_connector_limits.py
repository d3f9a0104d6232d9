"""Each ERP's limits and retry quirks (`connectors/<erp>/limits.py`) match its API facts."""

from __future__ import annotations

import httpx
import pytest

from smartap_erp.connectors.netsuite.limits import netsuite_limits
from smartap_erp.connectors.quickbooks.limits import (
    QUICKBOOKS_BATCH_LIMITS,
    QUICKBOOKS_LIMITS,
    quickbooks_limits,
)
from smartap_erp.connectors.registry import registry
from smartap_erp.connectors.sap.limits import SAP_LIMITS, sap_limits
from smartap_erp.connectors.xero.limits import XERO_APP_LIMITS, XERO_TENANT_LIMITS, xero_limits
from smartap_erp.domain.enums import ERPSystem
from smartap_erp.http import RateLimitPolicy, classify


@pytest.mark.parametrize("policy", [QUICKBOOKS_LIMITS, XERO_TENANT_LIMITS, XERO_APP_LIMITS, SAP_LIMITS])
def test_header_quotas_refer_to_declared_windows(policy: RateLimitPolicy) -> None:
    labels = {window.label for window in policy.windows}
    assert {quota.window for quota in policy.header_quotas} <= labels


def test_published_numbers() -> None:
    # Exactly what Intuit publishes (quickbooks.md §Rate limits): slots are held until one window after the
    # response, so no margin for network jitter is needed.
    assert [(w.limit, w.seconds) for w in QUICKBOOKS_LIMITS.windows] == [(500, 60.0), (10, 1.0)]
    assert QUICKBOOKS_LIMITS.concurrency == 10
    assert [(w.limit, w.seconds) for w in QUICKBOOKS_BATCH_LIMITS.windows] == [(40, 60.0)]
    assert [(w.limit, w.seconds, w.when_full) for w in XERO_TENANT_LIMITS.windows] == [
        (60, 60.0, "wait"),
        (5000, 86_400.0, "raise"),
    ]
    assert XERO_TENANT_LIMITS.concurrency == 5


def test_limiter_keys_follow_how_each_erp_counts() -> None:
    assert [key for key, _ in quickbooks_limits("9130")] == [
        "quickbooks:realm:9130",
        "quickbooks:realm:9130:batch",
    ]
    assert [key for key, _ in xero_limits("tenant-1", "client-1")] == [
        "xero:tenant:tenant-1",
        "xero:app:client-1",
    ]
    assert netsuite_limits("1234567_SB1", concurrency=3)[0] == (
        "netsuite:account:1234567_sb1",
        RateLimitPolicy(concurrency=3),
    )
    assert sap_limits("SAP.Example.com:50000", "SBODEMOUS")[0][0] == "sap:sap.example.com:50000:SBODEMOUS"


def test_the_quickbooks_batch_limit_applies_to_batch_requests_only() -> None:
    base = "https://quickbooks.api.intuit.com/v3/company/9130"
    assert QUICKBOOKS_BATCH_LIMITS.applies_to(httpx.Request("POST", f"{base}/batch?minorversion=75"))
    assert not QUICKBOOKS_BATCH_LIMITS.applies_to(httpx.Request("POST", f"{base}/bill"))
    assert QUICKBOOKS_LIMITS.applies_to(httpx.Request("POST", f"{base}/batch"))


def test_retry_policies_carry_each_erps_quirk() -> None:
    get = httpx.Request("GET", "https://x.test/")
    qbo = classify(get, httpx.Response(429), registry.provider(ERPSystem.QUICKBOOKS).retry, now=0)
    ns_body = b'{"error": {"code": "SSS_REQUEST_LIMIT_EXCEEDED"}}'
    ns = classify(
        get, httpx.Response(400, content=ns_body), registry.provider(ERPSystem.NETSUITE).retry, now=0
    )
    xero = classify(
        get,
        httpx.Response(429, headers={"X-Rate-Limit-Problem": "day"}),
        registry.provider(ERPSystem.XERO).retry,
        now=0,
    )
    assert (qbo.retry, qbo.wait) == (True, 60.0)
    assert ns.retry is True
    assert xero.retry is False
