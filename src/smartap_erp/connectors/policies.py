"""The published limits and retry quirks of each ERP, written as data for the HTTP toolkit.

Rate limits are keyed the way each ERP counts them (erp-facts.md §Limiter keys): QuickBooks per realm,
Xero per tenant plus app-wide per client id, NetSuite per account, SAP per server and company
database. Retry policies add each ERP's own signals to the default (429, 408, 5xx). Each built-in
ERP's provider description (`connectors/<erp>/provider.py`) hands these to its connector; nothing in
`smartap_erp.http` knows the numbers. An ERP added by an installation declares its own in its provider.
"""

from __future__ import annotations

from smartap_erp.domain.enums import ERPSystem
from smartap_erp.http.ratelimit import HeaderQuota, RateLimitPolicy, Window
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

# NetSuite, netsuite-connector.md §Concurrency: no per-minute quota; account-wide concurrency shared with
# every other integration (5 on the lowest tier). We take 2 by default (performance.md §Physical limits).
NETSUITE_DEFAULT_CONCURRENCY = 2

# SAP Business One, sap.md §Capacity: no published limit; keep concurrency low per company database.
SAP_LIMITS = RateLimitPolicy(concurrency=4)

RETRY_POLICIES: dict[ERPSystem, RetryPolicy] = {
    # quickbooks.md §Rate limits: after a 429 (ThrottleExceeded 003001) Intuit asks for a 60 s wait.
    ERPSystem.QUICKBOOKS: RetryPolicy(
        signals=(RetrySignal(429, "QuickBooks throttle: Intuit asks for 60 s", wait=60.0),),
    ),
    # xero.md §Rate limits: a daily-limit 429 will not clear within a request; the limiter parks the tenant.
    ERPSystem.XERO: RetryPolicy(
        signals=(
            RetrySignal(429, "Xero daily limit spent", header=("X-Rate-Limit-Problem", "day"), retry=False),
        ),
    ),
    # netsuite-connector.md §Concurrency: RESTlets signal the account concurrency limit with HTTP 400, not
    # 429.
    ERPSystem.NETSUITE: RetryPolicy(
        signals=(
            RetrySignal(
                400,
                "NetSuite concurrency limit (SSS_REQUEST_LIMIT_EXCEEDED)",
                body_contains="SSS_REQUEST_LIMIT_EXCEEDED",
            ),
        ),
    ),
    ERPSystem.SAP: RetryPolicy(),
}


def quickbooks_limits(realm_id: str) -> list[tuple[str, RateLimitPolicy]]:
    return [
        (f"quickbooks:realm:{realm_id}", QUICKBOOKS_LIMITS),
        (f"quickbooks:realm:{realm_id}:batch", QUICKBOOKS_BATCH_LIMITS),
    ]


def xero_limits(tenant_id: str, client_id: str) -> list[tuple[str, RateLimitPolicy]]:
    return [(f"xero:tenant:{tenant_id}", XERO_TENANT_LIMITS), (f"xero:app:{client_id}", XERO_APP_LIMITS)]


def netsuite_limits(
    account_id: str, concurrency: int = NETSUITE_DEFAULT_CONCURRENCY
) -> list[tuple[str, RateLimitPolicy]]:
    return [(f"netsuite:account:{account_id.lower()}", RateLimitPolicy(concurrency=concurrency))]


def sap_limits(server: str, company_db: str) -> list[tuple[str, RateLimitPolicy]]:
    return [(f"sap:{server.lower()}:{company_db}", SAP_LIMITS)]
