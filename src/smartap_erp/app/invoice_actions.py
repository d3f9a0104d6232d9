"""Invoices as SmartAP sends them over an API: a pushed JSON body (one invoice or a list) checked item by
item exactly as a JSON import file is, with a result per item; an export of one invoice to a connection
queued for the workers, replayed for a repeated `Idempotency-Key`; and the payment sync of the
connections an invoice was exported to, queued likewise.

Idempotency keys are kept in the database (`IdempotencyKeys`, `erp_api_idempotency_keys`, 24 hours,
per API key), so they hold across restarts and server processes: the same key with the same request
answers the job it queued (`joined`), the same key with another request is refused
(`IdempotencyKeyReusedError`, a 422), and while the first request with a key is still queueing its job
a second one is told so (`IdempotencyKeyInProgressError`, a 409, retry): the key's row is claimed
before the job is queued, and the unique (API key, key) constraint lets one claim win.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from collections.abc import Awaitable, Callable
from typing import Literal

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from smartap_erp.app import invoices
from smartap_erp.app.context import AppContext
from smartap_erp.app.models import AppModel
from smartap_erp.app.syncs import ExportRequest, JobQueue, JobRequested, PaymentsRequest, request_job
from smartap_erp.db.models import APIIdempotencyKey, ERPConnection, ERPInvoiceLink
from smartap_erp.errors import ConfigurationError, ConflictError
from smartap_erp.invoices.files import parse_json
from smartap_erp.invoices.problems import InvoiceFileError, ParsedFile

MAX_PUSH = 1000  # invoices in one request; a bigger batch is a file import
IDEMPOTENCY_TTL = dt.timedelta(hours=24)
# A claim with no job after this long was left by a request that died between claiming and queueing
# (a killed server): the key is free again.
CLAIM_TIMEOUT = dt.timedelta(minutes=5)


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


class IdempotencyKeyInProgressError(ConflictError):
    """An `Idempotency-Key` whose first request is still queueing its job: retry the same request."""

    retryable = True


class IdempotencyKeys:
    """Requests already answered, by (API key, `Idempotency-Key`): their fingerprint and the job they
    queued, in `erp_api_idempotency_keys`, each for `IDEMPOTENCY_TTL`."""

    def __init__(self, ctx: AppContext, clock: Callable[[], dt.datetime] | None = None) -> None:
        self._ctx = ctx
        self._clock = clock or (lambda: dt.datetime.now(dt.UTC))

    @staticmethod
    def fingerprint(*parts: object) -> str:
        return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()

    async def once(
        self,
        caller: uuid.UUID,
        key: str,
        fingerprint: str,
        queue_it: Callable[[], Awaitable[JobRequested]],
    ) -> JobRequested:
        """The job `key` queued before for the same request, else `queue_it()`'s, remembered."""
        now = self._clock()
        claim = await self._claim(caller, key, fingerprint, now)
        if isinstance(claim, JobRequested):
            return claim
        try:
            requested = await queue_it()
        except BaseException:  # nothing queued: the key is free for another try
            async with self._ctx.sessions() as session, session.begin():
                await session.execute(delete(APIIdempotencyKey).where(APIIdempotencyKey.id == claim))
            raise
        async with self._ctx.sessions() as session, session.begin():
            await session.execute(
                update(APIIdempotencyKey)
                .where(APIIdempotencyKey.id == claim)
                .values(job_id=requested.job_id, answer=requested.model_dump(mode="json"))
            )
        return requested

    async def _claim(
        self, caller: uuid.UUID, key: str, fingerprint: str, now: dt.datetime
    ) -> uuid.UUID | JobRequested:
        """Insert the key's row (its id), or the job of the row another request inserted first."""
        for _ in range(3):  # a row found expired or abandoned is deleted, then claimed again
            claim = uuid.uuid4()
            try:
                async with self._ctx.sessions() as session, session.begin():
                    await session.execute(
                        delete(APIIdempotencyKey).where(APIIdempotencyKey.expires_at <= now)
                    )
                    session.add(
                        APIIdempotencyKey(
                            id=claim,
                            api_key_id=caller,
                            key=key,
                            request_hash=fingerprint,
                            created_at=now,
                            expires_at=now + IDEMPOTENCY_TTL,
                        )
                    )
                return claim
            except IntegrityError:  # the key is taken: by this request's twin, or another request
                replayed = await self._answer(caller, key, fingerprint, now)
                if replayed is not None:
                    return replayed
        raise IdempotencyKeyInProgressError("this Idempotency-Key is being used by another request; retry")

    async def _answer(
        self, caller: uuid.UUID, key: str, fingerprint: str, now: dt.datetime
    ) -> JobRequested | None:
        """The job the row holding `key` answered (`joined`), or a refusal (another request, or the first
        still queueing); None when there is no row to answer from (gone, expired or abandoned), so
        the key is claimed again."""
        async with self._ctx.sessions() as session, session.begin():
            found = await session.scalar(
                select(APIIdempotencyKey).where(
                    APIIdempotencyKey.api_key_id == caller, APIIdempotencyKey.key == key
                )
            )
            if found is None:
                return None
            abandoned = found.answer is None and found.created_at <= now - CLAIM_TIMEOUT
            if found.expires_at <= now or abandoned:
                await session.delete(found)
                return None
            if found.request_hash != fingerprint:
                raise IdempotencyKeyReusedError(
                    "this Idempotency-Key was used with another request; use a new key"
                )
            if found.answer is None:
                raise IdempotencyKeyInProgressError(
                    "the first request with this Idempotency-Key is still queueing its job; retry"
                )
            return JobRequested.model_validate({**found.answer, "joined": True})


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
