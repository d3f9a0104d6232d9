"""`smartap-erp invoices ...`: import invoices from a CSV or JSON file, approve them, list them."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path
from typing import Annotated, Any

import typer
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from smartap_erp.cli.output import JsonOption, emit, error_console, fail
from smartap_erp.cli.runtime import runtime
from smartap_erp.db.models import Invoice
from smartap_erp.domain.enums import InvoiceStatus
from smartap_erp.domain.money import from_minor_units
from smartap_erp.invoices.files import InvoiceFileError, read_invoice_file
from smartap_erp.invoices.store import approve_invoices, store_invoices

app = typer.Typer(help="SmartAP invoices: import from a file, approve, list.", no_args_is_help=True)


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


@app.command("import")
def import_(
    file: Annotated[Path, typer.Argument(help="A .csv or .json file (see docs/invoices.md).")],
    as_json: JsonOption = False,
) -> None:
    """Validate every row, store the invoices that are right, report the others; exit 1 if any failed."""
    try:
        parsed = read_invoice_file(file)
    except InvoiceFileError as exc:
        raise fail(str(exc), 2) from None

    async def run() -> tuple[int, list[str]]:
        async with runtime() as rt, rt.sessions() as session:
            report = await store_invoices(session, parsed.invoices)
            await session.commit()
            return len(report.created), [str(p) for p in parsed.problems + report.problems]

    created, problems = asyncio.run(run())
    if as_json:
        emit({"imported": created, "problems": problems}, as_json=True)
    else:
        emit(
            {"imported": created, "refused": len(problems)}, as_json=False, title=f"Invoices from {file.name}"
        )
        for problem in problems:
            error_console.print(f"[red]refused[/red] {problem}", highlight=False, soft_wrap=True)
    if problems:
        raise typer.Exit(1)


@app.command()
def approve(
    numbers: Annotated[list[str] | None, typer.Argument(help="Invoice numbers; none with --all.")] = None,
    all_pending: Annotated[bool, typer.Option("--all", help="Approve every pending invoice.")] = False,
    by: Annotated[str, typer.Option(help="Who approves.")] = "cli",
    as_json: JsonOption = False,
) -> None:
    """Approve pending invoices so that they can be exported."""
    if not numbers and not all_pending:
        raise fail("name the invoice numbers to approve, or pass --all", 2)

    async def run() -> list[dict[str, Any]]:
        async with runtime() as rt, rt.sessions() as session:
            ids = None
            if numbers:
                ids = list(
                    (
                        await session.scalars(select(Invoice.id).where(Invoice.invoice_number.in_(numbers)))
                    ).all()
                )
            approved = await approve_invoices(
                session, invoice_ids=ids, approved_by=by, now=dt.datetime.now(dt.UTC)
            )
            await session.commit()
            rows = await session.scalars(
                select(Invoice)
                .options(selectinload(Invoice.vendor))
                .where(Invoice.id.in_([i.id for i in approved]))
            )
            return [_row(i) for i in rows]

    rows = asyncio.run(run())
    emit(rows, as_json=as_json, title=f"Approved {len(rows)} invoice(s)")


@app.command("list")
def list_(
    status: Annotated[InvoiceStatus | None, typer.Option(help="Only invoices in this status.")] = None,
    as_json: JsonOption = False,
) -> None:
    """SmartAP invoices with their status."""

    async def run() -> list[dict[str, Any]]:
        async with runtime() as rt, rt.sessions() as session:
            query = select(Invoice).options(selectinload(Invoice.vendor)).order_by(Invoice.invoice_date)
            if status is not None:
                query = query.where(Invoice.status == status)
            return [_row(i) for i in (await session.scalars(query)).all()]

    emit(asyncio.run(run()), as_json=as_json, title="Invoices")
