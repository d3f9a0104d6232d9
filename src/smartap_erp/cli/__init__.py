"""The `smartap-erp` command line (Typer + Rich): the app, its sub-commands and the error boundary.

`main()` turns any deliberate `SmartAPError` into one line on stderr and its exit code (1 failure,
2 bad usage or configuration), and a database error into one line naming the operation and table
(never the SQL or its parameters); anything else is a bug and keeps its traceback. On the way out it
freezes the process's objects, so the interpreter's exit does not collect them once more.
"""

from __future__ import annotations

import gc
import logging
from typing import Annotated

import typer
from rich.logging import RichHandler

from smartap_erp import __version__
from smartap_erp.cli import (
    api_keys,
    conflicts,
    connections,
    db,
    events,
    invoices,
    keys,
    mappings,
    reconcile,
    serve,
    sync,
    users,
)
from smartap_erp.cli.about import about
from smartap_erp.cli.demo import demo
from smartap_erp.cli.logs import logs
from smartap_erp.cli.output import EXIT_FAILURE, EXIT_USAGE, error_console
from smartap_erp.cli.worker import worker
from smartap_erp.errors import SmartAPError

app = typer.Typer(
    name="smartap-erp",
    help="SmartAP ERP Connectors: sync vendors, purchase orders, bills and payments with your ERP.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(db.app, name="db")
app.add_typer(keys.app, name="keys")
app.add_typer(connections.app, name="connections")
app.add_typer(invoices.app, name="invoices")
app.add_typer(mappings.app, name="mappings")
app.command()(logs)
app.command()(about)
app.add_typer(sync.app, name="sync")
app.add_typer(sync.payments_app, name="payments")
app.add_typer(conflicts.app, name="conflicts")
app.command()(sync.export)
app.command()(worker)
app.command()(demo)
app.add_typer(api_keys.app, name="api-keys")
app.command()(serve.serve)
app.add_typer(serve.api_app, name="api")
app.add_typer(users.app, name="users")
app.add_typer(events.app, name="events")
app.add_typer(reconcile.app, name="reconcile")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"smartap-erp {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit.")
    ] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log debug details.")] = False,
) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.WARNING,
        format="%(message)s",
        handlers=[RichHandler(console=error_console, show_path=False, show_time=False)],
        force=True,
    )
    logging.getLogger("alembic").setLevel(logging.DEBUG if verbose else logging.WARNING)
    from smartap_erp.http.redact import install_handler_redaction  # deferred: httpx stays out of --help

    install_handler_redaction()  # scrub secrets from every record, whichever library logs it


def main() -> None:
    try:
        _run()
    finally:
        # The command is over and the process exits: the interpreter's last collections need not
        # walk what it built (SQLAlchemy, pydantic, the models). Frozen, they skip it: ~0.2 s less
        # at the end of every command that opened the application (issue 17, bench/import_e2e.py).
        gc.freeze()


def _run() -> None:
    try:
        app()  # standalone: click handles usage errors (exit 2) and typer.Exit itself
    except SmartAPError as exc:
        error_console.print(f"[red]error:[/red] {exc}", highlight=False, soft_wrap=True)
        raise SystemExit(exc.exit_code) from None
    except Exception as exc:
        from smartap_erp.app.database import database_failure  # deferred: start-up stays light (issue 17)

        failure = database_failure(exc)  # one line naming what failed; never the SQL or its parameters
        if failure is None:
            raise  # a bug: keep the traceback
        error_console.print(f"[red]error:[/red] {failure.message}", highlight=False, soft_wrap=True)
        raise SystemExit(EXIT_USAGE if failure.missing_schema else EXIT_FAILURE) from None
