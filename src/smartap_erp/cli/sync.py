"""`smartap-erp sync ...`, `export` and `payments sync`: queue a job for the workers and, with
`--wait` (the default), follow it with a live progress display until it ends; or, with `--inline`,
run it in this process through the same job code (`smartap_erp.jobs.inline`).

Jobs run in `smartap-erp worker` processes (docs/operations.md); a request identical to one already
queued joins it. Waiting with no worker alive (heartbeats) is refused at once, in one line naming the
command that starts one. Output and exit codes: `smartap_erp.cli.jobs_view` (exit 0 only when
everything went through; 1 when anything failed, with what and why; 2 for bad input).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

import typer
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from smartap_erp.cli import jobs_view
from smartap_erp.cli.output import JsonOption, emit
from smartap_erp.cli.runtime import find_connection, runtime
from smartap_erp.errors import ConfigurationError
from smartap_erp.invoices.approval import resolve_references
from smartap_erp.jobs.client import JobClient, Queued, export_args, payments_args, sync_args
from smartap_erp.jobs.workflows import EXPORT_WORKFLOW, PAYMENTS_WORKFLOW, SYNC_WORKFLOW
from smartap_erp.settings import get_settings

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

Enqueue = Callable[[JobClient, async_sessionmaker[AsyncSession], uuid.UUID], Awaitable[Queued]]
Args = Callable[[async_sessionmaker[AsyncSession], uuid.UUID], Awaitable[tuple[Any, ...]]]


class Job:
    """One command's job: its workflow, how to build its inputs, and how to queue it."""

    def __init__(self, workflow: str, args: Args, enqueue: Enqueue) -> None:
        self.workflow, self.args, self.enqueue = workflow, args, enqueue


def _run(connection: str, job: Job, title: str, *, wait: bool, inline: bool, as_json: bool) -> None:
    if inline and not wait:
        raise ConfigurationError("--inline runs the job here and waits for it: drop --no-wait")
    settings = get_settings()
    if inline:
        _inline(connection, job, title, as_json=as_json)
        return
    what = title.format(name=asyncio.run(_connection_name(connection)))  # a clear error if none
    if wait:
        jobs_view.require_worker(settings, what)
    client = JobClient(settings)  # outside the loop: DBOSClient's calls are synchronous
    try:
        queued = asyncio.run(_enqueue(client, connection, job))
        if not wait:
            jobs_view.warn_if_no_worker(settings)
            emit(
                {"workflow_id": queued.workflow_id, "joined": queued.joined, "status": "ENQUEUED"},
                as_json=as_json,
                title=what,
            )
            return
        status = jobs_view.follow(client, settings, queued.workflow_id, what)
    finally:
        client.close()
    jobs_view.report(status, what, joined=queued.joined, as_json=as_json)


async def _connection_name(connection: str) -> str:
    async with runtime() as rt, rt.sessions() as session:
        return (await find_connection(session, connection)).name


async def _enqueue(client: JobClient, connection: str, job: Job) -> Queued:
    async with runtime() as rt:
        async with rt.sessions() as session:
            found = await find_connection(session, connection)
        return await job.enqueue(client, rt.sessions, found.id)


def _inline(connection: str, job: Job, title: str, *, as_json: bool) -> None:
    from smartap_erp.jobs.inline import run_inline

    async def go(update: Callable[[str, dict[str, Any]], None]) -> tuple[str, dict[str, Any]]:
        async with runtime() as rt:
            async with rt.sessions() as session:
                found = await find_connection(session, connection)
            args = await job.args(rt.sessions, found.id)
            status = await run_inline(rt.settings, job.workflow, args, lambda p: update("running here", p))
            return found.name, status

    progress, update = jobs_view.progress_display(title.format(name=connection))
    with progress:
        name, status = asyncio.run(go(update))
    jobs_view.report(status, title.format(name=name), joined=False, as_json=as_json)


