"""QuickBooks Online's published rate limits and retry quirks, written as data for the HTTP toolkit and handed
to the connector by the provider description (`provider.py`); limiter keys follow how the ERP counts
(erp-facts.md §Limiter keys)."""

from __future__ import annotations

from smartap_erp.http.ratelimit import RateLimitPolicy, Window
from smartap_erp.http.retry import RetryPolicy, RetrySignal

# QuickBooks Online, quickbooks.md §Rate limits: 500 requests/min per realm, 10/s and 10 concurrent per
# realm+app. No margin is needed: a request holds its slot from send until one window after its response
# (`smartap_erp.http.slots`), so Intuit cannot see more than these numbers in any window.
QUICKBOOKS_LIMITS = RateLimitPolicy(
    windows=(Window(500, 60.0, name="minute"), Window(10, 1.0, name="second")),
    concurrency=10,
)
# QuickBooks batch, quickbooks.md §Rate limits: 40 batch requests/min per realm+app (each also counts toward
# the 500/min above, so a batch request takes a slot of both keys).
QUICKBOOKS_BATCH_LIMITS = RateLimitPolicy(windows=(Window(40, 60.0, name="batch-minute"),), paths=r"/batch$")

# quickbooks.md §Rate limits: after a 429 (ThrottleExceeded 003001) Intuit asks for a 60 s wait.
RETRY_POLICY = RetryPolicy(
    signals=(RetrySignal(429, "QuickBooks throttle: Intuit asks for 60 s", wait=60.0),),
)


def quickbooks_limits(realm_id: str) -> list[tuple[str, RateLimitPolicy]]:
    return [
        (f"quickbooks:realm:{realm_id}", QUICKBOOKS_LIMITS),
        (f"quickbooks:realm:{realm_id}:batch", QUICKBOOKS_BATCH_LIMITS),
    ]
