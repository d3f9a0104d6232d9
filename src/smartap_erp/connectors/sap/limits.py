"""SAP Business One's published rate limits and retry quirks, written as data for the HTTP toolkit and handed
to the connector by the provider description (`provider.py`); limiter keys follow how the ERP counts
(erp-facts.md §Limiter keys)."""

from __future__ import annotations

from smartap_erp.http.ratelimit import RateLimitPolicy
from smartap_erp.http.retry import RetryPolicy

# SAP Business One, sap.md §Capacity: no published limit; keep concurrency low per company database.
SAP_LIMITS = RateLimitPolicy(concurrency=4)

RETRY_POLICY = RetryPolicy()  # the default signals (429, 408, 5xx) only


def sap_limits(server: str, company_db: str) -> list[tuple[str, RateLimitPolicy]]:
    return [(f"sap:{server.lower()}:{company_db}", SAP_LIMITS)]
