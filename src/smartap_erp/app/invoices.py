"""Invoices in the application layer: import a file or a list of invoices (with the result of every
refused row), approve invoices named by number or id (a number two vendors share is refused with its
candidates, never approved blindly), list them with filters and a limit, and the sync status of one
invoice: not synced, queued, synced (with the ERP's bill id and the amount paid), failed or needs review.

Every function takes an `AppContext` and returns pydantic models an API serves as they are; a
reference that names no invoice or several raises `InvoiceReferenceError` (a `NotFoundError`), a
database failure while writing raises `DatabaseFailedError` with nothing changed.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from enum import StrEnum
from pathlib import Path

from pydantic import Field, computed_field
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from smartap_erp.app.context import AppContext
from smartap_erp.app.database import DatabaseFailedError
from smartap_erp.app.models import AppModel
from smartap_erp.db.models import ERPConnection, ERPExportOutbox, ERPInvoiceLink, Invoice
from smartap_erp.db.models.erp import ExportState
from smartap_erp.domain.enums import InvoiceStatus, PaymentStatus
from smartap_erp.domain.money import from_minor_units
from smartap_erp.domain.types import Amount, CurrencyCode, UTCDateTime
from smartap_erp.errors import ConfigurationError, NotFoundError
from smartap_erp.invoices.approval import approve_invoices as approve_pending
from smartap_erp.invoices.approval import resolve_references
from smartap_erp.invoices.files import read_invoice_file
from smartap_erp.invoices.problems import FileProblem, InvoiceFileError, ParsedFile, SourcedInvoice
from smartap_erp.invoices.schema import InvoiceInput
from smartap_erp.invoices.store import chunks, store_invoices, vendors_by_key

Progress = Callable[[int], None]


class Money(AppModel):
    """An exact amount in a currency (ISO 4217); served as a decimal string, never a float."""

    amount: Amount
    currency: CurrencyCode


class InvoiceSummary(AppModel):
    id: uuid.UUID
    invoice_number: str
    vendor: str
    date: dt.date
    total: Money
    status: InvoiceStatus


class RowProblem(AppModel):
    """One refused row (CSV, `row 4`) or invoice (JSON or a list, `invoice 2`): where, what, and a
    short reason to count problems by."""

    where: str
    message: str
    reason: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


class ImportResult(AppModel):
    source: str
    invoice_ids: list[uuid.UUID]  # the invoices stored
    imported_rows: int  # CSV rows (or invoices) they came from
    problems: list[RowProblem]  # every refused row, in file order
    reasons: dict[str, int]  # refused rows per reason, most frequent first
    invoices: list[InvoiceSummary] | None = None  # the stored invoices, when asked for

    @computed_field  # type: ignore[prop-decorator]
    @property
    def imported(self) -> int:
        return len(self.invoice_ids)


class InvoiceReferenceError(NotFoundError):
    """A number or id names no invoice, or several: `problems` holds one line per reference."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(self.problems))


class ApprovalRequest(AppModel):
    references: list[str] | None = Field(default=None, min_length=1)  # None: every pending invoice
    vendor: str | None = None  # narrows numbers two vendors share (name, any case, or tax id)
    approved_by: str = Field(min_length=1, max_length=255)


class Candidate(AppModel):
    id: uuid.UUID
    invoice_number: str
    vendor: str
    status: InvoiceStatus


class ApprovalResult(AppModel):
    approved: list[uuid.UUID]
    not_pending: list[Candidate]  # named, but not pending: left as they are
    invoices: list[InvoiceSummary] | None = None


class InvoiceFilter(AppModel):
    status: InvoiceStatus | None = None
    vendor: str | None = None  # name (any case) or tax id
    limit: int | None = Field(default=None, ge=1)  # newest first; None: all


class InvoicePage(AppModel):
    invoices: list[InvoiceSummary]
    total: int  # how many match the filter, whatever the limit


class SyncState(StrEnum):
    NOT_SYNCED = "not_synced"
    QUEUED = "queued"  # an export started and is not confirmed yet (it resumes on retry)
    SYNCED = "synced"
    FAILED = "failed"
    NEEDS_REVIEW = "needs_review"  # the ERP's bill differs from the invoice: a person must look


class ConnectionExport(AppModel):
    connection_id: uuid.UUID
    connection: str
    state: SyncState
    bill_id: str | None = None
    bill_number: str | None = None
    exported_at: UTCDateTime | None = None
    payment_status: PaymentStatus | None = None
    paid: Money | None = None
    payment_synced_at: UTCDateTime | None = None
    error: str | None = None


class InvoiceSyncStatus(AppModel):
    invoice: InvoiceSummary
    state: SyncState  # over every connection: needs review, else synced, queued, failed, not synced
    exports: list[ConnectionExport]  # one per connection the invoice was exported (or tried) to


