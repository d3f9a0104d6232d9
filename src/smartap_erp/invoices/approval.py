"""Approving SmartAP invoices, named by number or id, so that they can be exported.

Invoice numbers are the suppliers' own, so two vendors can share one: a number that names several
invoices is refused with the candidates listed, and the caller picks one by its id or narrows the
number with a vendor (name, any case, or tax id). Nothing is approved unless every reference names
exactly one invoice. Approval is a bulk UPDATE guarded by the status, a chunk of ids at a time.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import and_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from smartap_erp.db.models import Invoice, Vendor
from smartap_erp.domain.enums import InvoiceStatus
from smartap_erp.invoices.store import chunks, vendors_by_key

APPROVABLE = (InvoiceStatus.PENDING_APPROVAL, InvoiceStatus.DRAFT)
MAX_CANDIDATES_SHOWN = 10


@dataclass(frozen=True)
class Candidate:
    id: uuid.UUID
    invoice_number: str
    vendor: str
    status: InvoiceStatus

    def __str__(self) -> str:
        return f"{self.vendor} (id {self.id}, {self.status.value})"


@dataclass
class Resolution:
    invoices: list[Candidate] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


@dataclass
class ApprovalReport:
    approved: list[uuid.UUID] = field(default_factory=list)
    not_pending: list[Candidate] = field(default_factory=list)


def _as_uuid(reference: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(reference)
    except ValueError:
        return None


async def _candidates(session: AsyncSession, condition: object) -> list[Candidate]:
    query = (
        select(Invoice.id, Invoice.invoice_number, Vendor.name, Invoice.status)
        .join(Vendor, Invoice.vendor_id == Vendor.id)
        .where(condition)  # type: ignore[arg-type]
        .order_by(Vendor.name, Invoice.id)
    )
    return [Candidate(*row) for row in (await session.execute(query)).all()]


async def resolve_references(
    session: AsyncSession, references: Sequence[str], *, vendor: str | None = None
) -> Resolution:
    """Each reference (an invoice number, or an invoice id) to exactly one invoice, or an error."""
    resolution = Resolution()
    vendor_ids: list[uuid.UUID] | None = None
    if vendor is not None:
        vendor_ids = [v.id for v in (await vendors_by_key(session, [vendor]))[vendor]]
        if not vendor_ids:
            resolution.errors.append(f"no SmartAP vendor is named or has the tax id {vendor!r}")
            return resolution
    unique = list(dict.fromkeys(references))
    found: dict[str, list[Candidate]] = {ref: [] for ref in unique}
    ids = {uid: ref for ref in unique if (uid := _as_uuid(ref)) is not None}
    for batch in chunks(ids):
        for candidate in await _candidates(session, Invoice.id.in_(batch)):
            found[ids[candidate.id]].append(candidate)
    for batch in chunks(ref for ref in unique if ref not in ids.values()):
        conditions = [Invoice.invoice_number.in_(batch)]
        if vendor_ids is not None:
            conditions.append(Invoice.vendor_id.in_(vendor_ids))
        for candidate in await _candidates(session, and_(*conditions)):
            found[candidate.invoice_number].append(candidate)
    for ref, matches in found.items():
        if len(matches) == 1:
            resolution.invoices.append(matches[0])
        else:
            resolution.errors.append(_why_not_one(ref, matches, vendor))
    return resolution


def _why_not_one(reference: str, matches: list[Candidate], vendor: str | None) -> str:
    if not matches:
        of_vendor = f" of vendor {vendor!r}" if vendor is not None else ""
        return f"{reference}: no invoice{of_vendor} has this number or id (see `smartap-erp invoices list`)"
    shown = "; ".join(str(m) for m in matches[:MAX_CANDIDATES_SHOWN])
    more = f"; and {len(matches) - MAX_CANDIDATES_SHOWN} more" if len(matches) > MAX_CANDIDATES_SHOWN else ""
    return (
        f"{reference} is ambiguous, {len(matches)} invoices have this number: {shown}{more}; "
        "name one by its id, or add --vendor NAME"
    )


async def approve_invoices(
    session: AsyncSession,
    *,
    invoices: Sequence[Candidate] | None,
    approved_by: str,
    now: dt.datetime,
) -> ApprovalReport:
    """Approve the given invoices that are pending (every pending one if None); the caller commits."""
    report = ApprovalReport()
    if invoices is None:
        query = select(Invoice.id).where(Invoice.status.in_(APPROVABLE)).order_by(Invoice.id)
        ids = list((await session.scalars(query)).all())
    else:
        ids = [c.id for c in invoices if c.status in APPROVABLE]
        report.not_pending = [c for c in invoices if c.status not in APPROVABLE]
    for batch in chunks(ids):
        statement = (
            update(Invoice)
            .where(Invoice.id.in_(batch), Invoice.status.in_(APPROVABLE))
            .values(status=InvoiceStatus.APPROVED, approved_at=now, approved_by=approved_by)
            .returning(Invoice.id)
            .execution_options(synchronize_session=False)
        )
        report.approved.extend((await session.scalars(statement)).all())
    return report
