"""Payment status of many A/P invoices in a bounded number of Service Layer requests (issue 17).

The Service Layer has no payment change feed: `Payment` has no `UpdateDate` in the 2021 metadata
(erp-facts.md §3.7), so payments "changed since" a time cannot be asked for, and a `DocDate` filter
would miss back-dated payments. What it does have is `$filter` on `DocEntry` ranges and large pages
(`Prefer: odata.maxpagesize`, no documented maximum, erp-facts.md §3.4). So the status of the bills
asked for is read as: the invoices, by runs of consecutive `DocEntry` (`DocEntry ge a and DocEntry
le b`, bills exported together are consecutive; gaps up to `GAP` are read through and dropped here),
`CLAUSES` runs a request, `STATUS_PAGE_SIZE` a page; then their suppliers' non-cancelled
`VendorPayments` (`CLAUSES` suppliers a request, same pages), matched to the invoices by
`PaymentInvoices[].DocEntry` here because the collection cannot be filtered server-side (§3.7).
Requests: ⌈invoices read / page⌉ + ⌈payments of those suppliers / page⌉ (+1 per further `CLAUSES`
runs or suppliers); 5,000 consecutive bills of any number of suppliers below 100 cost 2 requests
plus one per 5,000 of their suppliers' payments.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from collections.abc import AsyncIterator, Sequence
from typing import TYPE_CHECKING, Any

from smartap_erp.connectors.models import RecordPage
from smartap_erp.connectors.sap import payloads
from smartap_erp.domain import ERPPaymentStatus
from smartap_erp.http.call import Call
from smartap_erp.http.paginate import NextLink

if TYPE_CHECKING:
    from smartap_erp.connectors.sap.connector import SAPConnector

STATUS_PAGE_SIZE = 5000  # rows a status request (no documented maximum, erp-facts.md §3.4)
CLAUSES = 100  # DocEntry runs or CardCodes a $filter: ~4 KB of URL, under common 8 KB request-line limits
GAP = 20  # a run absorbs up to this many DocEntries that are not ours (read, then dropped)
INVOICE_FIELDS = "DocEntry,DocNum,CardCode,DocTotal,DocCurrency,DocumentStatus,Cancelled"
PAYMENT_FIELDS = (
    "DocEntry,DocNum,DocDate,DocCurrency,CashSum,TransferSum,TransferReference,Cancelled,PaymentInvoices"
)


def runs(entries: Sequence[int], gap: int = GAP) -> list[tuple[int, int]]:
    """Sorted, distinct `entries` as (first, last) runs; entries at most `gap` apart share a run."""
    out: list[tuple[int, int]] = []
    for entry in sorted(set(entries)):
        if out and entry - out[-1][1] <= gap + 1:
            out[-1] = (out[-1][0], entry)
        else:
            out.append((entry, entry))
    return out


def _clause(run: tuple[int, int]) -> str:
    first, last = run
    return f"DocEntry eq {first}" if first == last else f"(DocEntry ge {first} and DocEntry le {last})"


async def _rows(connector: SAPConnector, resource: str, filter_: str, select: str) -> list[Any]:
    call: Call = connector.query_call(resource, filter_=filter_, select=select, orderby="DocEntry")
    call = dataclasses.replace(call, headers=(("Prefer", f"odata.maxpagesize={STATUS_PAGE_SIZE}"),))
    rows: list[Any] = []
    async for page in connector.pages(call, NextLink(), "value"):
        rows.extend(page.records)
    return rows


async def statuses(
    connector: SAPConnector, entries: Sequence[int]
) -> AsyncIterator[RecordPage[ERPPaymentStatus]]:
    """One page of statuses per `CLAUSES` DocEntry runs (see the module docstring)."""
    wanted = set(entries)
    all_runs = runs(entries)
    for start in range(0, len(all_runs), CLAUSES):
        part = all_runs[start : start + CLAUSES]
        rows = await _rows(connector, "PurchaseInvoices", " or ".join(map(_clause, part)), INVOICE_FIELDS)
        invoices = [row for row in rows if isinstance(row, dict) and row.get("DocEntry") in wanted]
        by_invoice = await _payments_by_invoice(connector, sorted({str(i["CardCode"]) for i in invoices}))
        now = connector.now()

        def status(
            invoice: Any, paid: dict[Any, list[Any]] = by_invoice, at: dt.datetime = now
        ) -> ERPPaymentStatus:
            return payloads.payment_status_from(invoice, paid.get(invoice["DocEntry"], []), at)

        yield connector.to_page(invoices, status, "DocEntry")


async def _payments_by_invoice(connector: SAPConnector, cards: list[str]) -> dict[Any, list[Any]]:
    """Non-cancelled vendor payments of `cards`, by the DocEntry of each document they apply to."""
    out: dict[Any, list[Any]] = defaultdict(list)
    for start in range(0, len(cards), CLAUSES):
        names = " or ".join(f"CardCode eq {payloads.odata_string(c)}" for c in cards[start : start + CLAUSES])
        for payment in await _rows(
            connector, "VendorPayments", f"({names}) and Cancelled eq 'tNO'", PAYMENT_FIELDS
        ):
            for entry in {line.get("DocEntry") for line in payment.get("PaymentInvoices") or []}:
                out[entry].append(payment)
    return out
