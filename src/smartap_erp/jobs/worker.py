"""The worker: launches DBOS (recovering the workflows this worker id left running), declares the
partitioned queue, applies or removes the schedule tick, then runs queued work until asked to stop.

Any number of workers may share one PostgreSQL database; each needs its own `SMARTAP_WORKER_ID`
(docs/operations.md). `exit_when_idle` stops once nothing is queued or running (batch runs, tests).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from dbos import DBOS

from smartap_erp.jobs import schedules
from smartap_erp.jobs.config import QUEUE_NAME, JobOptions, dbos_config
from smartap_erp.jobs.operations import JobEnvironment, install
from smartap_erp.settings import Settings

ACTIVE_STATES = ["ENQUEUED", "PENDING", "DELAYED"]
SHUTDOWN_GRACE_SECONDS = 10


def launch(settings: Settings, options: JobOptions) -> None:
    """Start DBOS in this process as a worker, with the queue and (if enabled) the schedule."""
    import smartap_erp.jobs.workflows  # noqa: F401  (registers the workflows before launch)

    install(JobEnvironment(settings, options))
    DBOS(config=dbos_config(settings, options))  # type: ignore[arg-type]
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
    if on_started is not None:
        on_started()
    try:
        idle_checks = 0
        while not stop.wait(options.polling_seconds):
            if exit_when_idle:
                idle_checks = idle_checks + 1 if is_idle() else 0
                if idle_checks >= 2:  # two polls in a row: nothing was between dequeue and start
                    break
    finally:
        DBOS.destroy(workflow_completion_timeout_sec=SHUTDOWN_GRACE_SECONDS)