def _sync_job(entities: list[str], since: dt.datetime | None, limit: int | None, full: bool) -> Job:
    if full and since is not None:
        raise ConfigurationError("--full reads everything and --since only recent changes: give one")
    when = _since(since)

    async def args(_: async_sessionmaker[AsyncSession], cid: uuid.UUID) -> tuple[Any, ...]:
        return sync_args(cid, entities, since=when, limit=limit, full=full, by="cli")

    def enqueue(
        client: JobClient, sessions: async_sessionmaker[AsyncSession], cid: uuid.UUID
    ) -> Awaitable[Queued]:
        return client.sync(sessions, cid, entities, since=when, limit=limit, full=full)

    return Job(SYNC_WORKFLOW, args, enqueue)


def _since(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    return (value if value.tzinfo else value.replace(tzinfo=dt.UTC)).isoformat()


def _sync(
    connection: str,
    entities: list[str],
    since: dt.datetime | None,
    limit: int | None,
    full: bool,
    wait: bool,
    inline: bool,
    as_json: bool,
) -> None:
    job = _sync_job(entities, since, limit, full)
    title = f"sync {'+'.join(entities)} of {{name}}"
    _run(connection, job, title, wait=wait, inline=inline, as_json=as_json)


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

    async def run(client: JobClient) -> Queued:
        async with runtime() as rt:
            return await client.retry(rt.sessions, workflow_id)

    settings = get_settings()
    title = f"retry of {workflow_id}"
    if wait:
        jobs_view.require_worker(settings, title)
    client = JobClient(settings)
    try:
        queued = asyncio.run(run(client))
        if not wait:
            jobs_view.warn_if_no_worker(settings)
            emit(
                {"workflow_id": queued.workflow_id, "joined": queued.joined, "status": "ENQUEUED"},
                as_json=as_json,
            )
            return
        status_ = jobs_view.follow(client, settings, queued.workflow_id, title)
    finally:
        client.close()
    jobs_view.report(status_, title, joined=queued.joined, as_json=as_json)


@app.command()
def status(
    workflow_id: Annotated[str, typer.Argument(help="A job id.")], as_json: JsonOption = False
) -> None:
    """Where a job is: ENQUEUED, PENDING (running), SUCCESS or ERROR, with its result and outcome."""

    client = JobClient(get_settings())
    try:
        found = client.status(workflow_id)
    finally:
        client.close()
    if found is None:
        raise ConfigurationError(f"no job with id {workflow_id!r}")
    shown = jobs_view.shaped(found)
    del shown["joined"]
    emit(shown, as_json=as_json, title="Job")


async def _invoice_ids(session: AsyncSession, references: list[str], vendor: str | None) -> list[str]:
    """Each number or id to exactly one invoice; a number two vendors share is refused with the
    candidates listed (same rules as `invoices approve`)."""
    resolution = await resolve_references(session, references, vendor=vendor)
    if resolution.errors:
        raise ConfigurationError("; ".join(resolution.errors))
    return [str(found.id) for found in resolution.invoices]


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

    async def ids(sessions: async_sessionmaker[AsyncSession]) -> list[str] | None:
        if not invoices:
            return None
        async with sessions() as session:
            return await _invoice_ids(session, invoices, vendor)

    async def args(sessions: async_sessionmaker[AsyncSession], cid: uuid.UUID) -> tuple[Any, ...]:
        return export_args(cid, await ids(sessions), "cli")

    async def enqueue(
        client: JobClient, sessions: async_sessionmaker[AsyncSession], cid: uuid.UUID
    ) -> Queued:
        return await client.export(sessions, cid, await ids(sessions))

    job = Job(EXPORT_WORKFLOW, args, enqueue)
    _run(connection, job, "export to {name}", wait=wait, inline=inline, as_json=as_json)


@payments_app.command("sync")
def payments_sync(
    connection: ConnectionOpt, wait: WaitOpt = True, inline: InlineOpt = False, as_json: JsonOption = False
) -> None:
    """Read the payment status of exported bills from the ERP."""

    async def args(_: async_sessionmaker[AsyncSession], cid: uuid.UUID) -> tuple[Any, ...]:
        return payments_args(cid, "cli")

    def enqueue(
        client: JobClient, sessions: async_sessionmaker[AsyncSession], cid: uuid.UUID
    ) -> Awaitable[Queued]:
        return client.payments(sessions, cid)

    job = Job(PAYMENTS_WORKFLOW, args, enqueue)
    _run(connection, job, "payment statuses of {name}", wait=wait, inline=inline, as_json=as_json)
