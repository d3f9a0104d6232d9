"""`smartap-erp sync ...`, `export` and `payments sync`: queue a job for the workers and, with
`--wait` (the default), follow it with a live progress display until it ends; or, with `--inline`,
run it in this process through the same job code (`smartap_erp.jobs.inline`).

Jobs run in `smartap-erp worker` processes (docs/operations.md); a request identical to one already
queued joins it. Waiting with no worker alive (heartbeats) is refused at once, in one line naming the
command that starts one. Output and exit codes: `smartap_erp.cli.jobs_view` (exit 0 only when
everything went through; 1 when anything failed, with what and why; 2 for bad input). Requests,
status and retries are `smartap_erp.app.syncs`'s: this module parses arguments and prints.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Annotated

import typer

from smartap_erp.cli.lazy import lazy
from smartap_erp.cli.output import JsonOption, emit, fail
from smartap_erp.cli.runtime import runtime
from smartap_erp.errors import ConfigurationError

if TYPE_CHECKING:
    from smartap_erp.app import syncs
    from smartap_erp.cli import jobs_view
    from smartap_erp.cli.runtime import Runtime
else:
    syncs = lazy("smartap_erp.app.syncs")
    jobs_view = lazy("smartap_erp.cli.jobs_view")


app = typer.Typer(
    help="Import from an ERP through the workers: vendors, purchase orders, or all.", no_args_is_help=True
)
payments_app = typer.Typer(help="Payment statuses of exported bills.", no_args_is_help=True)

ConnectionArg = Annotated[str, typer.Argument(help="Connection name or id.")]
ConnectionOpt = Annotated[str, typer.Option("--connection", "-c", help="Connection name or id.")]
SinceOpt = Annotated[
    dt.datetime | None, typer.Option(help="Only records changed since (ISO date/time, UTC if no zone).")
]
LimitOpt = Annotated[int | None, typer.Option(min=1, help="Import at most this many records.")]
FullOpt = Annotated[
    bool,
    typer.Option(
        "--full", help="Read everything, ignoring the incremental cursor (e.g. after resolving conflicts)."
    ),
]
WaitOpt = Annotated[bool, typer.Option("--wait/--no-wait", help="Follow the job until it ends.")]
InlineOpt = Annotated[
    bool, typer.Option("--inline", help="Run the job in this process instead of queuing it for a worker.")
]


def _run(connection: str, job: syncs.JobRequest, *, wait: bool, inline: bool, as_json: bool) -> None:
    if inline and not wait:
        raise ConfigurationError("--inline runs the job here and waits for it: drop --no-wait")
    if inline:
        _inline(connection, job, as_json=as_json)
        return

    async def request(rt: Runtime, queue: syncs.JobQueue) -> syncs.JobRequested:
        return await syncs.request_job(rt, queue, connection, job, require_worker=wait)

    requested, view = asyncio.run(_queued(request, wait=wait))
    _finish(requested, view, as_json=as_json, title=requested.title)


async def _queued(
    request: Callable[[Runtime, syncs.JobQueue], Awaitable[syncs.JobRequested]], *, wait: bool
) -> tuple[syncs.JobRequested, syncs.JobView | None]:
    """Queue a job through `request`; with `wait`, follow it until it ends."""
    async with runtime() as rt:
        queue = syncs.JobQueue(rt.settings)
        try:
            requested = await request(rt, queue)
            if not wait:
                return requested, None
            return requested, await jobs_view.follow(rt, queue, requested.job_id, requested.title)
        except syncs.NoWorkerError as exc:
            raise fail(f"{exc}{jobs_view.INLINE_HINT}") from None
        finally:
            queue.close()


def _finish(
    requested: syncs.JobRequested, view: syncs.JobView | None, *, as_json: bool, title: str | None
) -> None:
    if view is None:  # --no-wait: queued (or joined), and said so
        if not requested.worker_alive:
            jobs_view.note_no_worker()
        emit(
            {"workflow_id": requested.job_id, "joined": requested.joined, "status": "ENQUEUED"},
            as_json=as_json,
            title=title,
        )
        return
    jobs_view.report(view.model_copy(update={"joined": requested.joined}), requested.title, as_json=as_json)


def _inline(connection: str, request: syncs.JobRequest, *, as_json: bool) -> None:
    progress, update = jobs_view.progress_display(syncs.job_title(request, connection))

    async def go() -> syncs.JobRun:
        async with runtime() as rt:
            return await syncs.run_here(
                rt, connection, request, lambda step: update("running here", syncs.progress_of(step))
            )

    with progress:
        run = asyncio.run(go())
    jobs_view.report(run.job, run.title, as_json=as_json)


def _since(value: dt.datetime | None) -> dt.datetime | None:
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _sync(
    connection: str,
    entities: list[syncs.SyncEntity],
    since: dt.datetime | None,
    limit: int | None,
    full: bool,
    wait: bool,
    inline: bool,
    as_json: bool,
) -> None:
    if full and since is not None:
        raise ConfigurationError("--full reads everything and --since only recent changes: give one")
    request = syncs.SyncRequest(entities=entities, since=_since(since), limit=limit, full=full)
    _run(connection, request, wait=wait, inline=inline, as_json=as_json)


@app.command()
def vendors(
    connection: ConnectionArg,
    since: SinceOpt = None,
    limit: LimitOpt = None,
    full: FullOpt = False,
    wait: WaitOpt = True,
    inline: InlineOpt = False,
    as_json: JsonOption = False,
) -> None:
    """Import vendors from the ERP."""
    _sync(connection, ["vendor"], since, limit, full, wait, inline, as_json)


@app.command("purchase-orders")
def purchase_orders(
    connection: ConnectionArg,
    since: SinceOpt = None,
    limit: LimitOpt = None,
    full: FullOpt = False,
    wait: WaitOpt = True,
    inline: InlineOpt = False,
    as_json: JsonOption = False,
) -> None:
    """Import purchase orders from the ERP."""
    _sync(connection, ["purchase_order"], since, limit, full, wait, inline, as_json)


@app.command("all")
def all_(
    connection: ConnectionArg,
    since: SinceOpt = None,
    limit: LimitOpt = None,
    full: FullOpt = False,
    wait: WaitOpt = True,
    inline: InlineOpt = False,
    as_json: JsonOption = False,
) -> None:
    """Import vendors, then purchase orders."""
    _sync(connection, ["vendor", "purchase_order"], since, limit, full, wait, inline, as_json)


@app.command()
def retry(
    workflow_id: Annotated[str, typer.Argument(help="The id of a failed job.")],
    wait: WaitOpt = True,
    as_json: JsonOption = False,
) -> None:
    """Queue a failed sync, export or payment sync again with the same inputs."""

    async def request(rt: Runtime, queue: syncs.JobQueue) -> syncs.JobRequested:
        return await syncs.retry_job(rt, queue, workflow_id, require_worker=wait)

    requested, view = asyncio.run(_queued(request, wait=wait))
    _finish(requested, view, as_json=as_json, title=None)


@app.command()
def status(
    workflow_id: Annotated[str, typer.Argument(help="A job id.")], as_json: JsonOption = False
) -> None:
    """Where a job is: ENQUEUED, PENDING (running), SUCCESS or ERROR, with its result and outcome."""

    async def run() -> syncs.JobView:
        async with runtime() as rt:
            queue = syncs.JobQueue(rt.settings)
            try:
                return await syncs.job_status(rt, queue, workflow_id)
            finally:
                queue.close()

    shown = jobs_view.shaped(asyncio.run(run()))
    del shown["joined"]
    emit(shown, as_json=as_json, title="Job")


def export(
    connection: ConnectionOpt,
    invoices: Annotated[
        list[str] | None,
        typer.Argument(help="Invoice numbers or ids; none = every approved, not yet exported one."),
    ] = None,
    vendor: Annotated[
        str | None, typer.Option("--vendor", help="Vendor name or tax id, for numbers vendors share.")
    ] = None,
    wait: WaitOpt = True,
    inline: InlineOpt = False,
    as_json: JsonOption = False,
) -> None:
    """Export approved invoices to the ERP as bills (each exactly once, even across crashes)."""
    request = syncs.ExportRequest(invoices=invoices or None, vendor=vendor)
    _run(connection, request, wait=wait, inline=inline, as_json=as_json)


@payments_app.command("sync")
def payments_sync(
    connection: ConnectionOpt, wait: WaitOpt = True, inline: InlineOpt = False, as_json: JsonOption = False
) -> None:
    """Read the payment status of exported bills from the ERP."""
    _run(connection, syncs.PaymentsRequest(), wait=wait, inline=inline, as_json=as_json)
