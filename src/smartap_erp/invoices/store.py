"""Storing imported invoices in SmartAP and approving them.

An invoice's `vendor` is a SmartAP vendor's name (case-insensitive) or tax id; `po_number` must name
a purchase order of that vendor. An invoice number a vendor already has is refused (SmartAP's
duplicate-invoice guard). New invoices wait for approval; only approved invoices are exported.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from smartap_erp.db.models import Invoice, InvoiceLine, PurchaseOrder, Vendor
from smartap_erp.domain.enums import InvoiceStatus
from smartap_erp.domain.money import MoneyError, to_minor_units
from smartap_erp.invoices.files import FileProblem, InvoiceInput


@dataclass
class StoreReport:
    created: list[uuid.UUID] = field(default_factory=list)
    problems: list[FileProblem] = field(default_factory=list)


async def _vendor(session: AsyncSession, key: str) -> Vendor | None:
    rows = (
        await session.scalars(
            select(Vendor).where(or_(func.lower(Vendor.name) == key.lower(), Vendor.tax_id == key)).limit(2)
        )
    ).all()
    return rows[0] if len(rows) == 1 else None


async def _purchase_order(session: AsyncSession, vendor_id: uuid.UUID, number: str) -> PurchaseOrder | None:
    query = select(PurchaseOrder).where(
        PurchaseOrder.vendor_id == vendor_id, PurchaseOrder.po_number == number
    )
    return (await session.scalars(query)).first()


async def _exists(session: AsyncSession, vendor_id: uuid.UUID, number: str) -> bool:
    query = select(Invoice.id).where(Invoice.vendor_id == vendor_id, Invoice.invoice_number == number)
    return (await session.scalar(query)) is not None


def _build(item: InvoiceInput, vendor: Vendor, po: PurchaseOrder | None) -> Invoice:
    subtotal = sum((line.amount for line in item.lines), Decimal(0))
    invoice = Invoice(
        id=uuid.uuid4(),
        vendor_id=vendor.id,
        purchase_order_id=po.id if po else None,
        invoice_number=item.invoice_number,
        invoice_date=item.invoice_date,
        due_date=item.due_date,
        currency=item.currency,
        subtotal_minor=to_minor_units(subtotal, item.currency),
        tax_minor=to_minor_units(item.tax_amount, item.currency),
        total_minor=to_minor_units(item.total, item.currency),
        status=InvoiceStatus.PENDING_APPROVAL,
        memo=item.memo,
    )
    invoice.lines = [
        InvoiceLine(
            line_number=number,
            description=line.description,
            quantity=line.quantity,
            unit_price=line.unit_price,
            amount_minor=to_minor_units(line.amount, item.currency),
            account_code=line.account_code,
            item_code=line.item_code,
            tax_code=line.tax_code,
        )
        for number, line in enumerate(item.lines, start=1)
    ]
    return invoice


async def store_invoices(session: AsyncSession, items: Sequence[InvoiceInput]) -> StoreReport:
    """Add every acceptable invoice (the caller commits); the others are reported, none half-written."""
    report = StoreReport()
    for position, item in enumerate(items, start=1):
        where = f"invoice {item.invoice_number!r} ({position})"
        vendor = await _vendor(session, item.vendor)
        if vendor is None:
            report.problems.append(
                FileProblem(
                    where,
                    f"vendor {item.vendor!r} is not a single SmartAP vendor "
                    "(by name or tax id); import vendors first",
                )
            )
            continue
        if await _exists(session, vendor.id, item.invoice_number):
            report.problems.append(
                FileProblem(where, f"{vendor.name} already has invoice {item.invoice_number}")
            )
            continue
        po = await _purchase_order(session, vendor.id, item.po_number) if item.po_number else None
        if item.po_number and po is None:
            report.problems.append(
                FileProblem(where, f"purchase order {item.po_number!r} of {vendor.name} is unknown")
            )
            continue
        try:
            invoice = _build(item, vendor, po)
        except MoneyError as exc:
            report.problems.append(FileProblem(where, str(exc)))
            continue
        session.add(invoice)
        await session.flush()
        report.created.append(invoice.id)
    return report


async def approve_invoices(
    session: AsyncSession, *, invoice_ids: Sequence[uuid.UUID] | None, approved_by: str, now: dt.datetime
) -> list[Invoice]:
    """Approve the given pending invoices (all pending ones if None); the caller commits."""
    query = select(Invoice).where(Invoice.status.in_([InvoiceStatus.PENDING_APPROVAL, InvoiceStatus.DRAFT]))
    if invoice_ids is not None:
        query = query.where(Invoice.id.in_(invoice_ids))
    invoices = list((await session.scalars(query)).all())
    for invoice in invoices:
        invoice.status, invoice.approved_at, invoice.approved_by = InvoiceStatus.APPROVED, now, approved_by
    await session.flush()
    return invoices
