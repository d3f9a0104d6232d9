"""How `sync`, `export` and `payments sync` follow and report a job (`smartap_erp.app.syncs` queues it
and reads its status): a live progress display while it runs, and the outcome.

Output, `--json` or not, has one nested shape, the same as `sync status`: `workflow_id`, `joined`,
`workflow`, `status` (the job's: SUCCESS, ERROR ...), `outcome` (completed, partial, failed),
`result` (the job's output as the worker returned it), `error`, `failures` and `notes`. Exit 0 only
when the outcome is `completed`; otherwise one line on stderr says what failed and why, and exit 1.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from smartap_erp.cli.lazy import lazy
from smartap_erp.cli.output import emit, error_console, fail
from smartap_erp.errors import NotFoundError

if TYPE_CHECKING:
    from smartap_erp.app import syncs
    from smartap_erp.app.context import AppContext
    from smartap_erp.jobs import heartbeat, outcome
else:
    syncs = lazy("smartap_erp.app.syncs")
    heartbeat = lazy("smartap_erp.jobs.heartbeat")
    outcome = lazy("smartap_erp.jobs.outcome")

FAST_POLL_SECONDS = 0.1  # the first seconds: a short job's end is seen at once
FAST_FOR_SECONDS = 3.0
POLL_SECONDS = 0.25  # then four times a second: one small read a look (the job's status)
PROGRESS_EVERY = 0.5  # seconds between two reads of the job's progress, on a terminal only
WATCH_EVERY = 5.0  # seconds between two looks at the workers' heartbeats while waiting
INLINE_HINT = ", or add --inline to run it in this process"


def poll_delay(waited: float) -> float:
    """Seconds until the next look at a job followed for `waited` seconds."""
    return FAST_POLL_SECONDS if waited < FAST_FOR_SECONDS else POLL_SECONDS


def note_no_worker() -> None:
    """The note `--no-wait` prints when the job it queued waits for a worker to start."""
    error_console.print(
        "[yellow]note:[/yellow] no worker is running: the job waits until one starts; "
        f"{heartbeat.START_HINT}",
        highlight=False,
        soft_wrap=True,
    )


def progress_display(title: str) -> tuple[Progress, Callable[[str, syncs.JobProgress], None]]:
    """A transient progress bar on stderr, and how to update it from a job's progress."""
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

    def update(state: str, step: syncs.JobProgress) -> None:
        progress.update(task, description=f"{title}: {state}", completed=step.done, total=step.total)

    return progress, update


async def follow(
    ctx: AppContext,
    queue: syncs.JobQueue,
    job_id: str,
    title: str,
    *,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> syncs.JobView:
    """Wait for the job to end, showing progress; exit 1 if every worker goes away meanwhile. Looks
    every `poll_delay` seconds: often at first, so that a short job's end is seen at once, then less
    (issue 17: a 10 s import was seen ending up to 0.5 s late). The progress bar is read every
    `PROGRESS_EVERY` seconds, and only when there is one (stderr a terminal)."""
    shown = error_console.is_terminal
    if not shown:
        error_console.print(f"{title}: job {job_id} queued, waiting for it", highlight=False, soft_wrap=True)
    progress, update = progress_display(title)
    started = clock()
    next_watch, next_progress = started + WATCH_EVERY, started
    with progress:
        while True:
            try:
                current: syncs.JobView | None = await syncs.job_status(ctx, queue, job_id)
            except NotFoundError:  # not visible yet: as good as queued
                current = None
            if current is not None and current.finished:
                return current
            status = "ENQUEUED" if current is None else current.status
            if clock() >= next_watch:
                next_watch = clock() + WATCH_EVERY
                if not (await syncs.workers(ctx)).alive:
                    raise fail(
                        f"{title}: job {job_id} is {status} but no worker is running "
                        f"anymore: {heartbeat.START_HINT}; the job carries on there"
                    )
            if shown and clock() >= next_progress:
                next_progress = clock() + PROGRESS_EVERY
                state = "waiting for a worker" if status == "ENQUEUED" else "running"
                update(state, await syncs.job_progress(ctx, queue, job_id))
            await sleep(poll_delay(clock() - started))


def shaped(view: syncs.JobView) -> dict[str, Any]:
    """The one output shape of a job (see the module docstring)."""
    return view.model_dump(mode="json", exclude={"sync_log_ids"})


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


def report(view: syncs.JobView, title: str, *, as_json: bool) -> None:
    """Print the job's outcome; raise Exit(1) with one line unless it completed."""
    data = shaped(view)
    emit(data if as_json else _flat_for_people(data), as_json=as_json, title=f"{title}: {data['outcome']}")
    for note in data["notes"]:
        error_console.print(f"[yellow]note:[/yellow] {note}", highlight=False, soft_wrap=True)
    if data["outcome"] == outcome.COMPLETED:
        return
    reason = " | ".join(data["failures"]) or str(data["error"])
    retry = (
        f"; retry with `smartap-erp sync retry {data['workflow_id']}`" if data["status"] != "SUCCESS" else ""
    )
    retry = retry if data["workflow_id"] else ""
    raise fail(f"{title} {data['outcome']} ({data['status']}): {reason}{retry}")
