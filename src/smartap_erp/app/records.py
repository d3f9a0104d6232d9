"""Vendors and purchase orders imported from the ERPs, and SmartAP's invoices, as the application serves
them in pages: a stable order (vendors by name, purchase orders by number, invoices newest first, then
id) with an opaque cursor; vendors and purchase orders filtered by the connection they came from (a
record linked to it), each with its ERP ids on every connection that holds it; one vendor or purchase
order (with its lines) by id. Money is an exact amount with its currency; times are UTC.

Nothing here reaches an ERP: these are the rows the imports stored (`sync` of vendors and purchase
orders), the invoices SmartAP sent, and the links that tie each to its ERP record.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import uuid
from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from pydantic import Field
from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from smartap_erp.app.context import AppContext, resolve_connection
from smartap_erp.app.invoices import InvoiceSummary, Money, summary
from smartap_erp.app.logs import InvalidCursorError
from smartap_erp.app.models import AppModel, parse_id
from smartap_erp.db.models import (
    ERPConnection,
    ERPPurchaseOrderLink,
    ERPVendorLink,
    Invoice,
    PurchaseOrder,
    Vendor,
)
from smartap_erp.domain.enums import InvoiceStatus, PurchaseOrderStatus
from smartap_erp.domain.money import from_minor_units
from smartap_erp.domain.types import UTCDateTime
from smartap_erp.errors import NotFoundError
from smartap_erp.invoices.store import vendors_by_key

MAX_PAGE = 200


class ERPLink(AppModel):
    """Where a record lives in one ERP: the connection and the ERP's own id (and number or name)."""

    connection_id: uuid.UUID
    connection: str
    erp_id: str
    erp_name: str | None = None  # a vendor's name, a purchase order's number, as the ERP has it
    last_synced_at: UTCDateTime
    erp_updated_at: UTCDateTime | None = None


class VendorView(AppModel):
    id: uuid.UUID
    name: str
    tax_id: str | None
    email: str | None
    phone: str | None
    currency: str | None
    payment_terms: str | None
    is_active: bool
    updated_at: UTCDateTime
    erp: list[ERPLink]  # by connection name


class OrderLine(AppModel):
    line_number: int
    erp_line_id: str | None
    description: str | None
    quantity: Decimal
    unit_price: Decimal | None
    amount: Money
    account_code: str | None
    item_code: str | None
    tax_code: str | None


class PurchaseOrderView(AppModel):
    id: uuid.UUID
    po_number: str
    vendor_id: uuid.UUID
    vendor: str
    status: PurchaseOrderStatus
    order_date: dt.date | None
    total: Money
    updated_at: UTCDateTime
    erp: list[ERPLink]
    lines: list[OrderLine] | None = None  # on the one-order read, not in lists


_VENDOR_COLUMNS = [name for name in VendorView.model_fields if name != "erp"]  # as the table names them
_LINE_COLUMNS = [name for name in OrderLine.model_fields if name != "amount"]


class RecordFilter(AppModel):
    connection: str | None = None  # name or id: only records linked to it
    limit: int = Field(default=50, ge=1, le=MAX_PAGE)
    cursor: str | None = None  # `next_cursor` of the previous page


class VendorFilter(RecordFilter):
    active: bool | None = None


class OrderFilter(RecordFilter):
    vendor_id: uuid.UUID | None = None
    status: PurchaseOrderStatus | None = None


class InvoicePageFilter(AppModel):
    status: InvoiceStatus | None = None
    vendor: str | None = None  # name (any case) or tax id
    limit: int = Field(default=50, ge=1, le=MAX_PAGE)
    cursor: str | None = None


class InvoicePage(AppModel):
    items: list[InvoiceSummary]  # newest invoice date first, then by number and id
    next_cursor: str | None


class VendorPage(AppModel):
    items: list[VendorView]
    next_cursor: str | None  # None on the last page


class PurchaseOrderPage(AppModel):
    items: list[PurchaseOrderView]
    next_cursor: str | None


def encode_cursor(key: str, row_id: uuid.UUID) -> str:
    raw = json.dumps([key, str(row_id)], ensure_ascii=False, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, what: str) -> tuple[str, uuid.UUID]:
    """What `encode_cursor` wrote; anything else is `InvalidCursorError` naming the list."""
    try:
        key, row_id = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode())
        found = (str(key), uuid.UUID(str(row_id)))
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        found = None
    if found is None or not isinstance(key, str) or encode_cursor(*found) != cursor:
        raise InvalidCursorError(
            f"cursor {cursor[:40]!r} is not one a page of {what} gave out; start again without it"
        )
    return found


