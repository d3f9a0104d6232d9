"""Prometheus metrics of the API process, in a registry of its own per app (two apps in one process,
as in tests, never collide): HTTP requests by method, route template and status, and their durations.
Queue depth and worker counts are read from the database when `/metrics` is scraped (`health.py`).
"""

from __future__ import annotations

import time

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from smartap_erp.http.redact import get_logger

access_log = get_logger("smartap_erp.api.access")


class APIMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "smartap_http_requests",
            "HTTP requests answered, by method, route template and status",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.durations = Histogram(
            "smartap_http_request_duration_seconds",
            "Time to answer an HTTP request, by route template",
            ["route"],
            registry=self.registry,
        )
        self.queued_jobs = Gauge(
            "smartap_jobs_queued", "Sync requests queued and not yet started", registry=self.registry
        )
        self.workers_alive = Gauge(
            "smartap_workers_alive", "Workers with a recent heartbeat", registry=self.registry
        )
        self.sync_runs = Gauge(
            "smartap_sync_runs",
            "Sync runs recorded in the sync logs, by entity, direction and outcome",
            ["entity", "direction", "status"],
            registry=self.registry,
        )
        outcome = ["entity", "direction", "status"]
        self.recent_runs = Gauge(
            "smartap_sync_runs_recent",
            "Sync runs started in the last window",
            outcome,
            registry=self.registry,
        )
        self.recent_seconds = Gauge(
            "smartap_sync_run_seconds_recent",
            "Summed durations of the sync runs started in the last window (seconds)",
            outcome,
            registry=self.registry,
        )
        self.erp_requests = Gauge(
            "smartap_erp_requests_recent",
            "HTTP requests sent to each ERP in the last window, from the runs' recorded exchanges",
            ["erp"],
            registry=self.registry,
        )
        self.erp_throttled = Gauge(
            "smartap_erp_throttled_recent",
            "ERP answers 429 in the last window",
            ["erp"],
            registry=self.registry,
        )
        self.erp_failed = Gauge(
            "smartap_erp_failed_recent",
            "ERP answers 5xx, or no answer, in the last window",
            ["erp"],
            registry=self.registry,
        )
        self.window_hours = Gauge(
            "smartap_metrics_window_hours", "The length of the 'recent' window", registry=self.registry
        )


class MetricsMiddleware:
    """Counts each request under its route template ("/api/v1/jobs/{job_id}", never the raw path, so
    ids do not explode the label set); a path no route matched counts as "unmatched". It also writes the
    access log line, by route template too: a raw path or query string can carry a secret."""

    def __init__(self, app: ASGIApp, metrics: APIMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500
        started = time.perf_counter()

        async def record_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, record_status)
        finally:
            route = getattr(scope.get("route"), "path", None) or "unmatched"
            self.metrics.requests.labels(scope["method"], route, str(status)).inc()
            seconds = time.perf_counter() - started
            self.metrics.durations.labels(route).observe(seconds)
            cid = scope.get("state", {}).get("correlation_id", "-")
            access_log.info("%s %s %s %.1f ms [%s]", scope["method"], route, status, seconds * 1000, cid)
