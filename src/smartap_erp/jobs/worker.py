"""The worker: launches DBOS (recovering the workflows this worker id left running), declares the
partitioned queue, applies or removes the schedule tick, then runs queued work until asked to stop.
Meanwhile it writes its heartbeat every few seconds (deleted when it stops; `jobs.heartbeat`), and at
start and every `SWEEP_EVERY` closes sync logs whose run died (`sync.log_recovery`), and every
`WEBHOOK_SWEEP_EVERY` requests again the jobs of inbound webhook events left undispatched and deletes
old ones (`app.webhooks.sweep`); a thread delivers outbound events (`events.worker`). A job that fails
is one log line (`jobs.workflows`), not DBOS's traceback.

Any number of workers may share one PostgreSQL database; each needs its own `SMARTAP_WORKER_ID`
(docs/operations.md). `exit_when_idle` stops once nothing is queued or running (batch runs, tests).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import gc
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from dbos import DBOS

from smartap_erp.app import webhooks
from smartap_erp.app.context import AppContext
from smartap_erp.app.syncs import JobQueue
from smartap_erp.db.session import engine_from_settings, make_session_factory
from smartap_erp.events.worker import DeliveryLoop
from smartap_erp.http.redact import get_logger, install_handler_redaction
from smartap_erp.jobs import heartbeat, schedules
from smartap_erp.jobs.config import QUEUE_NAME, JobOptions, dbos_config
from smartap_erp.jobs.operations import JobEnvironment, install
from smartap_erp.settings import Settings
from smartap_erp.sync import log_recovery

ACTIVE_STATES = ["ENQUEUED", "PENDING", "DELAYED"]
SHUTDOWN_GRACE_SECONDS = 10
SWEEP_EVERY = 600.0  # seconds between two passes closing abandoned sync logs
WEBHOOK_SWEEP_EVERY = 60.0  # seconds between two passes over undispatched inbound webhook events

log = get_logger(__name__)


class _QuietJobFailures(logging.Filter):
    """Drop DBOS's traceback for a job that failed the ordinary way (it logged its own line)."""

    def filter(self, record: logging.LogRecord) -> bool:
        from smartap_erp.jobs.workflows import JobFailedError

        error = record.exc_info[1] if record.exc_info else None
        return not isinstance(error, JobFailedError)


def launch(settings: Settings, options: JobOptions) -> None:
    """Start DBOS in this process as a worker, with the queue and (if enabled) the schedule."""
    import smartap_erp.jobs.workflows  # noqa: F401  (registers the workflows before launch)

    install(JobEnvironment(settings, options))
    DBOS(config=dbos_config(settings, options))  # type: ignore[arg-type]
    dbos_log = logging.getLogger("dbos")
    if not any(isinstance(f, _QuietJobFailures) for f in dbos_log.filters):
        dbos_log.addFilter(_QuietJobFailures())
    install_handler_redaction(dbos_log)
    DBOS.launch()
    # Partition key = connection id, one workflow per partition at a time across all workers.
    queue = DBOS.register_queue(
        QUEUE_NAME,
        partition_concurrency=1,
        polling_interval_sec=options.polling_seconds,
        on_conflict="always_update",
    )
    schedules.set_queue(queue)
    existing = DBOS.get_schedule(schedules.TICK_SCHEDULE)
    if settings.erp_sync_enabled:
        entry: Any = {
            "schedule_name": schedules.TICK_SCHEDULE,
            "workflow_fn": schedules.schedule_tick,
            "schedule": schedules.tick_cron(options.minute_seconds),
        }
        DBOS.apply_schedules([entry])
    elif existing is not None:
        DBOS.delete_schedule(schedules.TICK_SCHEDULE)


def is_idle() -> bool:
    """Nothing queued, delayed or running on our queue (the tick's own workflow excluded)."""
    active = DBOS.list_workflows(
        status=ACTIVE_STATES, queue_name=QUEUE_NAME, load_input=False, load_output=False
    )
    return not active


