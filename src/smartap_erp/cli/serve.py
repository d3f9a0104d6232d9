"""`smartap-erp serve`: the REST API under uvicorn; `smartap-erp api openapi`: write its OpenAPI
document (docs/openapi.json by default). uvicorn's own access log is off: it prints raw paths with
their query strings (an OAuth callback's `code` and `state`); the API logs each request by route
template, status, duration and correlation id instead (`smartap_erp.api.access`)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import typer

from smartap_erp.cli.output import console
from smartap_erp.http.redact import install_redaction

api_app = typer.Typer(help="The REST API's artefacts.", no_args_is_help=True)


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.", min=1, max=65535)] = 8000,
) -> None:
    """Run the REST API (docs at /docs, spec at /openapi.json) until interrupted."""
    import uvicorn

    from smartap_erp.api.app import create_app
    from smartap_erp.app.context import require_database
    from smartap_erp.settings import get_settings

    settings = get_settings()
    require_database(settings)  # a clear line now, not a failed startup inside uvicorn
    config = uvicorn.Config(create_app(settings), host=host, port=port, access_log=False, log_level="info")
    for name in ("uvicorn", "uvicorn.error", "smartap_erp"):
        install_redaction(name)
    if logging.getLogger().getEffectiveLevel() > logging.INFO:
        logging.getLogger("smartap_erp.api").setLevel(logging.INFO)
    console.print(
        f"SmartAP ERP API on http://{host}:{port} (docs: http://{host}:{port}/docs)", highlight=False
    )
    uvicorn.Server(config).run()


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
