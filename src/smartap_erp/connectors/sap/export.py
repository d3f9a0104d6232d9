"""Exporting many bills to SAP Business One through the Service Layer's `$batch` (sap.md §Batch, §Bills).

`export_invoices` keeps the single bill's guarantees (`SAPConnector.export_invoice`) in a handful of
requests. Before anything is created, the invoices' bills are looked up by `CardCode` + `NumAtCard`
(`duplicates.live_bills`; skipped for the pairs export's checks just found absent) and the purchase orders
they copy are read, all in ONE request (GET parts of a `$batch`, or a plain GET when one query is enough);
a bill found is returned with `created = false`. A PO missing from that read is asked for alone, so its
error is the one the single path gives. Then the A/P invoices go `EXPORT_BATCH_SIZE` to a `$batch`, each
in a change set of its own, so a refused bill rolls back only itself. Each answer becomes that invoice's
outcome exactly as the single POST's answer would: a 201 is the created bill; an error goes through the
connector's `error_details` and the toolkit's classification, so a record error (a locked posting period
-5002 included, sync/error_kinds.py) is that invoice's error and anything else raises. The Service Layer
stops at the first failed part and the parts after it get no answer, which means they did not run: they go
in the next `$batch`. A bill whose part answered is never sent again. When the whole answer is lost
(timeout, dropped connection, 5xx, unreadable body), or a part fails with a server error, the bills are
looked up at once as the single path does: every one found is returned as created, otherwise the error
raises and the caller's retry finds them (export's checks link them), so there is exactly one bill each.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from smartap_erp.connectors.ledger import bill_key
from smartap_erp.connectors.models import ExportResult, InvoiceExportOutcome
from smartap_erp.connectors.responses import record_error_from
from smartap_erp.connectors.sap import batch, duplicates
from smartap_erp.domain import ERPInvoice
from smartap_erp.errors import ERPError, ERPProtocolError, ERPRecordError, ERPTransientError
from smartap_erp.http.redact import get_logger

if TYPE_CHECKING:
    from smartap_erp.connectors.sap.connector import SAPConnector

log = get_logger(__name__)

# Bills per `$batch`. SAP adds the documents of a batch one after another in one request: at the few
# hundred milliseconds a real server takes per A/P invoice, 50 stay well inside the client's 60 s read
# timeout and a reverse proxy's usual 60 s, and bound what one lost answer leaves to look up again. The
# Service Layer publishes no maximum (sap.md §Batch).
EXPORT_BATCH_SIZE = 50
# Invoices per export step (sync/export/run.py `step_size`): export's checks look them all up in one
# request (13 queries of 40 numbers as GET parts of one `$batch`, duplicates.py), then 10 `$batch`es of 50
# create them, each recorded as answered. 500 keeps that look-up a few minutes old at most when the step's
# last bill is created (10 batches at the seconds each takes on a real server), and makes a job's steps
# (each its own Login, Logout and tax-field read) 2 for 1,000 bills instead of 10.
STEP_SIZE = 500
DOCENTRIES_PER_QUERY = 40


@dataclass
class _Pending:
    index: int
    invoice: ERPInvoice
    body: dict[str, Any]


async def export_invoices(
    connector: SAPConnector, invoices: Sequence[ERPInvoice]
) -> list[InvoiceExportOutcome]:
    outcomes: dict[int, InvoiceExportOutcome] = {}
    unchecked = []
    for invoice in invoices:
        key = bill_key(invoice.vendor_id, invoice.invoice_number)
        if key in connector.absent_bills:  # export's checks looked it up moments ago (one look-up per batch)
            connector.absent_bills.discard(key)
        else:
            unchecked.append(invoice)
    existing, orders = await _read_before(connector, unchecked, invoices)
    pending: list[_Pending] = []
    for index, invoice in enumerate(invoices):
        rows = existing.get(bill_key(invoice.vendor_id, invoice.invoice_number))
        if rows:
            log.info("SAP already has A/P invoice %s for %s", rows[0]["DocEntry"], invoice.vendor_id)
            outcomes[index] = _ok(invoice, connector.bill_result(rows[0], created=False))
            continue
        try:
            po = await _order(connector, invoice, orders)
            pending.append(_Pending(index, invoice, await connector.bill_body(invoice, po)))
        except ERPRecordError as exc:
            outcomes[index] = _refused(connector, invoice, exc)
    while pending:
        chunk, pending = pending[:EXPORT_BATCH_SIZE], pending[EXPORT_BATCH_SIZE:]
        done, unrun = await _send(connector, chunk)
        outcomes.update(done)
        pending = unrun + pending  # stopped at a failed part: the rest did not run, send them next
    return [outcomes[index] for index in range(len(invoices))]


async def _read_before(
    connector: SAPConnector, unchecked: Sequence[ERPInvoice], invoices: Sequence[ERPInvoice]
) -> tuple[dict[duplicates.Key, list[dict[str, Any]]], dict[int, dict[str, Any]]]:
    """The bills already there and the purchase orders to copy, in one request (batch.get_many)."""
    lookups = duplicates.lookup_calls(connector, unchecked) if unchecked else []
    entries = sorted({e for i in invoices if (e := _po_entry(i)) is not None})
    po_calls = [
        connector.query_call(
            "PurchaseOrders",
            filter_=" or ".join(f"DocEntry eq {e}" for e in entries[start : start + DOCENTRIES_PER_QUERY]),
        )
        for start in range(0, len(entries), DOCENTRIES_PER_QUERY)
    ]
    results = await batch.get_many(connector, [*lookups, *po_calls])
    found = [row for rows in results[: len(lookups)] for row in rows]
    orders = {
        int(row["DocEntry"]): row for rows in results[len(lookups) :] for row in rows if isinstance(row, dict)
    }
    return duplicates.matching(found, unchecked), orders


def _po_entry(invoice: ERPInvoice) -> int | None:
    text = str(invoice.purchase_order_id or "").strip()
    return int(text) if text.isdigit() else None


async def _order(connector: SAPConnector, invoice: ERPInvoice, orders: dict[int, dict[str, Any]]) -> Any:
    if not invoice.purchase_order_id:
        return None
    entry = _po_entry(invoice)
    if entry is not None and entry in orders:
        return orders[entry]
    return await connector.purchase_order(invoice.purchase_order_id)  # its error, as the single path


async def _send(
    connector: SAPConnector, chunk: list[_Pending]
) -> tuple[dict[int, InvoiceExportOutcome], list[_Pending]]:
    """One `$batch` of creates: the outcomes it settled, and the bills it did not run."""
    parts = [batch.Part("POST", "PurchaseInvoices", json=p.body, change_set=True) for p in chunk]
    try:
        answers = await batch.send(connector, parts)
    except (ERPTransientError, ERPProtocolError) as exc:
        return await _recover(connector, chunk, exc), []
    done: dict[int, InvoiceExportOutcome] = {}
    for item, part, answer in zip(chunk, parts, answers, strict=False):
        if answer.ok:
            doc = batch.json_of(connector, answer, part)
            done[item.index] = _ok(item.invoice, connector.bill_result(doc, created=True))
            continue
        error = batch.error_of(connector, answer, part)
        if isinstance(error, ERPRecordError):
            done[item.index] = _refused(connector, item.invoice, error)
        else:  # a server error in the part: look before anyone retries, as the single path does
            done.update(await _recover(connector, [item], error))
    unrun = chunk[len(answers) :]
    if unrun and (not answers or answers[-1].ok):
        # the answer ended without a failed part: whether the rest ran is unknown, so look them up
        lost = ERPTransientError("the $batch answer stopped before its last parts", erp=connector.system)
        done.update(await _recover(connector, unrun, lost))
        unrun = []
    return done, unrun


async def _recover(
    connector: SAPConnector, items: Sequence[_Pending], exc: ERPError
) -> dict[int, InvoiceExportOutcome]:
    """Lost answer ("commit then fail"): the bills stored are returned as created, or `exc` raises."""
    found = await duplicates.live_bills(connector, [item.invoice for item in items])
    done: dict[int, InvoiceExportOutcome] = {}
    for item in items:
        rows = found.get(bill_key(item.invoice.vendor_id, item.invoice.invoice_number))
        if not rows:
            raise exc
        log.warning("SAP stored A/P invoice %s but its answer was lost", rows[0]["DocEntry"])
        done[item.index] = _ok(item.invoice, connector.bill_result(rows[0], created=True))
    return done


def _ok(invoice: ERPInvoice, result: ExportResult) -> InvoiceExportOutcome:
    return InvoiceExportOutcome(
        invoice_number=invoice.invoice_number, smartap_invoice_id=invoice.smartap_invoice_id, result=result
    )


def _refused(connector: SAPConnector, invoice: ERPInvoice, exc: ERPRecordError) -> InvoiceExportOutcome:
    key = invoice.smartap_invoice_id or invoice.invoice_number
    log.info("%s refused invoice %s: %s", connector.system, key, exc)
    return InvoiceExportOutcome(
        invoice_number=invoice.invoice_number,
        smartap_invoice_id=invoice.smartap_invoice_id,
        error=record_error_from(exc, key),
    )
