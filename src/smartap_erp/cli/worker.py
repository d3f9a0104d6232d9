"""`smartap-erp worker`: run queued jobs and the schedules until Ctrl-C (or, with `--exit-when-idle`,
until nothing is left to do). Ctrl-C stops taking new work and gives running jobs a few seconds to
finish; a job cut short resumes from its last completed step when this worker id starts again.
Its log is plain lines on stderr (time, level, message: one line per event, never wrapped), so a
service manager or `2> worker.log` keeps them greppable.
"""

from __future__ import annotations

import logging
import signal
import sys
import threading
from collections.abc import Callable
from types import FrameType
from typing import TYPE_CHECKING, Annotated

import typer

from smartap_erp.cli.lazy import lazy
from smartap_erp.cli.output import console
from smartap_erp.settings import Settings, get_settings

if TYPE_CHECKING:
    from smartap_erp.http import redact
    from smartap_erp.jobs import config
    from smartap_erp.jobs.config import JobOptions
else:
    config = lazy("smartap_erp.jobs.config")  # SQLAlchemy: imported when a worker starts, not for --help
    redact = lazy("smartap_erp.http.redact")


def worker(
    worker_id: Annotated[
        str | None, typer.Option(help="This worker's stable id (default SMARTAP_WORKER_ID or 'local').")
    ] = None,
    exit_when_idle: Annotated[bool, typer.Option(help="Stop once no job is queued or running.")] = False,
) -> None:
    """Run queued syncs, exports and payment syncs, and the schedules, until Ctrl-C."""
    settings = get_settings()
    options = config.JobOptions.from_env()
    _plain_log_lines()
    if worker_id:
        options = config.JobOptions(**{**options.__dict__, "worker_id": worker_id})

    def started() -> None:
        schedule = "on" if settings.erp_sync_enabled else "off (ERP_SYNC_ENABLED=false)"
        console.print(
            f"worker {options.worker_id} running; jobs in {config.system_database_url(settings)}; "
            f"schedules {schedule}. Ctrl-C to stop.",
            highlight=False,
            soft_wrap=True,
        )

    run_until_stopped(settings, options, exit_when_idle=exit_when_idle, on_started=started)
    console.print("worker stopped")


def _plain_log_lines() -> None:
    """Timestamped single lines on stderr instead of the CLI's wrapped Rich output."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    logging.basicConfig(level=logging.getLogger().level, handlers=[handler], force=True)
    redact.install_handler_redaction()


def run_until_stopped(
    settings: Settings,
    options: JobOptions,
    *,
    exit_when_idle: bool = False,
    on_started: Callable[[], None] | None = None,
) -> None:
    """Run the worker in this process until Ctrl-C / SIGTERM (which let running jobs finish)."""
    from smartap_erp.jobs import worker as jobs_worker

    stop = threading.Event()

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        console.print("stopping: finishing running jobs ...")
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    jobs_worker.run(settings, options, stop=stop, exit_when_idle=exit_when_idle, on_started=on_started)
