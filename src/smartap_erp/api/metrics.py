"""Prometheus metrics of the API process, in a registry of its own per app (two apps in one process,
as in tests, never collide): HTTP requests by method, route template and status, and their durations.
What the workers did is read from the database when `/metrics` is scraped (`app.metrics.snapshot`,
given to `APIMetrics.update`): queue depth, live workers, runs by outcome, each ERP's requests, and
the sync and export run durations of the window as histograms (`RunDurationCollector`: the bucket
counts come from the database, so it yields `HistogramMetricFamily` samples instead of observing).
"""

from __future__ import annotations

import time
from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import HistogramMetricFamily
from prometheus_client.registry import Collector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from smartap_erp.app.metrics import DURATION_BUCKETS, MetricsSnapshot, RunDurations
from smartap_erp.http.redact import get_logger

access_log = get_logger("smartap_erp.api.access")


DURATION_LABELS = ["erp", "entity", "direction", "status"]


class RunDurationCollector(Collector):
    """`smartap_sync_run_duration_seconds`: the finished runs started in the window, by ERP, entity,
    direction (import, export) and outcome, as the last scrape read them. A windowed histogram: old
    runs leave it, so its counts can fall; read it as it stands (`histogram_quantile` over the
    buckets), not through `rate()`."""

    NAME = "smartap_sync_run_duration_seconds"
    HELP = "Durations of the sync and export runs started in the last window (finished runs only)"

    def __init__(self) -> None:
        self.rows: tuple[RunDurations, ...] = ()

    def describe(self) -> Iterator[HistogramMetricFamily]:
        yield HistogramMetricFamily(self.NAME, self.HELP, labels=DURATION_LABELS)

    def collect(self) -> Iterator[HistogramMetricFamily]:
        family = HistogramMetricFamily(self.NAME, self.HELP, labels=DURATION_LABELS)
        for row in self.rows:
            buckets = [(str(float(b)), n) for b, n in zip(DURATION_BUCKETS, row.buckets, strict=True)]
            family.add_metric(
                [row.erp, row.entity, row.direction, row.status],
                [*buckets, ("+Inf", row.runs)],
                sum_value=row.seconds,
            )
        yield family


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
        self.run_durations = RunDurationCollector()
        self.registry.register(self.run_durations)
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

    def update(self, work: MetricsSnapshot) -> None:
        """Set what the database said at this scrape; a label set absent from it disappears (an
        outcome whose logs were pruned, an ERP with no request in the window) instead of keeping
        its last value."""
        self.queued_jobs.set(work.queued_jobs)
        self.workers_alive.set(work.workers_alive)
        self.window_hours.set(work.window_hours)
        self.sync_runs.clear()
        for run in work.runs:
            self.sync_runs.labels(run.entity, run.direction, run.status).set(run.runs)
        self.run_durations.rows = work.durations
        for gauge in (self.erp_requests, self.erp_throttled, self.erp_failed):
            gauge.clear()
        for erp in work.erp:
            self.erp_requests.labels(erp.system).set(erp.requests)
            self.erp_throttled.labels(erp.system).set(erp.throttled)
            self.erp_failed.labels(erp.system).set(erp.failed)


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
