"""How `sync`, `export` and `payments sync` follow and report a job: checking that a worker is alive
(heartbeats) before waiting on one, a live progress display while it runs, and the outcome.

Output, `--json` or not, has one nested shape, the same as `sync status`: `workflow_id`, `joined`,
`workflow`, `status` (the job's: SUCCESS, ERROR ...), `outcome` (completed, partial, failed),
`result` (the job's output as the worker returned it), `error`, `failures` and `notes`. Exit 0 only
when the outcome is `completed`; otherwise one line on stderr says what failed and why, and exit 1.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import Callable
from typing import Any

from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from smartap_erp.cli.output import emit, error_console, fail
from smartap_erp.db.session import engine_from_settings, make_session_factory
from smartap_erp.jobs import heartbeat
from smartap_erp.jobs.client import DONE_STATES, JobClient
from smartap_erp.jobs.outcome import COMPLETED, judge
from smartap_erp.settings import Settings

POLL_SECONDS = 0.5
WATCH_EVERY = 5.0  # seconds between two looks at the workers' heartbeats while waiting


class WorkerWatch:
    """Whether any worker is alive, asked from synchronous code (its own loop and engine)."""

    def __init__(self, settings: Settings) -> None:
        self._loop = asyncio.new_event_loop()
        self._engine = engine_from_settings(settings)
        self._sessions = make_session_factory(self._engine)

    def alive(self) -> bool:
        now = dt.datetime.now(dt.UTC)
        return bool(self._loop.run_until_complete(heartbeat.alive(self._sessions, now=now)))

    def close(self) -> None:
        self._loop.run_until_complete(self._engine.dispose())
        self._loop.close()


def require_worker(settings: Settings, what: str) -> None:
    """Exit 1 with one line when no worker would run `what` (instead of waiting forever)."""
    watch = WorkerWatch(settings)
    try:
        if watch.alive():
            return
    finally:
        watch.close()
    raise fail(heartbeat.no_worker_message(what) + ", or add --inline to run it in this process")


def warn_if_no_worker(settings: Settings) -> None:
    watch = WorkerWatch(settings)
    try:
        if not watch.alive():
            error_console.print(
                f"[yellow]note:[/yellow] no worker is running: the job waits until one starts; "
                f"{heartbeat.START_HINT}",
                highlight=False,
                soft_wrap=True,
            )
    finally:
        watch.close()


def progress_display(title: str) -> tuple[Progress, Callable[[str, dict[str, Any]], None]]:
    """A transient progress bar on stderr, and how to update it from a job's progress event."""
    progress = Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total} steps"),
        TimeElapsedColumn(),
        console=error_console,
        transient=True,
        disable=not error_console.is_terminal,  # piped: the one "waiting" line of `follow` instead
    )
    task = progress.add_task(title, total=None)

    def update(state: str, step: dict[str, Any]) -> None:
        done = step.get("done")
        completed = len(done) if isinstance(done, list) else int(done or 0)
        progress.update(task, description=f"{title}: {state}", completed=completed, total=step.get("total"))

    return progress, update


def follow(client: JobClient, settings: Settings, workflow_id: str, title: str) -> dict[str, Any]:
    """Wait for the job to end, showing progress; exit 1 if every worker goes away meanwhile."""
    if not error_console.is_terminal:
        error_console.print(
            f"{title}: job {workflow_id} queued, waiting for it", highlight=False, soft_wrap=True
        )
    watch = WorkerWatch(settings)
    progress, update = progress_display(title)
    next_watch = time.monotonic() + WATCH_EVERY
    try:
        with progress:
            while True:
                status = client.status(workflow_id) or {"status": "ENQUEUED"}
                if status["status"] in DONE_STATES:
                    return status
                if time.monotonic() >= next_watch:
                    next_watch = time.monotonic() + WATCH_EVERY
                    if not watch.alive():
                        raise fail(
                            f"{title}: job {workflow_id} is {status['status']} but no worker is running "
                            f"anymore: {heartbeat.START_HINT}; the job carries on there"
                        )
                state = "waiting for a worker" if status["status"] == "ENQUEUED" else "running"
                update(state, client.progress(workflow_id) or {})
                time.sleep(POLL_SECONDS)
    finally:
        watch.close()


def shaped(status: dict[str, Any], *, joined: bool = False) -> dict[str, Any]:
    """The one output shape of a job (see the module docstring)."""
    outcome = judge(status["status"], status.get("result"), status.get("error"))
    return {
        "workflow_id": status.get("workflow_id"),
        "joined": joined,
        "workflow": status.get("workflow"),
        "status": status["status"],
        "outcome": outcome.status,
        "result": status.get("result"),
        "error": status.get("error"),
        "failures": outcome.failures,
        "notes": outcome.notes,
    }


def _flat_for_people(data: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    rows: dict[str, Any] = {}
    for key, value in data.items():
        if key in ("failures", "notes") and not prefix:
            continue
        if isinstance(value, dict):
            rows.update(_flat_for_people(value, f"{prefix}{key}."))
        else:
            rows[f"{prefix}{key}"] = value
    return rows


def report(status: dict[str, Any], title: str, *, joined: bool, as_json: bool) -> None:
    """Print the job's outcome; raise Exit(1) with one line unless it completed."""
    data = shaped(status, joined=joined)
    emit(data if as_json else _flat_for_people(data), as_json=as_json, title=f"{title}: {data['outcome']}")
    for note in data["notes"]:
        error_console.print(f"[yellow]note:[/yellow] {note}", highlight=False, soft_wrap=True)
    if data["outcome"] == COMPLETED:
        return
    reason = " | ".join(data["failures"]) or str(data["error"])
    retry = (
        f"; retry with `smartap-erp sync retry {data['workflow_id']}`" if data["status"] != "SUCCESS" else ""
    )
    retry = retry if data["workflow_id"] else ""
    raise fail(f"{title} {data['outcome']} ({data['status']}): {reason}{retry}")
