"""The `erpsim` command: serve a simulator on loopback, or print its credentials.

    erpsim serve SYSTEM [--host 127.0.0.1] [--port 0] [--seed 1] [--vendors N] [--purchase-orders N]
                        [--bills N] [--latency-ms MS] [--faults SPEC] [--limits real|off]
    erpsim credentials SYSTEM [--seed 1] --base-url URL

`serve` prints exactly one JSON line `{"system", "base_url", "credentials"}` on stdout once the
server accepts requests, then serves until SIGINT or SIGTERM (exit status 0). Diagnostics go to
stderr. Bad options exit with status 2 and a message, an unavailable system with status 3.
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Annotated

import typer

from erpsim.core.faults import FaultSpecError
from erpsim.core.server import base_url_of, bind_socket, make_server
from erpsim.core.simulator import SimConfig
from erpsim.registry import SYSTEMS, SystemModule, SystemNotAvailable, load_system

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Faithful local simulators of the QuickBooks Online, Xero, SAP B1 and NetSuite APIs.",
)

SystemArg = Annotated[str, typer.Argument(help=f"One of: {', '.join(SYSTEMS)}.", show_default=False)]
SeedOpt = Annotated[int, typer.Option(help="Seed of all generated data and credentials.")]


def _fail(message: str, code: int) -> typer.Exit:
    typer.echo(f"erpsim: {message}", err=True)
    return typer.Exit(code)


def _system(name: str) -> SystemModule:
    try:
        return load_system(name)
    except SystemNotAvailable as exc:
        raise _fail(str(exc), 3) from None


def _config(**options: object) -> SimConfig:
    try:
        return SimConfig(**options)  # type: ignore[arg-type]
    except (FaultSpecError, ValueError) as exc:
        raise _fail(str(exc), 2) from None


@app.command()
def serve(
    system: SystemArg,
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port; 0 picks a free one.")] = 0,
    seed: SeedOpt = 1,
    vendors: Annotated[int | None, typer.Option(help="Seeded vendors (default: the simulator's).")] = None,
    purchase_orders: Annotated[int | None, typer.Option(help="Seeded purchase orders.")] = None,
    bills: Annotated[int | None, typer.Option(help="Seeded bills.")] = None,
    latency_ms: Annotated[float, typer.Option(help="Latency added to every ERP request.")] = 0.0,
    faults: Annotated[str, typer.Option(help="Fault plan, e.g. 'rate429=0.1;latency=50ms'.")] = "",
    limits: Annotated[str, typer.Option(help="'real' enforces the ERP's published limits; 'off'.")] = "real",
) -> None:
    """Serve SYSTEM until SIGINT/SIGTERM; print one JSON line with base_url and credentials when ready."""
    module = _system(system)
    try:
        sock = bind_socket(host, port)
    except OSError as exc:
        raise _fail(f"cannot listen on {host}:{port}: {exc.strerror}", 2) from None
    base_url = base_url_of(sock)
    config = _config(
        seed=seed,
        vendors=vendors,
        purchase_orders=purchase_orders,
        bills=bills,
        latency_ms=latency_ms,
        faults=faults,
        limits=limits,
        base_url=base_url,
    )
    asgi_app = module.create_app(config)
    ready = {"system": system, "base_url": base_url, "credentials": module.credentials(config)}
    ready_line = json.dumps(ready)
    server = make_server(asgi_app)

    async def run() -> None:
        task = asyncio.create_task(server.serve(sockets=[sock]))
        # uvicorn exposes readiness only as the `started` flag, so poll it briefly.
        while not server.started and not task.done():  # noqa: ASYNC110
            await asyncio.sleep(0.01)
        if server.started:
            sys.stdout.write(ready_line + "\n")
            sys.stdout.flush()
        await task

    asyncio.run(run())
    if not server.started:
        raise _fail("the server did not start", 1)


@app.command()
def credentials(
    system: SystemArg,
    base_url: Annotated[str, typer.Option(help="Base URL the simulator is (or will be) served at.")],
    seed: SeedOpt = 1,
) -> None:
    """Print the credentials object of SYSTEM for SEED as JSON, without starting anything."""
    module = _system(system)
    config = _config(seed=seed, base_url=base_url)
    typer.echo(json.dumps(module.credentials(config)))


def main() -> None:
    app()


if __name__ == "__main__":
    main()
