"""Exporting bills to QuickBooks exactly once: one at a time or through `/batch`.

Every create carries a `requestid` derived from the invoice (quickbooks.md §Request ids): QuickBooks replays
the first response for a repeated id, so a retry after a lost response creates nothing. If the id is no longer
remembered, the duplicate-DocNumber check answers 6140 (quickbooks.md §Entities); we then look the bill up by
DocNumber and vendor and return it, after checking it is the same bill (same total). Bills go `BATCH_SIZE`
to a `/batch` request, an export step (sync/export/run.py) being `STEP_SIZE` invoices: for N bills, ceil(N /
STEP_SIZE) look-up requests and ceil(N / BATCH_SIZE) create requests (docs/quickbooks.md §Export budget).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from smartap_erp.connectors.common import money
from smartap_erp.connectors.models import ExportResult
from smartap_erp.domain import ERPInvoice
from smartap_erp.domain.enums import ERPSystem
from smartap_erp.errors import ERPDuplicateError, ERPValidationError

# Items per `/batch` request (erp-api-facts.md §1.9): Intuit's batch page says 10, its limits page 30,
# UNCERTAIN which holds. Issue 17 sends 30 (the simulator refuses more, as an API Explorer test reports);
# should a company refuse 30, set 10 here: the look-ups and the export steps follow this figure.
BATCH_SIZE = 30
# Create batches per export step. A step is one look-up `/batch` (every invoice of the step, as Query items:
# duplicates.py) and then its creates, STEP_BATCHES full batches: 1 + 39 = 40 batch requests, the batch
# limit of one minute per realm and app (§1.12), so a step's look-up is about a minute old at most when its
# last bill is created, and a step's creates are never throttled.
STEP_BATCHES = 39
STEP_SIZE = BATCH_SIZE * STEP_BATCHES  # 1,170 invoices a step
_NAMESPACE = uuid.UUID("7d1f2c8e-4b8a-4f7e-9a57-3f0c3c1b9a10")


def invoice_key(invoice: ERPInvoice) -> str:
    return invoice.smartap_invoice_id or f"{invoice.vendor_id}:{invoice.invoice_number}"


def request_id(realm_id: str, *keys: str) -> str:
    """A deterministic requestid: 36 characters, within both the 50 (single) and 36 (batch) limits."""
    return str(uuid.uuid5(_NAMESPACE, f"quickbooks:{realm_id}:" + "|".join(keys)))


def chunks(invoices: Sequence[ERPInvoice], size: int | None = None) -> list[Sequence[ERPInvoice]]:
    step = size or BATCH_SIZE
    return [invoices[i : i + step] for i in range(0, len(invoices), step)]


def created_result(bill: dict[str, Any], exported_at: Any, *, created: bool = True) -> ExportResult:
    return ExportResult(
        external_id=str(bill["Id"]),
        external_number=bill.get("DocNumber"),
        created=created,
        exported_at=exported_at,
        version=bill.get("SyncToken"),
        erp_total=money(bill["TotalAmt"]) if bill.get("TotalAmt") is not None else None,
    )


def check_same_bill(existing: dict[str, Any], invoice: ERPInvoice) -> None:
    """A bill found by DocNumber is ours only if it is for the same amount; else it is a real duplicate."""
    total = Decimal(str(existing.get("TotalAmt", "0")))
    if total != invoice.total_amount:
        raise ERPDuplicateError(
            "a different bill with this number already exists for the vendor",
            erp=ERPSystem.QUICKBOOKS,
            code="6140",
            message=f"bill {existing.get('Id')} has DocNumber {invoice.invoice_number} "
            f"for {total}, the invoice is for {invoice.total_amount}",
            field="DocNumber",
        )


def mapping_refused(field: str, message: str) -> ERPValidationError:
    return ERPValidationError(
        "the invoice cannot be written as a QuickBooks bill",
        erp=ERPSystem.QUICKBOOKS,
        message=message,
        field=field,
    )
