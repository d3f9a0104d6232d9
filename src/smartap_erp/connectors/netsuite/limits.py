"""NetSuite's published rate limits and retry quirks, written as data for the HTTP toolkit and handed
to the connector by the provider description (`provider.py`); limiter keys follow how the ERP counts
(erp-facts.md §Limiter keys)."""

from __future__ import annotations

from smartap_erp.http.ratelimit import RateLimitPolicy
from smartap_erp.http.retry import RetryPolicy, RetrySignal

# NetSuite, netsuite-connector.md §Concurrency: no per-minute quota; account-wide concurrency shared with
# every other integration (5 on the lowest tier). We take 2 by default (performance.md §Physical limits).
NETSUITE_DEFAULT_CONCURRENCY = 2

# netsuite-connector.md §Concurrency: RESTlets signal the account concurrency limit with HTTP 400, not
# 429.
RETRY_POLICY = RetryPolicy(
    signals=(
        RetrySignal(
            400,
            "NetSuite concurrency limit (SSS_REQUEST_LIMIT_EXCEEDED)",
            body_contains="SSS_REQUEST_LIMIT_EXCEEDED",
        ),
    ),
)


def netsuite_limits(
    account_id: str, concurrency: int = NETSUITE_DEFAULT_CONCURRENCY
) -> list[tuple[str, RateLimitPolicy]]:
    return [(f"netsuite:account:{account_id.lower()}", RateLimitPolicy(concurrency=concurrency))]
