"""Export of many bills through the bill RESTlet's batch POST (docs/netsuite.md 10.4.1).

`restlet_batches(connector, invoices)` sends `{"bills": [...]}` of up to `BATCH_SIZE` bills (the script's
limit; 3,020 of the 5,000 usage units a RESTlet execution has, netsuite-connector.md §RESTlets) and at most
`MAX_BODY_BYTES` of JSON (RESTlets take 10 MB in), and reads the per-bill answer in request order:
`created` / `existing` become `ExportResult`s (`created` False for a bill that existed: exactly once by
`externalId`, as the single POST), `error` a record error with NetSuite's code for that invoice alone, and
`notAttempted` (the execution's units ran low) goes into the next POST. A POST is marked idempotent: a
replay after a lost answer finds every bill it created by `externalId`. Requests for n bills of ordinary
size: ceil(n / 100), plus one per POST cut short by governance. REST mode has no batch (the record API has
no bulk create and its async requests are one record each, netsuite-connector.md §REST record API): it
keeps one upsert per bill (connector.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from smartap_erp.connectors.models import ExportResult, InvoiceExportOutcome
from smartap_erp.connectors.netsuite import payloads
from smartap_erp.connectors.responses import record_error_from
from smartap_erp.domain.models import ERPInvoice
from smartap_erp.errors import ERPProtocolError, ERPRecordError
from smartap_erp.http.call import Call

if TYPE_CHECKING:
    from smartap_erp.connectors.netsuite.connector import NetSuiteConnector

BATCH_SIZE = 100  # smartap_bill_batch.js MAX_BILLS
MAX_BODY_BYTES = 4_000_000  # of the 10 MB a RESTlet accepts (netsuite-connector.md §RESTlets)


def chunks(texts: Sequence[bytes], pending: Sequence[int], size: int = BATCH_SIZE) -> list[int]:
    """The first run of `pending` (indexes into `texts`) that fits one POST: at most `size` bills and
    `MAX_BODY_BYTES` of JSON (a bill larger than that alone still goes, on its own)."""
    taken: list[int] = []
    total = len(b'{"bills":[]}')
    for index in pending:
        cost = len(texts[index]) + 1
        if taken and (len(taken) >= size or total + cost > MAX_BODY_BYTES):
            break
        taken.append(index)
        total += cost
    return taken


async def restlet_batches(
    connector: NetSuiteConnector, invoices: Sequence[ERPInvoice]
) -> list[InvoiceExportOutcome]:
    texts = [payloads.dumps(payloads.bill_body(invoice, rest=False)) for invoice in invoices]
    outcomes: dict[int, InvoiceExportOutcome] = {}
    pending = list(range(len(invoices)))
    while pending:
        chunk = chunks(texts, pending, BATCH_SIZE)
        answered = await _post(connector, [invoices[i] for i in chunk], [texts[i] for i in chunk])
        again = [i for i, outcome in zip(chunk, answered, strict=True) if outcome is None]
        outcomes.update((i, o) for i, o in zip(chunk, answered, strict=True) if o is not None)
        if len(again) == len(chunk):  # the script fails the POST instead (SSS_USAGE_LIMIT_EXCEEDED)
            raise ERPProtocolError("the bill RESTlet attempted no bill of its batch", erp=connector.system)
        pending = again + pending[len(chunk) :]
    return [outcomes[i] for i in range(len(invoices))]


async def _post(
    connector: NetSuiteConnector, invoices: Sequence[ERPInvoice], texts: Sequence[bytes]
) -> list[InvoiceExportOutcome | None]:
    """One batch POST: an outcome per invoice, None for a bill not attempted."""
    call = Call(
        "POST",
        connector.restlet_path,
        params=connector.restlet_params("bill"),
        content=b'{"bills":[' + b",".join(texts) + b"]}",
        idempotent=True,  # every bill is created once by externalId, so a replay is safe
    )
    try:
        answer = await connector.json_answer(call, {"results": list})
    except ERPRecordError as exc:  # the batch itself was refused: every bill of it, as a record error
        return [_outcome(invoice, error=exc) for invoice in invoices]
    results = answer["results"]
    if len(results) != len(invoices):
        raise ERPProtocolError(
            f"the bill RESTlet answered {len(results)} results for {len(invoices)} bills",
            erp=connector.system,
        )
    return [_read(connector, invoice, result) for invoice, result in zip(invoices, results, strict=True)]


def _read(connector: NetSuiteConnector, invoice: ERPInvoice, result: Any) -> InvoiceExportOutcome | None:
    status = result.get("status") if isinstance(result, dict) else None
    if not isinstance(result, dict) or result.get("externalId") != payloads.bill_external_id(invoice):
        raise ERPProtocolError("the bill RESTlet answered out of order", erp=connector.system)
    if status == "notAttempted":
        return None
    if status in ("created", "existing"):
        total = result.get("total")
        return _outcome(
            invoice,
            result=ExportResult(
                external_id=str(result["id"]),
                external_number=result.get("tranId"),
                created=status == "created",
                exported_at=connector.now(),
                version=result.get("lastModifiedDate"),
                erp_total=None if total is None else Decimal(str(total)),
            ),
        )
    if status == "error":
        error = result.get("error") or {}
        code, message = error.get("code"), error.get("message")
        cls = connector.error_class(400, code) or ERPRecordError
        return _outcome(
            invoice,
            error=cls(
                f"NetSuite refused bill {invoice.invoice_number}",
                erp=connector.system,
                code=code,
                message=message,
            ),
        )
    raise ERPProtocolError(f"the bill RESTlet answered status {status!r}", erp=connector.system)


def _outcome(
    invoice: ERPInvoice, *, result: ExportResult | None = None, error: BaseException | None = None
) -> InvoiceExportOutcome:
    key = invoice.smartap_invoice_id or invoice.invoice_number
    return InvoiceExportOutcome(
        invoice_number=invoice.invoice_number,
        smartap_invoice_id=invoice.smartap_invoice_id,
        result=result,
        error=None if error is None else record_error_from(error, key),
    )