def summary(invoice: Invoice) -> InvoiceSummary:
    """An invoice (loaded with its vendor) as the application serves it."""
    return InvoiceSummary(
        id=invoice.id,
        invoice_number=invoice.invoice_number,
        vendor=invoice.vendor.name,
        date=invoice.invoice_date,
        total=Money(
            amount=from_minor_units(invoice.total_minor, invoice.currency), currency=invoice.currency
        ),
        status=invoice.status,
    )


async def _summaries(session: AsyncSession, ids: Sequence[uuid.UUID]) -> list[InvoiceSummary]:
    found: list[InvoiceSummary] = []
    for batch in chunks(ids):
        query = select(Invoice).options(selectinload(Invoice.vendor)).where(Invoice.id.in_(batch))
        found.extend(summary(i) for i in (await session.scalars(query)).all())
    return sorted(found, key=lambda s: (s.date, s.vendor, s.invoice_number))


def _failed(action: str, exc: SQLAlchemyError) -> DatabaseFailedError:
    original = getattr(exc, "orig", None)
    reason = (str(original if original is not None else exc).splitlines() or [type(exc).__name__])[0][:300]
    return DatabaseFailedError(f"the database failed while {action}, nothing was changed: {reason}")


def _place_order(problem: FileProblem) -> tuple[int, str]:
    word, _, number = problem.where.partition(" ")
    return (int(number) if number.isdigit() else 0, word)


async def _store(
    ctx: AppContext, parsed: ParsedFile, source: str, *, with_invoices: bool, progress: Progress | None
) -> ImportResult:
    try:
        async with ctx.sessions() as session:
            report = await store_invoices(session, parsed.invoices, progress=progress)
            await session.commit()
            invoices = await _summaries(session, report.created) if with_invoices else None
    except SQLAlchemyError as exc:
        raise _failed(f"importing {source}", exc) from None
    problems = sorted(parsed.problems + report.problems, key=_place_order)
    return ImportResult(
        source=source,
        invoice_ids=report.created,
        imported_rows=report.rows,
        problems=[RowProblem(where=p.where, message=p.message, reason=p.reason) for p in problems],
        reasons=dict(Counter(p.reason for p in problems).most_common()),
        invoices=invoices,
    )


def read_file(path: Path) -> ParsedFile:
    """A CSV or JSON invoice file, validated row by row; `ConfigurationError` if it cannot be read
    as a whole (missing, not UTF-8, a bad header ...)."""
    try:
        return read_invoice_file(path)
    except InvoiceFileError as exc:
        raise ConfigurationError(str(exc)) from None


async def import_file(
    ctx: AppContext,
    parsed: ParsedFile,
    source: str,
    *,
    with_invoices: bool = False,
    progress: Progress | None = None,
) -> ImportResult:
    """Store the valid invoices of a file read by `read_file` (`source` names it in messages);
    `progress` is called with the number of invoices handled since its last call."""
    return await _store(ctx, parsed, source, with_invoices=with_invoices, progress=progress)


async def import_invoices(
    ctx: AppContext, invoices: Sequence[InvoiceInput], *, with_invoices: bool = False
) -> ImportResult:
    """Store a list of invoices (an API's body); each is checked as one from a JSON file would be,
    and a refused one is named by its position from 1 (`invoice 2`)."""
    parsed = ParsedFile(
        invoices=[SourcedInvoice(item, (f"invoice {n}",)) for n, item in enumerate(invoices, 1)]
    )
    return await _store(ctx, parsed, "the request", with_invoices=with_invoices, progress=None)


async def resolve_invoice_ids(
    session: AsyncSession, references: Sequence[str], vendor: str | None
) -> list[uuid.UUID]:
    """Each number or id to exactly one invoice, or `InvoiceReferenceError` naming every one that
    does not (a shared number lists its candidates)."""
    resolution = await resolve_references(session, references, vendor=vendor)
    if resolution.errors:
        raise InvoiceReferenceError(resolution.errors)
    return [found.id for found in resolution.invoices]


async def approve(
    ctx: AppContext,
    request: ApprovalRequest,
    *,
    with_invoices: bool = False,
    now: dt.datetime | None = None,
) -> ApprovalResult:
    """Approve the named pending invoices (every pending one without references). Nothing is approved
    when a reference names no invoice or several (`InvoiceReferenceError`)."""
    if request.references is None and request.vendor is not None:
        raise ConfigurationError("a vendor narrows invoice numbers; name the numbers to approve")
    try:
        async with ctx.sessions() as session:
            chosen = None
            if request.references is not None:
                resolution = await resolve_references(session, request.references, vendor=request.vendor)
                if resolution.errors:
                    raise InvoiceReferenceError(resolution.errors)
                chosen = resolution.invoices
            report = await approve_pending(
                session, invoices=chosen, approved_by=request.approved_by, now=now or dt.datetime.now(dt.UTC)
            )
            await session.commit()
            invoices = await _summaries(session, report.approved) if with_invoices else None
    except SQLAlchemyError as exc:
        raise _failed("approving", exc) from None
    not_pending = [
        Candidate(id=c.id, invoice_number=c.invoice_number, vendor=c.vendor, status=c.status)
        for c in report.not_pending
    ]
    return ApprovalResult(approved=report.approved, not_pending=not_pending, invoices=invoices)


