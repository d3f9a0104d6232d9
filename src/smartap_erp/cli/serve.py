"""`smartap-erp serve`: the REST API under uvicorn; `smartap-erp api openapi`: write its OpenAPI
document (docs/openapi.json by default). uvicorn's own access log is off: it prints raw paths with
their query strings (an OAuth callback's `code` and `state`); the API logs each request by route
template, status, duration and correlation id instead (`smartap_erp.api.access`).

`--workers N` runs N server processes on one socket (uvicorn's multi-process mode: each process
builds the app from `app_factory`, reading the same environment). A process is one event loop on one
core, so N processes use N cores; each opens its own database pool (`db.session`: up to
`POOL_SIZE` connections on PostgreSQL), so N processes may hold N times that many. Nothing the API
keeps in memory has to be shared: the reference-data cache is per process (each reads the ERP once
per `max_age`), rate-limit slots, keys, jobs and idempotency keys live in the database."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from smartap_erp.cli.output import console
from smartap_erp.http.redact import install_redaction

if TYPE_CHECKING:
    from fastapi import FastAPI

api_app = typer.Typer(help="The REST API's artefacts.", no_args_is_help=True)


MAX_WORKERS = 32


def _logging() -> None:
    """Redacting filters on the loggers the server writes to, and the access log at INFO."""
    for name in ("uvicorn", "uvicorn.error", "smartap_erp"):
        install_redaction(name)
    if logging.getLogger().getEffectiveLevel() > logging.INFO:
        logging.getLogger("smartap_erp.api").setLevel(logging.INFO)


def app_factory() -> FastAPI:
    """The app of one server process, on the environment's settings (`--workers`: uvicorn calls this
    in every process it starts, which sets up that process's log filters too)."""
    from smartap_erp.api.app import create_app

    _logging()
    return create_app()


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.", min=1, max=65535)] = 8000,
    workers: Annotated[
        int,
        typer.Option(
            help="Server processes (one core each); each opens its own database pool.",
            min=1,
            max=MAX_WORKERS,
        ),
    ] = 1,
) -> None:
    """Run the REST API (docs at /docs, spec at /openapi.json) until interrupted."""
    import uvicorn

    from smartap_erp.app.context import require_database
    from smartap_erp.settings import get_settings

    require_database(get_settings())  # a clear line now, not a failed startup inside uvicorn
    _logging()
    processes = f", {workers} processes" if workers > 1 else ""
    console.print(
        f"SmartAP ERP API on http://{host}:{port}{processes} (docs: http://{host}:{port}/docs)",
        highlight=False,
    )
    if workers == 1:
        config = uvicorn.Config(app_factory(), host=host, port=port, access_log=False, log_level="info")
        uvicorn.Server(config).run()
        return
    uvicorn.run(
        f"{__name__}:app_factory",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        access_log=False,
        log_level="info",
    )


@api_app.command()
def openapi(
    output: Annotated[Path, typer.Option(help="Where to write the spec; '-' for stdout.")] = Path(
        "docs/openapi.json"
    ),
) -> None:
    """Write the API's OpenAPI document (commit docs/openapi.json whenever an endpoint changes)."""
    from smartap_erp.api.spec import openapi_text

    text = openapi_text()
    if str(output) == "-":
        typer.echo(text, nl=False)
        return
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text, encoding="utf-8")
    console.print(f"wrote {output}", highlight=False)
