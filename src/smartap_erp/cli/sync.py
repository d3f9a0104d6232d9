"""`smartap-erp sync ...`, `export` and `payments sync`: queue a job for the workers and, with
`--wait` (the default), follow it with a live progress display until it ends.

Jobs run in `smartap-erp worker` processes (docs/operations.md); these commands only queue them, so a
request identical to one already queued joins it. Exit 0 when the job succeeded, 1 when it failed.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from smartap_erp.cli.output import JsonOption, emit, error_console, fail
from smartap_erp.cli.runtime import find_connection, runtime
from smartap_erp.db.models import Invoice
from smartap_erp.errors import ConfigurationError
from smartap_erp.jobs.client import DONE_STATES, FAILED_STATES, JobClient, Queued
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
WaitOpt = Annotated[bool, typer.Option("--wait/--no-wait", help="Follow the job until it ends.")]
POLL_SECONDS = 0.5

Enqueue = Callable[[JobClient, async_sessionmaker[AsyncSession], uuid.UUID], Awaitable[Queued]]


def _queue(connection: str, enqueue: Enqueue) -> tuple[JobClient, Queued, str]:
    async def run(client: JobClient) -> tuple[Queued, str]:
        async with runtime() as rt:
            async with rt.sessions() as session:
                found = await find_connection(session, connection)
            return await enqueue(client, rt.sessions, found.id), found.name

    client = JobClient(get_settings())  # outside the loop: DBOSClient's calls are synchronous
    try:
        queued, name = asyncio.run(run(client))
    except BaseException:
        client.close()
        raise
    return client, queued, name


def _follow(client: JobClient, workflow_id: str, title: str) -> dict[str, Any]:
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total} steps"),
        TimeElapsedColumn(),
        console=error_console,
        transient=True,
    ) as progress:
        task = progress.add_task(title, total=None)
        while True:
            status = client.status(workflow_id) or {"status": "ENQUEUED"}
            if status["status"] in DONE_STATES:
                return status
            step = client.progress(workflow_id) or {}
            done = step.get("done")
            completed = len(done) if isinstance(done, list) else int(done or 0)
            state = "waiting for a worker" if status["status"] == "ENQUEUED" else "running"
            progress.update(
                task, description=f"{title}: {state}", completed=completed, total=step.get("total")
            )
            time.sleep(POLL_SECONDS)


def _report(client: JobClient, queued: Queued, title: str, *, wait: bool, as_json: bool) -> None:
    try:
        if not wait:
            emit(
                {"workflow_id": queued.workflow_id, "joined": queued.joined, "status": "ENQUEUED"},
                as_json=as_json,
                title=title,
            )
            return
        status = _follow(client, queued.workflow_id, title)
    finally:
        client.close()
    outcome = {"workflow_id": queued.workflow_id, "joined": queued.joined, "status": status["status"]}
    if status["status"] in FAILED_STATES:
        if as_json:
            emit({**outcome, "error": status["error"]}, as_json=True)
        raise fail(
            f"{title} failed ({status['status']}): {status['error']}; "
            f"retry with `smartap-erp sync retry {queued.workflow_id}`"
        )
    emit({**_flatten(status["result"]), **outcome}, as_json=as_json, title=f"{title}: done")


def _flatten(result: Any) -> dict[str, Any]:
    if not isinstance(result, dict):
        return {"result": result}
    flat: dict[str, Any] = {}
    for key, value in result.items():
        if isinstance(value, dict):
            for inner, item in value.items():
                flat[f"{key}.{inner}"] = item
        else:
            # `status` of the output is the job's; a flat result keeps its own as `result_status`.
            flat["result_status" if key == "status" else key] = value
    return flat


def _since(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    return (value if value.tzinfo else value.replace(tzinfo=dt.UTC)).isoformat()


def _sync(
    connection: str,
    entities: list[str],
    since: dt.datetime | None,
    limit: int | None,
    wait: bool,
    as_json: bool,
) -> None:
    def enqueue(
        client: JobClient, sessions: async_sessionmaker[AsyncSession], cid: uuid.UUID
    ) -> Awaitable[Queued]:
        return client.sync(sessions, cid, entities, since=_since(since), limit=limit)

    client, queued, name = _queue(connection, enqueue)
    _report(client, queued, f"sync {'+'.join(entities)} of {name}", wait=wait, as_json=as_json)


@app.command()
def vendors(
    connection: ConnectionArg,
    since: SinceOpt = None,
    limit: LimitOpt = None,
    wait: WaitOpt = True,
    as_json: JsonOption = False,
) -> None:
    """Import vendors from the ERP."""
    _sync(connection, ["vendor"], since, limit, wait, as_json)


@app.command("purchase-orders")
def purchase_orders(
    connection: ConnectionArg,
    since: SinceOpt = None,
    limit: LimitOpt = None,
    wait: WaitOpt = True,
    as_json: JsonOption = False,
) -> None:
    """Import purchase orders from the ERP."""
    _sync(connection, ["purchase_order"], since, limit, wait, as_json)


@app.command("all")
def all_(
    connection: ConnectionArg,
    since: SinceOpt = None,
    limit: LimitOpt = None,
    wait: WaitOpt = True,
    as_json: JsonOption = False,
) -> None:
    """Import vendors, then purchase orders."""
    _sync(connection, ["vendor", "purchase_order"], since, limit, wait, as_json)


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

    client = JobClient(get_settings())
    try:
        queued = asyncio.run(run(client))
    except BaseException:
        client.close()
        raise
    _report(client, queued, f"retry of {workflow_id}", wait=wait, as_json=as_json)


@app.command()
def status(
    workflow_id: Annotated[str, typer.Argument(help="A job id.")], as_json: JsonOption = False
) -> None:
    """Where a job is: ENQUEUED, PENDING (running), SUCCESS or ERROR, with its result."""

    client = JobClient(get_settings())
    try:
        found = client.status(workflow_id)
    finally:
        client.close()
    if found is None:
        raise ConfigurationError(f"no job with id {workflow_id!r}")
    emit({k: v for k, v in found.items() if k != "inputs"}, as_json=as_json, title="Job")


async def _invoice_ids(session: AsyncSession, numbers: list[str]) -> list[str]:
    rows = (
        await session.execute(
            select(Invoice.id, Invoice.invoice_number).where(Invoice.invoice_number.in_(numbers))
        )
    ).all()
    by_number: dict[str, list[str]] = {}
    for invoice_id, number in rows:
        by_number.setdefault(number, []).append(str(invoice_id))
    missing = [n for n in numbers if n not in by_number]
    if missing:
        raise ConfigurationError(
            f"no invoice numbered {', '.join(missing)} (see `smartap-erp invoices list`)"
        )
    several = [n for n in numbers if len(by_number[n]) > 1]
    if several:
        raise ConfigurationError(f"several invoices are numbered {', '.join(several)}")
    return [by_number[n][0] for n in numbers]


def export(
    connection: ConnectionOpt,
    invoices: Annotated[
        list[str] | None, typer.Argument(help="Invoice numbers; none = every approved, not yet exported one.")
    ] = None,
    wait: WaitOpt = True,
    as_json: JsonOption = False,
) -> None:
    """Export approved invoices to the ERP as bills (each exactly once, even across crashes)."""

    async def enqueue(
        client: JobClient, sessions: async_sessionmaker[AsyncSession], cid: uuid.UUID
    ) -> Queued:
        ids = None
        if invoices:
            async with sessions() as session:
                ids = await _invoice_ids(session, invoices)
        return await client.export(sessions, cid, ids)

    client, queued, name = _queue(connection, enqueue)
    _report(client, queued, f"export to {name}", wait=wait, as_json=as_json)


@payments_app.command("sync")
def payments_sync(connection: ConnectionOpt, wait: WaitOpt = True, as_json: JsonOption = False) -> None:
    """Read the payment status of exported bills from the ERP."""

    def enqueue(
        client: JobClient, sessions: async_sessionmaker[AsyncSession], cid: uuid.UUID
    ) -> Awaitable[Queued]:
        return client.payments(sessions, cid)

    client, queued, name = _queue(connection, enqueue)
    _report(client, queued, f"payment statuses of {name}", wait=wait, as_json=as_json)
