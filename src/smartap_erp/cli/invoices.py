"""`smartap-erp invoices ...`: import invoices from a CSV or JSON file, approve them, list them.

Each command prints a summary by default and the invoice rows with `--details`; `--json` prints the
same as one JSON document on stdout. A progress bar shows on stderr, and only on a terminal. Exit
codes: 0 done, 1 some rows were refused or the database failed (the good rows are kept), 2 bad usage
or a file that cannot be read; every error is one line on stderr. The work is
`smartap_erp.app.invoices`'s: this module parses arguments and prints.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from smartap_erp.cli.lazy import lazy
from smartap_erp.cli.output import EXIT_FAILURE, EXIT_USAGE, JsonOption, emit, error_console, fail
from smartap_erp.cli.runtime import runtime
from smartap_erp.domain.enums import InvoiceStatus
from smartap_erp.errors import ConfigurationError, NotFoundError

if TYPE_CHECKING:
    from smartap_erp.app import database
    from smartap_erp.app import invoices as service
else:
    database = lazy("smartap_erp.app.database")
    service = lazy("smartap_erp.app.invoices")


app = typer.Typer(help="SmartAP invoices: import from a file, approve, list.", no_args_is_help=True)

DetailsOption = Annotated[bool, typer.Option("--details", help="Also print every invoice concerned.")]
DEFAULT_LIST_LIMIT = 50


def _row(invoice: service.InvoiceSummary) -> dict[str, Any]:
    return {
        "id": str(invoice.id),
        "invoice_number": invoice.invoice_number,
        "vendor": invoice.vendor,
        "date": invoice.date.isoformat(),
        "currency": invoice.total.currency,
        "total": str(invoice.total.amount),
        "status": invoice.status.value,
    }


def _rows(invoices: list[service.InvoiceSummary] | None) -> list[dict[str, Any]]:
    return [_row(i) for i in invoices or []]


@contextmanager
def _progress(description: str, total: int) -> Iterator[Any]:
    """Advance callback of a progress bar on stderr, shown only when stderr is a terminal."""
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(
        *columns, console=error_console, transient=True, disable=not error_console.is_terminal
    ) as bar:
        task = bar.add_task(description, total=total)
        yield lambda advance: bar.advance(task, advance)


@app.command("import")
def import_(
    file: Annotated[Path, typer.Argument(help="A .csv or .json file (see docs/invoices.md).")],
    details: DetailsOption = False,
    as_json: JsonOption = False,
) -> None:
    """Validate every row, store the invoices that are right, report the others; exit 1 if any failed."""
    try:
        parsed = service.read_file(file)
    except ConfigurationError as exc:
        raise fail(str(exc), EXIT_USAGE) from None

    async def run() -> service.ImportResult:
        async with runtime() as rt:
            with _progress(f"Importing {file.name}", len(parsed.invoices)) as advance:
                return await service.import_file(
                    rt, parsed, file.name, with_invoices=details, progress=advance
                )

    try:
        result = asyncio.run(run())
    except database.DatabaseFailedError as exc:
        raise fail(str(exc), EXIT_FAILURE) from None
    rows = _rows(result.invoices)
    summary: dict[str, Any] = {
        "imported": result.imported,
        "imported_rows": result.imported_rows,
        "refused": len(result.problems),
        "reasons": result.reasons,
    }
    if as_json:
        emit(
            {
                **summary,
                "problems": [str(p) for p in result.problems],
                **({"invoices": rows} if details else {}),
            },
            as_json=True,
        )
    else:
        csv_file = file.suffix.lower() == ".csv"
        shown = {
            "invoices imported": summary["imported"],
            **({"rows imported": summary["imported_rows"]} if csv_file else {}),
            f"{'rows' if csv_file else 'invoices'} refused": summary["refused"],
            "why refused": ", ".join(f"{reason} ({n})" for reason, n in summary["reasons"].items()) or None,
        }
        emit(shown, as_json=False, title=f"Invoices from {file.name}")
        if details:
            emit(rows, as_json=False, title="Imported invoices")
        for problem in result.problems:
            error_console.print(f"[red]refused[/red] {problem}", highlight=False, soft_wrap=True)
    if result.problems:
        raise typer.Exit(EXIT_FAILURE)


@app.command()
def approve(
    references: Annotated[
        list[str] | None, typer.Argument(help="Invoice numbers or ids; none with --all.", show_default=False)
    ] = None,
    all_pending: Annotated[bool, typer.Option("--all", help="Approve every pending invoice.")] = False,
    vendor: Annotated[
        str | None,
        typer.Option(help="Only the invoices of this vendor (name or tax id), for shared numbers."),
    ] = None,
    by: Annotated[str, typer.Option(help="Who approves.")] = "cli",
    details: DetailsOption = False,
    as_json: JsonOption = False,
) -> None:
    """Approve pending invoices so that they can be exported. Nothing is approved if a number is unknown
    or names invoices of several vendors."""
    if bool(references) == all_pending:
        raise fail("name the invoice numbers (or ids) to approve, or pass --all, not both", EXIT_USAGE)
    if all_pending and vendor is not None:
        raise fail("--vendor narrows invoice numbers; it does not go with --all", EXIT_USAGE)

    request = service.ApprovalRequest(references=references or None, vendor=vendor, approved_by=by)

    async def run() -> service.ApprovalResult:
        async with runtime() as rt:
            return await service.approve(rt, request, with_invoices=details)

    try:
        report = asyncio.run(run())
    except service.InvoiceReferenceError as exc:
        for problem in exc.problems:
            error_console.print(
                f"[red]error:[/red] {problem}; nothing was approved", highlight=False, soft_wrap=True
            )
        raise typer.Exit(EXIT_USAGE) from None
    except database.DatabaseFailedError as exc:
        raise fail(str(exc), EXIT_FAILURE) from None
    rows = _rows(report.invoices)
    not_pending = [
        {"id": str(c.id), "invoice_number": c.invoice_number, "vendor": c.vendor, "status": c.status.value}
        for c in report.not_pending
    ]
    summary = {"approved": len(report.approved), "not_pending": not_pending}
    if as_json:
        emit({**summary, **({"invoices": rows} if details else {})}, as_json=True)
        return
    shown = {"approved": summary["approved"]}
    if not_pending:
        shown["not pending, left as they are"] = len(not_pending)
    emit(shown, as_json=False, title="Invoice approval")
    if not_pending:
        emit(not_pending, as_json=False, title="Not pending, left as they are")
    if details:
        emit(rows, as_json=False, title=f"Approved {len(rows)} invoice(s)")


@app.command("list")
def list_(
    status: Annotated[InvoiceStatus | None, typer.Option(help="Only invoices in this status.")] = None,
    vendor: Annotated[str | None, typer.Option(help="Only this vendor's invoices (name or tax id).")] = None,
    limit: Annotated[
        int | None,
        typer.Option(
            min=0,
            help=f"At most this many, newest first; 0: all (default {DEFAULT_LIST_LIMIT}, all with --json).",
            show_default=False,
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """SmartAP invoices with their status, newest first."""
    effective = limit if limit is not None else (0 if as_json else DEFAULT_LIST_LIMIT)
    query = service.InvoiceFilter(status=status, vendor=vendor, limit=effective or None)

    async def run() -> service.InvoicePage:
        async with runtime() as rt:
            return await service.list_invoices(rt, query)

    try:
        page = asyncio.run(run())
    except NotFoundError as exc:
        raise fail(str(exc), EXIT_USAGE) from None
    rows, total = _rows(page.invoices), page.total
    title = (
        "Invoices"
        if len(rows) == total
        else f"Invoices: the newest {len(rows)} of {total} (--limit 0 for all)"
    )
    emit(rows, as_json=as_json, title=title)
    if as_json and len(rows) < total:
        error_console.print(f"{len(rows)} of {total} invoices listed (--limit 0 for all)", highlight=False)