async def _workflow_state(workflow_id: str) -> str | None:
    status = await DBOS.get_workflow_status_async(workflow_id)
    return status.status if status is not None else None


class Upkeep:
    """The worker's own chores, on the main thread with a private event loop: heartbeat and sweep."""

    def __init__(self, settings: Settings, worker_id: str) -> None:
        self.worker_id = worker_id
        self._loop = asyncio.new_event_loop()
        self._engine = engine_from_settings(settings)
        self._sessions = make_session_factory(self._engine)
        self._app = AppContext(settings, self._engine, self._sessions)
        self._queue = JobQueue(settings)  # its client opened only when an event is dispatched again
        self._started_at = dt.datetime.now(dt.UTC)
        self._next_beat = self._next_sweep = self._next_webhook_sweep = 0.0

    def _run(self, what: str, coroutine: Any) -> Any:
        try:
            return self._loop.run_until_complete(coroutine)
        except Exception as exc:  # the database is briefly unreachable: try again next time
            log.warning("worker %s: %s failed: %s: %s", self.worker_id, what, type(exc).__name__, exc)
            return None

    def tick(self) -> None:
        """Beat if due, sweep if due (cheap to call often)."""
        clock = time.monotonic()
        if clock >= self._next_beat:
            self._next_beat = clock + heartbeat.BEAT_EVERY.total_seconds()
            now = dt.datetime.now(dt.UTC)
            self._run(
                "heartbeat",
                heartbeat.beat(self._sessions, self.worker_id, now=now, started_at=self._started_at),
            )
        if clock >= self._next_sweep:
            self._next_sweep = clock + SWEEP_EVERY
            closed = self._run(
                "closing abandoned sync logs",
                log_recovery.close_abandoned(
                    self._sessions, now=dt.datetime.now(dt.UTC), workflow_state=_workflow_state
                ),
            )
            for log_id in closed or []:
                log.warning("worker %s: closed sync log %s: its run had died", self.worker_id, log_id)
        if clock >= self._next_webhook_sweep:
            self._next_webhook_sweep = clock + WEBHOOK_SWEEP_EVERY
            self._run(
                "sweeping webhook events",
                webhooks.sweep(self._app, self._queue, now=dt.datetime.now(dt.UTC)),
            )

    def close(self) -> None:
        self._run("removing the heartbeat", heartbeat.forget(self._sessions, self.worker_id))
        self._queue.close()
        self._loop.run_until_complete(self._engine.dispose())
        self._loop.close()


def run(
    settings: Settings,
    options: JobOptions,
    *,
    stop: threading.Event,
    exit_when_idle: bool = False,
    on_started: Callable[[], None] | None = None,
) -> None:
    """Run until `stop` is set (Ctrl-C) or, with `exit_when_idle`, until no work is left."""
    launch(settings, options)
    upkeep = Upkeep(settings, options.worker_id)
    deliveries = DeliveryLoop(settings, options.worker_id, interval=options.polling_seconds)
    deliveries.start()  # outbound events (smartap_erp.events), on their own thread
    upkeep.tick()
    # Start-up is over: what it built (modules, DBOS, mappers) leaves the cyclic collector's sight, so
    # a full collection during an import scans the pages, not ~100k start-up objects (issue 17: 7 full
    # collections were 11% of a 50,000-vendor import's CPU, 1% with the start-up objects frozen).
    gc.freeze()
    if on_started is not None:
        on_started()
    idle_checks = 0
    try:
        while not stop.wait(options.polling_seconds):
            upkeep.tick()
            if exit_when_idle:
                idle_checks = idle_checks + 1 if is_idle() else 0
                if idle_checks >= 2:  # two polls in a row: nothing was between dequeue and start
                    break
    finally:
        # Idle: no job left to wait for, and DBOS's grace wait sleeps a whole second before it looks.
        grace = 0 if idle_checks >= 2 else SHUTDOWN_GRACE_SECONDS
        try:
            DBOS.destroy(workflow_completion_timeout_sec=grace)
        finally:
            deliveries.stop()
            upkeep.close()
