"""`smartap-erp demo`: what `make run` runs. Four ERP simulators on loopback, one connection each, a
whole cycle (import, export, payment in the ERP, payment sync) with progress bars, a summary table per
ERP, then the worker with its schedules until Ctrl-C (or `--no-worker`), and beside it the REST API
and the web UI (`--api`, the default: uvicorn in a thread of this process, on `--port`) with an admin
key made for the demo and the web UI's `demo` admin with a fresh random password, all printed. When
it stops, the API and the worker stop and the demo connections' schedules are switched off: their
simulators stop with it. The cycle is `smartap_erp.app.demo`'s; this module draws its progress and
prints.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)

from smartap_erp.cli.lazy import lazy
from smartap_erp.cli.output import JsonOption, console, emit
from smartap_erp.cli.runtime import runtime
from smartap_erp.demo.simulators import NAMES, RunningSimulator, running_simulators
from smartap_erp.errors import ConfigurationError
from smartap_erp.settings import Settings, get_settings

if TYPE_CHECKING:
    from smartap_erp.app import demo as service
    from smartap_erp.db import migrate
else:
    service = lazy("smartap_erp.app.demo")
    migrate = lazy("smartap_erp.db.migrate")


API_START_SECONDS = 15.0


def _worker_id() -> str:
    """The demo's worker id: the one its connections name (`demo_worker_id`)."""
    from smartap_erp.jobs.config import JobOptions

    configured = JobOptions.from_env().worker_id
    return "demo" if configured == JobOptions().worker_id else configured


def demo(
    vendors: Annotated[int, typer.Option(min=1, max=50_000, help="Vendors per simulated ERP.")] = 200,
    purchase_orders: Annotated[int, typer.Option(min=0, max=10_000)] = 40,
    worker: Annotated[
        bool, typer.Option(help="Keep the worker and its schedules running afterwards.")
    ] = True,
    api: Annotated[
        bool, typer.Option(help="With the worker, also serve the REST API (and print an admin key).")
    ] = True,
    host: Annotated[str, typer.Option(help="Address the API listens on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port of the API (0: any free port).", min=0, max=65535)] = 8000,
    as_json: JsonOption = False,
) -> None:
    """Run SmartAP against four simulated ERPs and show what happened."""
    migrate.upgrade(get_settings().database_url)
    try:
        _demo(vendors, purchase_orders, worker=worker, serve=(host, port) if api else None, as_json=as_json)
    finally:
        stopped = asyncio.run(_stop_schedules())
        if not as_json and stopped:
            console.print(f"[dim]schedules of the {stopped} demo connections switched off[/dim]")


async def _stop_schedules() -> int:
    async with runtime() as rt:
        return await service.stop_schedules(rt)


def _demo(
    vendors: int, purchase_orders: int, *, worker: bool, serve: tuple[str, int] | None, as_json: bool
) -> None:

    with running_simulators(vendors=vendors, purchase_orders=purchase_orders) as sims:
        if not as_json:
            for sim in sims:
                console.print(f"[dim]simulated {NAMES[sim.system]} at {sim.base_url}[/dim]")
        columns = (
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
        )
        with Progress(*columns, console=console, disable=as_json) as progress:
            steps = len(service.STEPS)
            tasks = {str(sim.system): progress.add_task(NAMES[sim.system], total=steps) for sim in sims}

            def step(system: str, done: str) -> None:
                progress.update(tasks[system], advance=1, description=f"{NAMES[system]}: {done}")

            async def run() -> list[dict[str, Any]]:
                async with runtime() as rt:
                    found = await service.run_cycle(rt, sims, worker_id=_worker_id(), on_step=step)
                return [summary.row() for summary in found]

            summaries = asyncio.run(run())
        emit(summaries, as_json=as_json, title="What happened, per ERP")
        if not as_json:
            console.print(
                "Vendors and purchase orders were imported into SmartAP; approved invoices became "
                "bills in each ERP; the ERP paid some of them, and SmartAP now knows which."
            )
            console.print(
                "'in review': ERP vendors that matched an existing SmartAP vendor with different details "
                "wait for a person to choose (`smartap-erp conflicts list`, `conflicts resolve`)."
            )
            console.print(
                "Look closer: `smartap-erp logs`, `smartap-erp connections list`, "
                "`smartap-erp invoices list`."
            )
        if worker and serve is None:
            _run_worker(sims)
        elif worker and serve is not None:
            with serving_api(get_settings(), *serve) as url:
                key = asyncio.run(_demo_admin_key())
                password = asyncio.run(_demo_ui_user())
                console.print(f"REST API on {url} (docs: {url}/docs)", highlight=False)
                console.print(
                    f"Web UI on {url}/ui/ : sign in as 'demo' with password {password} (shown once; "
                    "`smartap-erp users create` makes more users)",
                    highlight=False,
                    soft_wrap=True,
                )
                console.print(
                    f"Admin API key made for this demo (shown once): {key}\n"
                    f'  curl -H "Authorization: Bearer {key}" {url}/api/v1/erp/connections',
                    highlight=False,
                    soft_wrap=True,
                )
                _run_worker(sims)


async def _demo_admin_key() -> str:
    """A new admin key named for the demo: the demo's API is for trying things out."""
    from smartap_erp.app import api_keys
    from smartap_erp.app.api_keys import APIKeyCreate, Scope

    async with runtime() as rt:
        return (await api_keys.create(rt, APIKeyCreate(name="demo (make run)", scope=Scope.ADMIN))).key


async def _demo_ui_user() -> str:
    """The web UI's 'demo' admin, with a new random password each time the demo starts (returned)."""
    import secrets

    from smartap_erp.app import users
    from smartap_erp.app.users import Role, UserCreate

    password = secrets.token_urlsafe(12)
    async with runtime() as rt:
        await users.set_up_user(rt, UserCreate(username="demo", password=password, role=Role.ADMIN))
    return password


@contextmanager
def serving_api(settings: Settings, host: str, port: int) -> Iterator[str]:
    """The REST API under uvicorn in a thread of this process until the block ends; yields its URL
    (the port actually bound when `port` is 0). uvicorn leaves signals alone outside the main thread,
    so Ctrl-C still reaches the worker, whose stop ends this block and the server with it."""
    import uvicorn

    from smartap_erp.api.app import create_app
    from smartap_erp.http.redact import install_redaction

    for name in ("uvicorn", "uvicorn.error", "smartap_erp"):
        install_redaction(name)
    config = uvicorn.Config(create_app(settings), host=host, port=port, access_log=False, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="smartap-api", daemon=True)
    thread.start()
    deadline = time.monotonic() + API_START_SECONDS
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            raise ConfigurationError(f"the API did not start on {host}:{port} (is the port taken?)")
        time.sleep(0.05)
    bound = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://{host}:{bound}"
    finally:
        server.should_exit = True
        thread.join(timeout=API_START_SECONDS)


def _run_worker(sims: list[RunningSimulator]) -> None:
    """The worker, in this process so that it reaches the simulators, until Ctrl-C."""
    from smartap_erp.cli.worker import run_until_stopped
    from smartap_erp.jobs.config import JobOptions

    console.print(
        "Worker running: each connection syncs on its schedule (every 15 minutes here), payment "
        "status every 30. Press Ctrl-C to stop."
    )
    options = JobOptions.from_env()
    run_until_stopped(get_settings(), JobOptions(**{**options.__dict__, "worker_id": _worker_id()}))
    console.print("stopped")
