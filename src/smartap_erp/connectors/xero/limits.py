"""Xero's published rate limits and retry quirks, written as data for the HTTP toolkit and handed
to the connector by the provider description (`provider.py`); limiter keys follow how the ERP counts
(erp-facts.md §Limiter keys)."""

from __future__ import annotations

from smartap_erp.http.ratelimit import HeaderQuota, RateLimitPolicy, Window
from smartap_erp.http.retry import RetryPolicy, RetrySignal

# Xero, xero.md §Rate limits: per tenant 60/min, 5,000/day, 5 concurrent; remaining counts in headers; a 429
# names the breached limit in X-Rate-Limit-Problem ("minute", "day"). The day is not waited out.
XERO_TENANT_LIMITS = RateLimitPolicy(
    windows=(Window(60, 60.0, name="minute"), Window(5000, 86_400.0, name="day", when_full="raise")),
    concurrency=5,
    header_quotas=(
        HeaderQuota("X-MinLimit-Remaining", "minute", problem=("X-Rate-Limit-Problem", "minute")),
        HeaderQuota("X-DayLimit-Remaining", "day", problem=("X-Rate-Limit-Problem", "day")),
    ),
)
# Xero app-wide: 10,000/min across all tenants. The X-Rate-Limit-Problem value for this limit is
# UNCERTAIN (xero.md §Rate limits), so only the remaining-count header is used.
XERO_APP_LIMITS = RateLimitPolicy(
    windows=(Window(10_000, 60.0, name="app-minute"),),
    header_quotas=(HeaderQuota("X-AppMinLimit-Remaining", "app-minute"),),
)

# xero.md §Rate limits: a daily-limit 429 will not clear within a request; the limiter parks the tenant.
RETRY_POLICY = RetryPolicy(
    signals=(
        RetrySignal(429, "Xero daily limit spent", header=("X-Rate-Limit-Problem", "day"), retry=False),
    ),
)


def xero_limits(tenant_id: str, client_id: str) -> list[tuple[str, RateLimitPolicy]]:
    return [(f"xero:tenant:{tenant_id}", XERO_TENANT_LIMITS), (f"xero:app:{client_id}", XERO_APP_LIMITS)]
