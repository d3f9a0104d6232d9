"""Invoices as SmartAP sends them over an API: a pushed JSON body (one invoice or a list) checked item by
item exactly as a JSON import file is, with a result per item; an export of one invoice to a connection
queued for the workers, replayed for a repeated `Idempotency-Key`; and the payment sync of the
connections an invoice was exported to, queued likewise.

Idempotency keys are remembered by this process (`IdempotencyKeys`, 24 hours, per API key): the same
key with the same request answers the job it queued, the same key with another request is refused
(`IdempotencyKeyReusedError`, a 422). A restarted server forgets them; a repeat then queues again,
which joins the identical export still queued (`jobs.requests`) and, once that ran, finds the bill
already linked (the export outbox never writes a bill twice).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import json
import uuid
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Literal

from sqlalchemy import select

from smartap_erp.app import invoices
from smartap_erp.app.context import AppContext
from smartap_erp.app.models import AppModel
from smartap_erp.app.syncs import ExportRequest, JobQueue, JobRequested, PaymentsRequest, request_job
from smartap_erp.db.models import ERPConnection, ERPInvoiceLink
from smartap_erp.errors import ConfigurationError, ConflictError
from smartap_erp.invoices.files import parse_json
from smartap_erp.invoices.problems import InvoiceFileError, ParsedFile

MAX_PUSH = 1000  # invoices in one request; a bigger batch is a file import
IDEMPOTENCY_TTL = dt.timedelta(hours=24)
MAX_REMEMBERED = 10_000


class ItemResult(AppModel):
    """What became of one pushed invoice (`index` from 1, in the order sent)."""

    index: int
    status: Literal["created", "refused"]
    invoice_id: uuid.UUID | None = None
    invoice_number: str | None = None
    message: str | None = None  # why it was refused
    reason: str | None = None  # a short reason to count refusals by


class PushResult(AppModel):
    created: int
    refused: int
    reasons: dict[str, int]  # refused items per reason, most frequent first
    results: list[ItemResult]
    invoices: list[invoices.InvoiceSummary]  # the invoices stored


def parse_push(body: bytes) -> ParsedFile:
    """A JSON body holding one invoice (an object) or a list of them, each checked on its own;
    `ConfigurationError` when the body as a whole is not that."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise ConfigurationError("the body is not UTF-8 JSON") from None
    if text.lstrip().startswith("{"):
        text = f"[{text}]"
    try:
        parsed = parse_json(text)
    except InvoiceFileError as exc:
        raise ConfigurationError(f"the body: {exc}") from None
    count = len(parsed.invoices) + len(parsed.problems)
    if count == 0:
        raise ConfigurationError("the body holds no invoice")
    if count > MAX_PUSH:
        raise ConfigurationError(f"the body holds {count} invoices; send at most {MAX_PUSH} a request")
    return parsed


def _index(where: str) -> int:
    return int(where.rpartition(" ")[2])


async def push(ctx: AppContext, parsed: ParsedFile) -> PushResult:
    """Store the valid invoices of a pushed body and say what became of each item."""
    count = len(parsed.invoices) + len(parsed.problems)
    stored = await invoices.import_file(ctx, parsed, "the request", with_invoices=True)
    refused = {_index(p.where): p for p in stored.problems}
    numbers = {_index(s.places[0]): s.invoice.invoice_number for s in parsed.invoices}
    # The store creates the accepted invoices in the order sent: the nth unrefused item is the nth id
    # (checked against the stored invoice's number: a store that reordered them would be a bug).
    accepted = iter(stored.invoice_ids)
    stored_numbers = {s.id: s.invoice_number for s in stored.invoices or []}
    results = []
    for index in range(1, count + 1):
        problem = refused.get(index)
        if problem is not None:
            results.append(
                ItemResult(
                    index=index,
                    status="refused",
                    invoice_number=numbers.get(index),
                    message=problem.message,
                    reason=problem.reason,
                )
            )
        else:
            invoice_id = next(accepted)
            if stored_numbers.get(invoice_id) != numbers[index]:
                raise RuntimeError(f"invoice {index} of the request does not match the invoice stored for it")
            results.append(
                ItemResult(
                    index=index, status="created", invoice_id=invoice_id, invoice_number=numbers[index]
                )
            )
    return PushResult(
        created=stored.imported,
        refused=len(refused),
        reasons=stored.reasons,
        results=results,
        invoices=stored.invoices or [],
    )


class IdempotencyKeyReusedError(ConfigurationError):
    """An `Idempotency-Key` already used with another request."""


class IdempotencyKeys:
    """Requests already answered, by (caller, key): their fingerprint and the job they queued.
    At most `MAX_REMEMBERED`, each for `IDEMPOTENCY_TTL`; one lock makes a repeat wait for the first."""

    def __init__(self, clock: Callable[[], dt.datetime] | None = None) -> None:
        self._clock = clock or (lambda: dt.datetime.now(dt.UTC))
        self._seen: OrderedDict[tuple[str, str], tuple[dt.datetime, str, JobRequested]] = OrderedDict()
        self._lock = asyncio.Lock()

    @staticmethod
    def fingerprint(*parts: object) -> str:
        return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()

    async def once(
        self, caller: str, key: str, fingerprint: str, queue_it: Callable[[], Awaitable[JobRequested]]
    ) -> JobRequested:
        """The job `key` queued before for the same request, else `queue_it()`'s, remembered."""
        async with self._lock:
            now = self._clock()
            while self._seen and next(iter(self._seen.values()))[0] <= now - IDEMPOTENCY_TTL:
                self._seen.popitem(last=False)
            found = self._seen.get((caller, key))
            if found is not None:
                if found[1] != fingerprint:
                    raise IdempotencyKeyReusedError(
                        "this Idempotency-Key was used with another request; use a new key"
                    )
                return found[2].model_copy(update={"joined": True})
            requested = await queue_it()
            self._seen[(caller, key)] = (now, fingerprint, requested)
            while len(self._seen) > MAX_REMEMBERED:
                self._seen.popitem(last=False)
            return requested


async def export(
    ctx: AppContext,
    queue: JobQueue,
    references: list[str] | None,
    connection: str,
    *,
    vendor: str | None,
    by: str,
) -> JobRequested:
    """Queue the export of the named invoices (numbers or ids) to a connection (name or id), or with
    None every approved invoice not exported there yet; a reference naming no invoice or several is
    `InvoiceReferenceError` and nothing is queued."""
    request = ExportRequest(invoices=references, vendor=vendor, triggered_by=by)
    return await request_job(ctx, queue, connection, request)


async def sync_payment(
    ctx: AppContext, queue: JobQueue, reference: str, *, vendor: str | None, by: str
) -> list[JobRequested]:
    """Queue the payment sync of every connection holding the invoice's bill (a payment sync reads
    all of a connection's exported bills); `ConflictError` when no ERP holds it yet."""
    async with ctx.sessions() as session:
        [invoice_id] = await invoices.resolve_invoice_ids(session, [reference], vendor)
        query = (
            select(ERPConnection.id)
            .join(ERPInvoiceLink, ERPInvoiceLink.connection_id == ERPConnection.id)
            .where(ERPInvoiceLink.smartap_invoice_id == invoice_id)
            .order_by(ERPConnection.name)
        )
        connection_ids = list((await session.scalars(query)).all())
    if not connection_ids:
        raise ConflictError(f"invoice {reference} is not exported to any ERP yet: no payment to read")
    request = PaymentsRequest(triggered_by=by)
    return [await request_job(ctx, queue, str(cid), request) for cid in connection_ids]