# (owner id, connection id, ERP id, ERP name or number, last synced, ERP's updated at) of each link table
_VENDOR_LINK = (
    ERPVendorLink.smartap_vendor_id,
    ERPVendorLink.connection_id,
    ERPVendorLink.erp_vendor_id,
    ERPVendorLink.erp_vendor_name,
    ERPVendorLink.last_synced_at,
    ERPVendorLink.erp_updated_at,
)
_ORDER_LINK = (
    ERPPurchaseOrderLink.smartap_po_id,
    ERPPurchaseOrderLink.connection_id,
    ERPPurchaseOrderLink.erp_po_id,
    ERPPurchaseOrderLink.erp_po_number,
    ERPPurchaseOrderLink.last_synced_at,
    ERPPurchaseOrderLink.erp_updated_at,
)


async def _links(
    session: AsyncSession, columns: tuple[Any, ...], ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[ERPLink]]:
    """The ERP links of the records `ids`, by connection name, from one link table's `columns`."""
    owner, connection_id = columns[0], columns[1]
    query = (
        select(*columns, ERPConnection.name)
        .join(ERPConnection, ERPConnection.id == connection_id)
        .where(owner.in_(ids))
        .order_by(ERPConnection.name, connection_id)
    )
    found: dict[uuid.UUID, list[ERPLink]] = defaultdict(list)
    for row in (await session.execute(query)).all():
        record_id, cid, erp_id, erp_name, synced_at, updated_at, name = tuple(row)
        found[record_id].append(
            ERPLink(
                connection_id=cid,
                connection=name,
                erp_id=erp_id,
                erp_name=erp_name,
                last_synced_at=synced_at,
                erp_updated_at=updated_at,
            )
        )
    return found


def _vendor(vendor: Vendor, links: list[ERPLink]) -> VendorView:
    return VendorView(**{name: getattr(vendor, name) for name in _VENDOR_COLUMNS}, erp=links)


def _money(minor: int, currency: str) -> Money:
    return Money(amount=from_minor_units(minor, currency), currency=currency)


def _order(po: PurchaseOrder, links: list[ERPLink], *, with_lines: bool) -> PurchaseOrderView:
    lines = None
    if with_lines:
        lines = [
            OrderLine(
                **{name: getattr(line, name) for name in _LINE_COLUMNS},
                amount=_money(line.amount_minor, po.currency),
            )
            for line in sorted(po.lines, key=lambda x: x.line_number)
        ]
    return PurchaseOrderView(
        id=po.id,
        po_number=po.po_number,
        vendor_id=po.vendor_id,
        vendor=po.vendor.name,
        status=po.status,
        order_date=po.order_date,
        total=_money(po.total_minor, po.currency),
        updated_at=po.updated_at,
        erp=links,
        lines=lines,
    )


async def _connection_id(session: AsyncSession, connection: str | None) -> uuid.UUID | None:
    return None if connection is None else (await resolve_connection(session, connection)).id


async def list_vendors(ctx: AppContext, query: VendorFilter) -> VendorPage:
    """Vendors by name (then id), a page at a time; with a connection, those linked to it."""
    async with ctx.sessions() as session:
        statement = select(Vendor).order_by(Vendor.name, Vendor.id).limit(query.limit + 1)
        cid = await _connection_id(session, query.connection)
        if cid is not None:
            linked = select(ERPVendorLink.smartap_vendor_id).where(ERPVendorLink.connection_id == cid)
            statement = statement.where(Vendor.id.in_(linked))
        if query.active is not None:
            statement = statement.where(Vendor.is_active.is_(query.active))
        if query.cursor is not None:
            name, after = decode_cursor(query.cursor, "vendors")
            statement = statement.where(or_(Vendor.name > name, and_(Vendor.name == name, Vendor.id > after)))
        found = list((await session.scalars(statement)).all())
        page = found[: query.limit]
        links = await _links(session, _VENDOR_LINK, [v.id for v in page])
    more = len(found) > query.limit
    return VendorPage(
        items=[_vendor(v, links.get(v.id, [])) for v in page],
        next_cursor=encode_cursor(page[-1].name, page[-1].id) if more else None,
    )


