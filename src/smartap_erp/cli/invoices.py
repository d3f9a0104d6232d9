"""`smartap-erp invoices ...`: import invoices from a CSV or JSON file, approve them, list them.

Each command prints a summary by default and the invoice rows with `--details`; `--json` prints the
same as one JSON document on stdout. A progress bar shows on stderr, and only on a terminal. Exit
codes: 0 done, 1 some rows were refused or the database failed (the good rows are kept), 2 bad usage
or a file that cannot be read; every error is one line on stderr.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from smartap_erp.cli.output import EXIT_FAILURE, EXIT_USAGE, JsonOption, emit, error_console, fail
from smartap_erp.cli.runtime import runtime
from smartap_erp.db.models import Invoice
from smartap_erp.domain.enums import InvoiceStatus
from smartap_erp.domain.money import from_minor_units
from smartap_erp.invoices.approval import approve_invoices, resolve_references
from smartap_erp.invoices.files import read_invoice_file
from smartap_erp.invoices.problems import FileProblem, InvoiceFileError
from smartap_erp.invoices.store import chunks, store_invoices, vendors_by_key

app = typer.Typer(help="SmartAP invoices: import from a file, approve, list.", no_args_is_help=True)

DetailsOption = Annotated[bool, typer.Option("--details", help="Also print every invoice concerned.")]
DEFAULT_LIST_LIMIT = 50


def _row(invoice: Invoice) -> dict[str, Any]:
    return {
        "id": str(invoice.id),
        "invoice_number": invoice.invoice_number,
        "vendor": invoice.vendor.name,
        "date": invoice.invoice_date.isoformat(),
        "currency": invoice.currency,
        "total": str(from_minor_units(invoice.total_minor, invoice.currency)),
        "status": invoice.status.value,
    }


async def _rows(session: AsyncSession, ids: Sequence[uuid.UUID]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for batch in chunks(ids):
        query = select(Invoice).options(selectinload(Invoice.vendor)).where(Invoice.id.in_(batch))
        rows.extend(_row(i) for i in (await session.scalars(query)).all())
    return sorted(rows, key=lambda r: (r["date"], r["vendor"], r["invoice_number"]))


@contextmanager
def _progress(description: str, total: int) -> Iterator[Any]:
    """Advance callback of a progress bar on stderr, shown only when stderr is a terminal."""
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(
        *columns, console=error_console, transient=True, disable=not error_console.is_terminal
    ) as bar:
        task = bar.add_task(description, total=total)
        yield lambda advance: bar.advance(task, advance)


def _database_failure(action: str, exc: SQLAlchemyError) -> typer.Exit:
    original = getattr(exc, "orig", None)
    reason = (str(original if original is not None else exc).splitlines() or [type(exc).__name__])[0][:300]
    return fail(f"the database failed while {action}, nothing was changed: {reason}", EXIT_FAILURE)


def _reasons(problems: Sequence[FileProblem]) -> dict[str, int]:
    return dict(Counter(p.reason for p in problems).most_common())


@app.command("import")
def import_(
    file: Annotated[Path, typer.Argument(help="A .csv or .json file (see docs/invoices.md).")],
    details: DetailsOption = False,
    as_json: JsonOption = False,
) -> None:
    """Validate every row, store the invoices that are right, report the others; exit 1 if any failed."""
    try:
        parsed = read_invoice_file(file)
    except InvoiceFileError as exc:
        raise fail(str(exc), EXIT_USAGE) from None

    async def run() -> tuple[Any, list[dict[str, Any]]]:
        async with runtime() as rt, rt.sessions() as session:
            with _progress(f"Importing {file.name}", len(parsed.invoices)) as advance:
                report = await store_invoices(session, parsed.invoices, progress=advance)
            await session.commit()
            return report, (await _rows(session, report.created)) if details else []

    try:
        report, rows = asyncio.run(run())
    except SQLAlchemyError as exc:
        raise _database_failure(f"importing {file.name}", exc) from None
    problems = sorted(parsed.problems + report.problems, key=_place_order)
    summary: dict[str, Any] = {
        "imported": len(report.created),
        "imported_rows": report.rows,
        "refused": len(problems),
        "reasons": _reasons(problems),
    }
    if as_json:
        emit(
            {**summary, "problems": [str(p) for p in problems], **({"invoices": rows} if details else {})},
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
        for problem in problems:
            error_console.print(f"[red]refused[/red] {problem}", highlight=False, soft_wrap=True)
    if problems:
        raise typer.Exit(EXIT_FAILURE)


def _place_order(problem: FileProblem) -> tuple[int, str]:
    word, _, number = problem.where.partition(" ")
    return (int(number) if number.isdigit() else 0, word)


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

    async def run() -> tuple[list[str], Any, list[dict[str, Any]]]:
        async with runtime() as rt, rt.sessions() as session:
            chosen = None
            if references:
                resolution = await resolve_references(session, references, vendor=vendor)
                if resolution.errors:
                    return resolution.errors, None, []
                chosen = resolution.invoices
            report = await approve_invoices(
                session, invoices=chosen, approved_by=by, now=dt.datetime.now(dt.UTC)
            )
            await session.commit()
            return [], report, (await _rows(session, report.approved)) if details else []

    try:
        errors, report, rows = asyncio.run(run())
    except SQLAlchemyError as exc:
        raise _database_failure("approving", exc) from None
    if errors:
        for error in errors:
            error_console.print(
                f"[red]error:[/red] {error}; nothing was approved", highlight=False, soft_wrap=True
            )
        raise typer.Exit(EXIT_USAGE)
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

    async def run() -> tuple[list[dict[str, Any]], int] | None:
        async with runtime() as rt, rt.sessions() as session:
            conditions = [] if status is None else [Invoice.status == status]
            if vendor is not None:
                ids = [v.id for v in (await vendors_by_key(session, [vendor]))[vendor]]
                if not ids:
                    return None
                conditions.append(Invoice.vendor_id.in_(ids))
            total = await session.scalar(select(func.count()).select_from(Invoice).where(*conditions))
            query = (
                select(Invoice)
                .options(selectinload(Invoice.vendor))
                .where(*conditions)
                .order_by(Invoice.invoice_date.desc(), Invoice.invoice_number, Invoice.id)
            )
            if effective:
                query = query.limit(effective)
            return [_row(i) for i in (await session.scalars(query)).all()], int(total or 0)

    result = asyncio.run(run())
    if result is None:
        raise fail(f"no SmartAP vendor is named or has the tax id {vendor!r}", EXIT_USAGE)
    rows, total = result
    title = (
        "Invoices"
        if len(rows) == total
        else f"Invoices: the newest {len(rows)} of {total} (--limit 0 for all)"
    )
    emit(rows, as_json=as_json, title=title)
    if as_json and len(rows) < total:
        error_console.print(f"{len(rows)} of {total} invoices listed (--limit 0 for all)", highlight=False)