async def list_invoices(ctx: AppContext, query: InvoiceFilter) -> InvoicePage:
    """Invoices matching the filter, newest first, at most `limit`, with how many match in all;
    `NotFoundError` if the vendor names no SmartAP vendor."""
    async with ctx.sessions() as session:
        conditions = [] if query.status is None else [Invoice.status == query.status]
        if query.vendor is not None:
            ids = [v.id for v in (await vendors_by_key(session, [query.vendor]))[query.vendor]]
            if not ids:
                raise NotFoundError(f"no SmartAP vendor is named or has the tax id {query.vendor!r}")
            conditions.append(Invoice.vendor_id.in_(ids))
        total = await session.scalar(select(func.count()).select_from(Invoice).where(*conditions))
        statement = (
            select(Invoice)
            .options(selectinload(Invoice.vendor))
            .where(*conditions)
            .order_by(Invoice.invoice_date.desc(), Invoice.invoice_number, Invoice.id)
        )
        if query.limit is not None:
            statement = statement.limit(query.limit)
        found = [summary(i) for i in (await session.scalars(statement)).all()]
    return InvoicePage(invoices=found, total=int(total or 0))


_EXPORT_STATES = {
    ExportState.PENDING: SyncState.QUEUED,
    ExportState.SENT: SyncState.QUEUED,
    ExportState.CONFIRMED: SyncState.SYNCED,
    ExportState.FAILED: SyncState.FAILED,
}
_PRECEDENCE = (SyncState.SYNCED, SyncState.QUEUED, SyncState.FAILED)


def _paid(link: ERPInvoiceLink, invoice: Invoice) -> Money:
    # The payment sync stores minor units in the bill's currency; before the first one it is unset.
    currency = link.payment_currency or invoice.currency
    return Money(amount=from_minor_units(link.payment_amount or 0, currency), currency=currency)


async def invoice_status(ctx: AppContext, reference: str, *, vendor: str | None = None) -> InvoiceSyncStatus:
    """Where one invoice (by number or id) stands with every ERP it went to."""
    async with ctx.sessions() as session:
        [invoice_id] = await resolve_invoice_ids(session, [reference], vendor)
        invoice = await session.get(Invoice, invoice_id, options=[selectinload(Invoice.vendor)])
        if invoice is None:  # deleted between the two reads
            raise NotFoundError(f"{reference}: no invoice has this number or id any more")
        outbox = (
            await session.scalars(
                select(ERPExportOutbox).where(ERPExportOutbox.smartap_invoice_id == invoice_id)
            )
        ).all()
        links = (
            await session.scalars(
                select(ERPInvoiceLink).where(ERPInvoiceLink.smartap_invoice_id == invoice_id)
            )
        ).all()
        ids = {row.connection_id for row in outbox} | {link.connection_id for link in links}
        query = select(ERPConnection.id, ERPConnection.name).where(ERPConnection.id.in_(ids))
        names = {cid: name for cid, name in (await session.execute(query)).all()}
    state, exports = exports_of(invoice, outbox, links, names)
    return InvoiceSyncStatus(invoice=summary(invoice), state=state, exports=exports)


def exports_of(
    invoice: Invoice,
    outbox: Sequence[ERPExportOutbox],
    links: Sequence[ERPInvoiceLink],
    names: dict[uuid.UUID, str],
) -> tuple[SyncState, list[ConnectionExport]]:
    """An invoice's state over the given outbox rows and links (its own), and one export per
    connection among them, by connection name."""
    exports: dict[uuid.UUID, ConnectionExport] = {}
    for row in outbox:
        exports[row.connection_id] = ConnectionExport(
            connection_id=row.connection_id,
            connection=names.get(row.connection_id, str(row.connection_id)),
            state=_EXPORT_STATES[row.state],
            bill_id=row.erp_invoice_id,
            error=row.last_error if row.state is not ExportState.CONFIRMED else None,
        )
    for link in links:  # a stored link is the proof the ERP holds the bill, whatever the outbox says
        exports[link.connection_id] = ConnectionExport(
            connection_id=link.connection_id,
            connection=names.get(link.connection_id, str(link.connection_id)),
            state=SyncState.SYNCED,
            bill_id=link.erp_invoice_id,
            bill_number=link.erp_invoice_number,
            exported_at=link.exported_at,
            payment_status=link.payment_status,
            paid=_paid(link, invoice),
            payment_synced_at=link.payment_synced_at,
        )
    states = {e.state for e in exports.values()}
    state = next((s for s in _PRECEDENCE if s in states), SyncState.NOT_SYNCED)
    if invoice.status is InvoiceStatus.NEEDS_REVIEW:
        state = SyncState.NEEDS_REVIEW
    return state, sorted(exports.values(), key=lambda e: (e.connection, str(e.connection_id)))