async def get_vendor(ctx: AppContext, vendor_id: str) -> VendorView:
    async with ctx.sessions() as session:
        vendor = await session.get(Vendor, parse_id(vendor_id, "vendor"))
        if vendor is None:
            raise NotFoundError(f"no vendor with id {vendor_id}")
        links = await _links(session, _VENDOR_LINK, [vendor.id])
    return _vendor(vendor, links.get(vendor.id, []))


async def list_purchase_orders(ctx: AppContext, query: OrderFilter) -> PurchaseOrderPage:
    """Purchase orders by number (then id), a page at a time; with a connection, those linked to it."""
    async with ctx.sessions() as session:
        statement = (
            select(PurchaseOrder)
            .options(selectinload(PurchaseOrder.vendor))
            .order_by(PurchaseOrder.po_number, PurchaseOrder.id)
            .limit(query.limit + 1)
        )
        cid = await _connection_id(session, query.connection)
        if cid is not None:
            linked = select(ERPPurchaseOrderLink.smartap_po_id).where(
                ERPPurchaseOrderLink.connection_id == cid
            )
            statement = statement.where(PurchaseOrder.id.in_(linked))
        if query.vendor_id is not None:
            statement = statement.where(PurchaseOrder.vendor_id == query.vendor_id)
        if query.status is not None:
            statement = statement.where(PurchaseOrder.status == query.status)
        if query.cursor is not None:
            number, after = decode_cursor(query.cursor, "purchase orders")
            statement = statement.where(
                or_(
                    PurchaseOrder.po_number > number,
                    and_(PurchaseOrder.po_number == number, PurchaseOrder.id > after),
                )
            )
        found = list((await session.scalars(statement)).all())
        page = found[: query.limit]
        links = await _links(session, _ORDER_LINK, [p.id for p in page])
    more = len(found) > query.limit
    return PurchaseOrderPage(
        items=[_order(p, links.get(p.id, []), with_lines=False) for p in page],
        next_cursor=encode_cursor(page[-1].po_number, page[-1].id) if more else None,
    )


async def get_purchase_order(ctx: AppContext, po_id: str) -> PurchaseOrderView:
    """One purchase order with its lines."""
    async with ctx.sessions() as session:
        options = [selectinload(PurchaseOrder.vendor), selectinload(PurchaseOrder.lines)]
        po = await session.get(PurchaseOrder, parse_id(po_id, "purchase order"), options=options)
        if po is None:
            raise NotFoundError(f"no purchase order with id {po_id}")
        links = await _links(session, _ORDER_LINK, [po.id])
    return _order(po, links.get(po.id, []), with_lines=True)


async def list_invoices(ctx: AppContext, query: InvoicePageFilter) -> InvoicePage:
    """Invoices newest first (invoice date, then number and id), a page at a time; `NotFoundError` if
    the vendor names no SmartAP vendor."""
    async with ctx.sessions() as session:
        statement = (
            select(Invoice)
            .options(selectinload(Invoice.vendor))
            .order_by(Invoice.invoice_date.desc(), Invoice.invoice_number, Invoice.id)
            .limit(query.limit + 1)
        )
        if query.status is not None:
            statement = statement.where(Invoice.status == query.status)
        if query.vendor is not None:
            ids = [v.id for v in (await vendors_by_key(session, [query.vendor]))[query.vendor]]
            if not ids:
                raise NotFoundError(f"no SmartAP vendor is named or has the tax id {query.vendor!r}")
            statement = statement.where(Invoice.vendor_id.in_(ids))
        if query.cursor is not None:
            day, number, after = _invoice_cursor(query.cursor)
            later = or_(
                Invoice.invoice_number > number, and_(Invoice.invoice_number == number, Invoice.id > after)
            )
            statement = statement.where(
                or_(Invoice.invoice_date < day, and_(Invoice.invoice_date == day, later))
            )
        found = list((await session.scalars(statement)).all())
    page = found[: query.limit]
    last = page[-1] if len(found) > query.limit else None
    cursor = (
        None
        if last is None
        else encode_cursor(f"{last.invoice_date.isoformat()}|{last.invoice_number}", last.id)
    )
    return InvoicePage(items=[summary(i) for i in page], next_cursor=cursor)


def _invoice_cursor(cursor: str) -> tuple[dt.date, str, uuid.UUID]:
    key, after = decode_cursor(cursor, "invoices")
    day, _, number = key.partition("|")  # an ISO date has no "|"; a number may
    try:
        return dt.date.fromisoformat(day), number, after
    except ValueError:
        raise InvalidCursorError(
            f"cursor {cursor[:40]!r} is not one a page of invoices gave out; start again without it"
        ) from None
