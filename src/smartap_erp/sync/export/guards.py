"""Checks made before any bill is written to the ERP (issue 16, items 3 and 5): bills the ERP already
holds for the vendor and invoice number, and closed accounting periods.

For one batch of built invoices, `check_batch`:
1. asks the connector for bills with the invoices' numbers (`find_bills`: one batched read per ERP,
   connectors/<erp>/duplicates.py). A bill of the same vendor for the same amount and currency is
   the invoice's bill: it is linked (no second bill; the sync log's `sync_params["duplicates_linked"]`
   says so). A bill of the same vendor and number that differs sends the invoice to review with both
   amounts; nothing is written to the ERP.
2. reads the ERP's closed periods (`period_locks`, connectors/<erp>/periods.py), through the run's
   `ReferenceCache` (fresh for five minutes, as the chart of accounts is), and for each invoice dated
   in a closed period applies the connection's `closed_period_policy`: `review` (the default) sends
   it to review with the reason; `redate` moves the bill's date (and a due date that would fall
   before it) to the first open day; `draft` (Xero only: a draft bill does not post, so Xero takes it
   in a locked period) exports it as a DRAFT bill. Each re-dated or draft bill is named in
   `sync_params["closed_period"]` and logged.
A connector without these methods (a provider added later) is exported as before.
The ERP may still refuse a bill because its period closed after the check: `run._record` classifies
that refusal (`error_kinds.classify_record`) and sends the invoice to review as "period locked".
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from smartap_erp.connectors.base import ERPConnector
from smartap_erp.connectors.ledger import ExistingBill, PeriodLocks, bill_key, group_bills
from smartap_erp.connectors.models import ExportResult, InvoiceExportOutcome
from smartap_erp.db.models import Invoice
from smartap_erp.domain.models import ERPInvoice
from smartap_erp.domain.money import MoneyError, from_minor_units, to_minor_units
from smartap_erp.domain.options import ClosedPeriodPolicy as ClosedPeriodPolicy  # light, for the CLI
from smartap_erp.sync.export.refdata import ReferenceCache

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Review:
    """An invoice sent to review before any write: why, and the ERP bill involved (if one)."""

    invoice: Invoice
    code: str
    reason: str
    bill_id: str | None = None


@dataclass
class Checked:
    """A batch after the checks: what to send, what is linked to a bill already there, what waits."""

    send: list[tuple[Invoice, ERPInvoice]] = field(default_factory=list)
    # invoices whose bill the ERP already has, with the outcome that links it
    linked: list[tuple[Invoice, ERPInvoice, InvoiceExportOutcome]] = field(default_factory=list)
    review: list[Review] = field(default_factory=list)
    drafts: set[str] = field(default_factory=set)  # smartap invoice ids to export as drafts
    notes: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # for the sync log

    def note(self, kind: str, entry: dict[str, Any]) -> None:
        self.notes.setdefault(kind, []).append(entry)


def _money(amount: Decimal, currency: str | None) -> str:
    """`150.00 USD`: the amount at its currency's precision (as the ERP's figure may come as 150.0)."""
    try:
        return f"{from_minor_units(to_minor_units(amount, currency or ''), currency or '')} {currency}"
    except MoneyError:
        return f"{amount} {currency or '(currency not given)'}"


async def check_batch(
    erp: ERPConnector,
    ready: Sequence[tuple[Invoice, ERPInvoice]],
    *,
    connection_id: uuid.UUID,
    policy: ClosedPeriodPolicy,
    cache: ReferenceCache,
    now: Callable[[], dt.datetime],
) -> Checked:
    checked = Checked()
    remaining = await _duplicates(erp, ready, checked, now)
    if remaining:
        await _periods(
            erp, remaining, checked, connection_id=connection_id, policy=policy, cache=cache, now=now
        )
    if checked.drafts:
        erp.use_draft_bills(checked.drafts)  # type: ignore[attr-defined]  # supports_draft_bills said so
    return checked


async def _duplicates(
    erp: ERPConnector,
    ready: Sequence[tuple[Invoice, ERPInvoice]],
    checked: Checked,
    now: Callable[[], dt.datetime],
) -> list[tuple[Invoice, ERPInvoice]]:
    finder = getattr(erp, "find_bills", None)
    if finder is None or not ready:
        return list(ready)
    found: dict[tuple[str, str], list[ExistingBill]] = group_bills(await finder([s for _, s in ready]))
    remaining: list[tuple[Invoice, ERPInvoice]] = []
    for invoice, standard in ready:
        bills = found.get(bill_key(standard.vendor_id, standard.invoice_number), [])
        if not bills:
            remaining.append((invoice, standard))
            continue
        same = [b for b in bills if b.total == standard.total_amount and _same_currency(b, standard)]
        if same:
            bill = same[0]
            checked.linked.append(
                (
                    invoice,
                    standard,
                    InvoiceExportOutcome(
                        invoice_number=standard.invoice_number,
                        smartap_invoice_id=standard.smartap_invoice_id,
                        result=ExportResult(
                            external_id=bill.bill_id,
                            external_number=bill.number or bill.invoice_number,
                            created=False,
                            exported_at=now(),
                            erp_total=bill.total,
                        ),
                    ),
                )
            )
            checked.note(
                "duplicates_linked",
                {
                    "invoice_id": str(invoice.id),
                    "invoice_number": invoice.invoice_number,
                    "bill_id": bill.bill_id,
                },
            )
            log.info(
                "invoice %s: the ERP already has bill %s for vendor %s with this number and amount; linked",
                invoice.invoice_number,
                bill.bill_id,
                standard.vendor_id,
            )
            continue
        theirs = "; ".join(f"bill {b.bill_id} for {_money(b.total, b.currency)}" for b in bills)
        reason = (
            f"invoice {invoice.invoice_number}: the ERP already has {theirs} with this invoice number for "
            f"the vendor, the invoice is for {_money(standard.total_amount, standard.currency)}; "
            "not exported (duplicate invoice number with a different amount)"
        )
        checked.review.append(Review(invoice, "duplicate_bill_differs", reason, bills[0].bill_id))
    return remaining


def _same_currency(bill: ExistingBill, standard: ERPInvoice) -> bool:
    return bill.currency is None or bill.currency.upper() == standard.currency.upper()


async def _periods(
    erp: ERPConnector,
    items: Sequence[tuple[Invoice, ERPInvoice]],
    checked: Checked,
    *,
    connection_id: uuid.UUID,
    policy: ClosedPeriodPolicy,
    cache: ReferenceCache,
    now: Callable[[], dt.datetime],
) -> None:
    reader = getattr(erp, "period_locks", None)
    if reader is None:
        checked.send.extend(items)
        return
    locks: PeriodLocks = await cache.period_locks(connection_id, reader, now())
    drafts_allowed = bool(getattr(erp, "supports_draft_bills", False))
    for invoice, standard in items:
        why = locks.closure(standard.invoice_date)
        if why is None:
            checked.send.append((invoice, standard))
            continue
        if policy is ClosedPeriodPolicy.REDATE and (day := locks.first_open_day(standard.invoice_date)):
            due = standard.due_date if standard.due_date is None or standard.due_date >= day else day
            checked.send.append((invoice, standard.model_copy(update={"invoice_date": day, "due_date": due})))
            entry = {"invoice_id": str(invoice.id), "invoice_number": invoice.invoice_number}
            checked.note(
                "closed_period",
                {
                    **entry,
                    "policy": policy.value,
                    "from": str(standard.invoice_date),
                    "to": str(day),
                    "why": why,
                },
            )
            log.info(
                "invoice %s: %s; re-dated to %s (closed-period policy redate)",
                invoice.invoice_number,
                why,
                day,
            )
            continue
        if policy is ClosedPeriodPolicy.DRAFT and drafts_allowed:
            checked.send.append((invoice, standard))
            checked.drafts.add(str(invoice.id))
            entry = {"invoice_id": str(invoice.id), "invoice_number": invoice.invoice_number}
            checked.note("closed_period", {**entry, "policy": policy.value, "why": why})
            log.info(
                "invoice %s: %s; exported as a draft (closed-period policy draft)",
                invoice.invoice_number,
                why,
            )
            continue
        reason = f"invoice {invoice.invoice_number}: period closed in the ERP: {why}"
        if policy is not ClosedPeriodPolicy.REVIEW:
            reason += f" (policy {policy.value} cannot apply: " + (
                "no later open day is known)"
                if policy is ClosedPeriodPolicy.REDATE
                else "this ERP has no draft bills)"
            )
        checked.review.append(Review(invoice, "period_locked", reason))
