"""The ERP-agnostic HTTP toolkit every connector uses: one client factory, auth flows, one retry loop,
rate limiters as data, pagination strategies with one paging loop, and redaction.

Read this file for the public API; the modules hold the implementation. No ERP-specific numbers live
here: connectors pass them in as data (see `smartap_erp.connectors.<erp>.limits`). See docs/http-toolkit.md.
"""

from smartap_erp.http.call import IDEMPOTENT, Call, read_json, send_call
from smartap_erp.http.client import DEFAULT_TIMEOUT, USER_AGENT, build_client, build_transport, close_client
from smartap_erp.http.clock import Clock, ManualClock, Random, Sleep, system_clock, system_sleep
from smartap_erp.http.oauth1 import OAuth1TBAAuth, realm_for, signature_base_string
from smartap_erp.http.oauth2 import OAuth2RefreshAuth
from smartap_erp.http.paginate import (
    NextLink,
    OffsetLimit,
    Page,
    PageNumber,
    Paginator,
    QueryStartPosition,
    SinglePage,
    iter_pages,
)
from smartap_erp.http.ratelimit import (
    HeaderQuota,
    LimiterRegistry,
    RateLimiter,
    RateLimitPolicy,
    RateLimitTransport,
    Window,
    default_limiters,
)
from smartap_erp.http.redact import (
    RedactingFilter,
    get_logger,
    install_handler_redaction,
    redact_headers,
    redact_text,
    redact_url,
    register_secret,
)
from smartap_erp.http.retry import (
    Decision,
    RetryPolicy,
    RetrySignal,
    RetryTransport,
    classify,
    parse_retry_after,
)
from smartap_erp.http.session import ServiceLayerSessionAuth, parse_service_layer_error
from smartap_erp.http.tokens import MemoryTokenStore, Token, TokenStore

__all__ = [
    "DEFAULT_TIMEOUT",
    "IDEMPOTENT",
    "USER_AGENT",
    "Call",
    "Clock",
    "Decision",
    "HeaderQuota",
    "LimiterRegistry",
    "ManualClock",
    "MemoryTokenStore",
    "NextLink",
    "OAuth1TBAAuth",
    "OAuth2RefreshAuth",
    "OffsetLimit",
    "Page",
    "PageNumber",
    "Paginator",
    "QueryStartPosition",
    "Random",
    "RateLimitPolicy",
    "RateLimitTransport",
    "RateLimiter",
    "RedactingFilter",
    "RetryPolicy",
    "RetrySignal",
    "RetryTransport",
    "ServiceLayerSessionAuth",
    "SinglePage",
    "Sleep",
    "Token",
    "TokenStore",
    "Window",
    "build_client",
    "build_transport",
    "classify",
    "close_client",
    "default_limiters",
    "get_logger",
    "install_handler_redaction",
    "iter_pages",
    "parse_retry_after",
    "parse_service_layer_error",
    "read_json",
    "realm_for",
    "redact_headers",
    "redact_text",
    "redact_url",
    "register_secret",
    "send_call",
    "signature_base_string",
    "system_clock",
    "system_sleep",
]
