"""Storing imported invoices in SmartAP.

An invoice's `vendor` is a SmartAP vendor's name (case-insensitive) or tax id; `po_number` must name
a purchase order of that vendor. An invoice number a vendor already has is refused (SmartAP's
duplicate-invoice guard), and so is every copy of an invoice that appears twice in one file. New
invoices wait for approval. Look-ups are made a chunk of keys at a time and invoices are flushed in
batches, so a 20,000-row file costs a few dozen queries, not tens of thousands.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import func, insert, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from smartap_erp.db.models import Invoice, InvoiceLine, PurchaseOrder, Vendor
from smartap_erp.domain.enums import InvoiceStatus
from smartap_erp.domain.money import to_minor_units
from smartap_erp.invoices.problems import FileProblem, SourcedInvoice
from smartap_erp.invoices.schema import InvoiceInput

CHUNK = 500
Progress = Callable[[int], None]


@dataclass
class StoreReport:
    created: list[uuid.UUID] = field(default_factory=list)
    rows: int = 0  # CSV rows (or JSON invoices) imported
    problems: list[FileProblem] = field(default_factory=list)

    def refuse(self, item: SourcedInvoice, message: str, reason: str) -> None:
        self.problems.extend(FileProblem(place, message, reason) for place in item.places)


def chunks(values: Iterable[Any], size: int = CHUNK) -> Iterable[list[Any]]:
    batch: list[Any] = []
    for value in values:
        batch.append(value)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


async def vendors_by_key(session: AsyncSession, keys: Iterable[str]) -> dict[str, list[Vendor]]:
    """Every SmartAP vendor each key names, by name (any case) or tax id."""
    found: dict[str, list[Vendor]] = {}
    for batch in chunks(sorted(set(keys))):
        lowered = {key.lower() for key in batch}
        query = select(Vendor).where(or_(func.lower(Vendor.name).in_(lowered), Vendor.tax_id.in_(batch)))
        vendors = list((await session.scalars(query)).all())
        for key in batch:
            found[key] = [v for v in vendors if v.name.lower() == key.lower() or v.tax_id == key]
    return found


async def _existing(session: AsyncSession, numbers: Iterable[str]) -> set[tuple[uuid.UUID, str]]:
    pairs: set[tuple[uuid.UUID, str]] = set()
    for batch in chunks(sorted(set(numbers))):
        query = select(Invoice.vendor_id, Invoice.invoice_number).where(Invoice.invoice_number.in_(batch))
        pairs.update((vendor_id, number) for vendor_id, number in (await session.execute(query)).all())
    return pairs


async def _purchase_orders(
    session: AsyncSession, numbers: Iterable[str]
) -> dict[tuple[uuid.UUID, str], uuid.UUID]:
    found: dict[tuple[uuid.UUID, str], uuid.UUID] = {}
    for batch in chunks(sorted(set(numbers))):
        query = select(PurchaseOrder.id, PurchaseOrder.vendor_id, PurchaseOrder.po_number).where(
            PurchaseOrder.po_number.in_(batch)
        )
        for po_id, vendor_id, number in (await session.execute(query)).all():
            found[(vendor_id, number)] = po_id
    return found


def _rows(item: InvoiceInput, vendor_id: uuid.UUID, po_id: uuid.UUID | None) -> list[dict[str, Any]]:
    """The invoice's row then its lines' rows, for bulk INSERTs (the ORM unit of work is 10x slower)."""
    currency, invoice_id = item.currency, uuid.uuid4()
    subtotal = sum((line.amount for line in item.lines), Decimal(0))
    invoice = {
        "id": invoice_id,
        "vendor_id": vendor_id,
        "purchase_order_id": po_id,
        "invoice_number": item.invoice_number,
        "invoice_date": item.invoice_date,
        "due_date": item.due_date,
        "currency": currency,
        "subtotal_minor": to_minor_units(subtotal, currency),
        "tax_minor": to_minor_units(item.tax_amount, currency),
        "total_minor": to_minor_units(item.total, currency),
        "status": InvoiceStatus.PENDING_APPROVAL,
        "memo": item.memo,
    }
    lines = [
        {
            "id": uuid.uuid4(),
            "invoice_id": invoice_id,
            "line_number": number,
            "description": line.description,
            "quantity": line.quantity,
            "unit_price": line.unit_price,
            "amount_minor": to_minor_units(line.amount, currency),
            "account_code": line.account_code,
            "item_code": line.item_code,
            "tax_code": line.tax_code,
        }
        for number, line in enumerate(item.lines, start=1)
    ]
    return [invoice, *lines]


def _with_vendor(
    items: Sequence[SourcedInvoice], vendors: dict[str, list[Vendor]], report: StoreReport
) -> list[tuple[SourcedInvoice, Vendor]]:
    """Invoices whose vendor key names exactly one vendor, each invoice at most once in the file."""
    by_key: dict[tuple[uuid.UUID, str], list[tuple[SourcedInvoice, Vendor]]] = defaultdict(list)
    for item in items:
        matches = vendors.get(item.invoice.vendor, [])
        if len(matches) != 1:
            what = "no SmartAP vendor" if not matches else f"{len(matches)} SmartAP vendors"
            report.refuse(
                item,
                f"vendor {item.invoice.vendor!r} names {what} (by name or tax id); "
                + ("import vendors first" if not matches else "use the vendor's tax id"),
                "vendor",
            )
            continue
        by_key[(matches[0].id, item.invoice.invoice_number)].append((item, matches[0]))
    kept = []
    for copies in by_key.values():
        if len(copies) == 1:
            kept.append(copies[0])
            continue
        places = ", ".join(copy.places[0] for copy, _ in copies)
        for copy, vendor in copies:
            report.refuse(
                copy,
                f"invoice {copy.invoice.invoice_number} of {vendor.name} appears {len(copies)} times "
                f"in the file (starting at {places}); none of them was imported",
                "duplicate in the file",
            )
    return kept


async def store_invoices(
    session: AsyncSession, items: Sequence[SourcedInvoice], *, progress: Progress | None = None
) -> StoreReport:
    """Add every acceptable invoice (the caller commits); the others are reported, none half-written."""
    report = StoreReport()
    vendors = await vendors_by_key(session, (item.invoice.vendor for item in items))
    candidates = _with_vendor(items, vendors, report)
    existing = await _existing(session, (item.invoice.invoice_number for item, _ in candidates))
    pos = await _purchase_orders(session, (i.invoice.po_number for i, _ in candidates if i.invoice.po_number))
    skipped = len(items) - len(candidates)
    batch: list[list[dict[str, Any]]] = []
    for item, vendor in candidates:
        invoice = item.invoice
        po_id = pos.get((vendor.id, invoice.po_number)) if invoice.po_number else None
        if (vendor.id, invoice.invoice_number) in existing:
            report.refuse(
                item, f"{vendor.name} already has invoice {invoice.invoice_number}", "already imported"
            )
            skipped += 1
        elif invoice.po_number and po_id is None:
            report.refuse(
                item, f"purchase order {invoice.po_number!r} of {vendor.name} is unknown", "po_number"
            )
            skipped += 1
        else:
            batch.append(_rows(invoice, vendor.id, po_id))
            report.rows += len(item.places)
        if len(batch) >= CHUNK:
            await _flush(session, batch, report, progress, skipped)
            batch, skipped = [], 0
    await _flush(session, batch, report, progress, skipped)
    return report


async def _flush(
    session: AsyncSession,
    batch: list[list[dict[str, Any]]],
    report: StoreReport,
    progress: Progress | None,
    skipped: int,
) -> None:
    if batch:
        await session.execute(insert(Invoice), [rows[0] for rows in batch])
        await session.execute(insert(InvoiceLine), [line for rows in batch for line in rows[1:]])
    report.created.extend(rows[0]["id"] for rows in batch)
    if progress is not None:
        progress(len(batch) + skipped)
