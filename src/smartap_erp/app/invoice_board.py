"""Invoices with where each stands in the ERPs, a page at a time (the web UI's invoices screen): each
invoice with its state (not synced, queued, synced, failed, needs review, as `invoices.invoice_status`
judges it) and, per connection, the ERP's bill id and what the ERP says is paid. Filtered by state
and by connection: with a connection, states are judged on that connection alone and only the
invoices it has seen (an export tried or done there) are listed, except that the `not_synced` filter
lists those it has not seen. The filter runs in SQL (one query for the page, two for its exports);
pages are by offset, newest invoice date first, then number and id.
"""

from __future__ import annotations

import uuid
from collections import defaultdict

from pydantic import Field
from sqlalchemy import ColumnElement, and_, exists, not_, or_, select
from sqlalchemy.orm import selectinload

from smartap_erp.app.context import AppContext, resolve_connection
from smartap_erp.app.invoices import ConnectionExport, InvoiceSummary, SyncState, exports_of, summary
from smartap_erp.app.models import AppModel
from smartap_erp.db.models import ERPConnection, ERPExportOutbox, ERPInvoiceLink, Invoice
from smartap_erp.db.models.erp import ExportState
from smartap_erp.domain.enums import InvoiceStatus

MAX_BOARD_PAGE = 200


class BoardFilter(AppModel):
    connection: str | None = None  # name or id
    state: SyncState | None = None
    offset: int = Field(default=0, ge=0)
    limit: int = Field(default=50, ge=1, le=MAX_BOARD_PAGE)


class BoardRow(AppModel):
    invoice: InvoiceSummary
    state: SyncState
    exports: list[ConnectionExport]  # by connection name (only the filtered connection's, if one)


class BoardPage(AppModel):
    rows: list[BoardRow]
    offset: int
    has_more: bool


def _outbox(states: tuple[ExportState, ...], connection: uuid.UUID | None) -> ColumnElement[bool]:
    where = [ERPExportOutbox.smartap_invoice_id == Invoice.id, ERPExportOutbox.state.in_(states)]
    if connection is not None:
        where.append(ERPExportOutbox.connection_id == connection)
    return exists(select(ERPExportOutbox.id).where(*where))


def _linked(connection: uuid.UUID | None) -> ColumnElement[bool]:
    where = [ERPInvoiceLink.smartap_invoice_id == Invoice.id]
    if connection is not None:
        where.append(ERPInvoiceLink.connection_id == connection)
    return exists(select(ERPInvoiceLink.id).where(*where))


def _conditions(state: SyncState | None, connection: uuid.UUID | None) -> list[ColumnElement[bool]]:
    """SQL for `invoices.exports_of`'s judgement: synced on any connection wins, then queued, then failed;
    an invoice needing review is that whatever its exports."""
    synced = or_(_linked(connection), _outbox((ExportState.CONFIRMED,), connection))
    queued = _outbox((ExportState.PENDING, ExportState.SENT), connection)
    failed = _outbox((ExportState.FAILED,), connection)
    seen = or_(synced, queued, failed)
    review = Invoice.status == InvoiceStatus.NEEDS_REVIEW
    judged = {
        SyncState.NEEDS_REVIEW: review,
        SyncState.SYNCED: and_(not_(review), synced),
        SyncState.QUEUED: and_(not_(review), not_(synced), queued),
        SyncState.FAILED: and_(not_(review), not_(synced), not_(queued), failed),
        SyncState.NOT_SYNCED: and_(not_(review), not_(seen)),
    }
    found: list[ColumnElement[bool]] = []
    if state is not None:
        found.append(judged[state])
    if connection is not None and state is not SyncState.NOT_SYNCED:
        found.append(seen)
    return found


async def invoice_board(ctx: AppContext, query: BoardFilter) -> BoardPage:
    """One page of invoices with their ERP state and exports; `NotFoundError` for an unknown
    connection."""
    async with ctx.sessions() as session:
        connection = None
        if query.connection is not None:
            connection = (await resolve_connection(session, query.connection)).id
        statement = (
            select(Invoice)
            .options(selectinload(Invoice.vendor))
            .where(*_conditions(query.state, connection))
            .order_by(Invoice.invoice_date.desc(), Invoice.invoice_number, Invoice.id)
            .offset(query.offset)
            .limit(query.limit + 1)
        )
        found = list((await session.scalars(statement)).all())
        page = found[: query.limit]
        ids = [invoice.id for invoice in page]
        outbox_query = select(ERPExportOutbox).where(ERPExportOutbox.smartap_invoice_id.in_(ids))
        link_query = select(ERPInvoiceLink).where(ERPInvoiceLink.smartap_invoice_id.in_(ids))
        if connection is not None:
            outbox_query = outbox_query.where(ERPExportOutbox.connection_id == connection)
            link_query = link_query.where(ERPInvoiceLink.connection_id == connection)
        outbox: dict[uuid.UUID, list[ERPExportOutbox]] = defaultdict(list)
        for row in (await session.scalars(outbox_query)).all():
            outbox[row.smartap_invoice_id].append(row)
        links: dict[uuid.UUID, list[ERPInvoiceLink]] = defaultdict(list)
        for link in (await session.scalars(link_query)).all():
            links[link.smartap_invoice_id].append(link)
        names = {
            cid: name for cid, name in await session.execute(select(ERPConnection.id, ERPConnection.name))
        }
    rows = []
    for invoice in page:
        state, exports = exports_of(invoice, outbox[invoice.id], links[invoice.id], names)
        rows.append(BoardRow(invoice=summary(invoice), state=state, exports=exports))
    return BoardPage(rows=rows, offset=query.offset, has_more=len(found) > query.limit)
