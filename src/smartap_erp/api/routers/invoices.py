"""Invoices over HTTP, at the seed's paths under `/api/v1/erp/invoices`: SmartAP pushes its invoices
(one JSON object or a list, each checked as a JSON import file's invoice is, with a result per item),
lists them (newest first, by cursor), approves one, queues the export of one or several to a
connection (`Idempotency-Key` honoured) or the payment sync of the connections holding a bill, and
reads where one stands (`/status`: not synced, queued, synced, failed or needs review, with the ERP's
bill id, the amount paid and the payment status).

An invoice is addressed by its id or its number (`?vendor=` narrows a number two vendors share). Every
endpoint but the reads needs a `write` key; exports and payment syncs are queued for the workers and
answered 202 with the job (never run in the request). Each endpoint calls `app.invoices`,
`app.invoice_actions` or `app.records`; none holds SQL.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any, Self

from fastapi import APIRouter, Header, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, model_validator

from smartap_erp.api.deps import Ctx, ReadKey, WriteKey
from smartap_erp.api.routers.jobs import JobAccepted, Queue, accepted
from smartap_erp.app import invoice_actions, invoices, records
from smartap_erp.app.api_keys import APIKeyInfo
from smartap_erp.app.context import AppContext
from smartap_erp.app.invoice_actions import IdempotencyKeys, PushResult
from smartap_erp.app.records import MAX_PAGE, InvoicePage, InvoicePageFilter
from smartap_erp.app.syncs import JobRequested
from smartap_erp.domain.enums import InvoiceStatus
from smartap_erp.errors import ConfigurationError
from smartap_erp.invoices.schema import InvoiceInput

PREFIX = "/api/v1/erp/invoices"
MAX_BODY = 10 * 2**20  # bytes of a pushed batch
MAX_EXPORT = 1000  # invoices named in one batch export


router = APIRouter(prefix=PREFIX, tags=["invoices"])

Vendor = Annotated[
    str | None, Query(max_length=255, description="narrows an invoice number two vendors share")
]


def _inlined(node: Any, defs: dict[str, Any]) -> Any:
    """A JSON schema with its `$defs` references replaced by the definitions (they do not nest)."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            return _inlined(defs[ref.removeprefix("#/$defs/")], defs)
        return {k: _inlined(v, defs) for k, v in node.items() if k != "$defs"}
    if isinstance(node, list):
        return [_inlined(v, defs) for v in node]
    return node


def _push_body() -> dict[str, Any]:
    # The body is read by the import's own JSON reader (exact decimals, each invoice checked on its
    # own), so FastAPI does not parse it: the spec gets its schema here, self-contained.
    schema = TypeAdapter(InvoiceInput | list[InvoiceInput]).json_schema()
    body = _inlined(schema, schema.get("$defs", {}))
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": body}}}}


class ApproveBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    approved_by: str | None = Field(
        None, min_length=1, max_length=255, description="default: the API key's name"
    )


class ExportBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    connection: str = Field(min_length=1, max_length=255, description="the connection's id or name")


class BatchExportBody(ExportBody):
    invoices: list[Annotated[str, Field(min_length=1, max_length=255)]] | None = Field(
        None, min_length=1, max_length=MAX_EXPORT, description="numbers or ids; left out: every approved one"
    )
    vendor: str | None = Field(None, min_length=1, max_length=255, description="narrows shared numbers")

    @model_validator(mode="after")
    def _vendor_needs_numbers(self) -> Self:
        if self.vendor is not None and self.invoices is None:
            raise ValueError("a vendor narrows invoice numbers; name the invoices to export")
        return self


class PaymentJobs(BaseModel):
    """One payment-sync job per connection holding the invoice's bill."""

    jobs: list[JobAccepted]


@router.post("", summary="Push invoices (one or a list); a result per item", openapi_extra=_push_body())
async def push(request: Request, ctx: Ctx, _: WriteKey) -> PushResult:
    """Each invoice is checked on its own: the valid ones are stored, the others refused with their
    reason (unknown vendor, already imported, an amount not exact in the currency ...)."""
    body = await request.body()
    if len(body) > MAX_BODY:
        raise ConfigurationError(f"the body is larger than {MAX_BODY // 2**20} MiB")
    return await invoice_actions.push(ctx, invoice_actions.parse_push(body))


@router.get("", summary="Invoices, newest first")
async def list_invoices(
    ctx: Ctx,
    _: ReadKey,
    status: InvoiceStatus | None = None,
    vendor: Annotated[str | None, Query(min_length=1, max_length=255, description="name or tax id")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
    cursor: Annotated[
        str | None, Query(max_length=1024, description="`next_cursor` of the previous page")
    ] = None,
) -> InvoicePage:
    query = InvoicePageFilter(status=status, vendor=vendor, limit=limit, cursor=cursor)
    return await records.list_invoices(ctx, query)


@router.post("/{invoice_id}/approve", summary="Approve a pending invoice")
async def approve(
    invoice_id: str, ctx: Ctx, caller: WriteKey, vendor: Vendor = None, body: ApproveBody | None = None
) -> invoices.ApprovalResult:
    """An invoice that is not pending is left as it is and named in `not_pending`."""
    by = (body.approved_by if body else None) or f"api key {caller.name}"
    request = invoices.ApprovalRequest(references=[invoice_id], vendor=vendor, approved_by=by[:255])
    return await invoices.approve(ctx, request, with_invoices=True)


IdempotencyKey = Annotated[
    str | None,
    Header(min_length=1, max_length=255, description="the same key and request answer the same job"),
]


async def _queue_export(
    ctx: AppContext,
    response: Response,
    caller: APIKeyInfo,
    key: str | None,
    queue_it: Callable[[], Awaitable[JobRequested]],
    *request_parts: object,
) -> JobAccepted:
    """Queue an export, or with an `Idempotency-Key` answer the job the same key and request queued
    (`joined: true`); the key with another request is refused (422), and while the first request with
    the key is still queueing, a second one is 409 (retry)."""
    if key is None:
        return accepted(response, await queue_it())
    keys = IdempotencyKeys(ctx)  # kept in the database: across restarts and server processes
    fingerprint = keys.fingerprint("export", *request_parts)
    return accepted(response, await keys.once(caller.id, key, fingerprint, queue_it))


@router.post(
    "/export", status_code=202, summary="Queue the export of several invoices, or of every approved one"
)
async def export_many(
    body: BatchExportBody,
    ctx: Ctx,
    queue: Queue,
    response: Response,
    caller: WriteKey,
    idempotency_key: IdempotencyKey = None,
) -> JobAccepted:
    """`invoices` names them (numbers or ids, `vendor` narrowing shared numbers); left out, every
    approved invoice not yet exported to the connection. One job, batches of invoices inside it."""
    by = f"api key {caller.name}"

    def queue_it() -> Awaitable[JobRequested]:
        return invoice_actions.export(ctx, queue, body.invoices, body.connection, vendor=body.vendor, by=by)

    return await _queue_export(ctx, response, caller, idempotency_key, queue_it, body.model_dump())


@router.post("/{invoice_id}/export", status_code=202, summary="Queue the export of an invoice")
async def export(
    invoice_id: str,
    body: ExportBody,
    ctx: Ctx,
    queue: Queue,
    response: Response,
    caller: WriteKey,
    vendor: Vendor = None,
    idempotency_key: IdempotencyKey = None,
) -> JobAccepted:
    """The same `Idempotency-Key` with the same request answers the job it queued (`joined: true`);
    with another request it is refused (422)."""
    by = f"api key {caller.name}"

    def queue_it() -> Awaitable[JobRequested]:
        return invoice_actions.export(ctx, queue, [invoice_id], body.connection, vendor=vendor, by=by)

    return await _queue_export(
        ctx, response, caller, idempotency_key, queue_it, invoice_id, vendor, body.model_dump()
    )


@router.post("/{invoice_id}/sync-payment", status_code=202, summary="Queue the payment sync of an invoice")
async def sync_payment(
    invoice_id: str, ctx: Ctx, queue: Queue, response: Response, caller: WriteKey, vendor: Vendor = None
) -> PaymentJobs:
    """A payment sync reads every exported bill of a connection: one job per connection holding this
    invoice's bill. 409 when no ERP holds it yet."""
    found = await invoice_actions.sync_payment(
        ctx, queue, invoice_id, vendor=vendor, by=f"api key {caller.name}"
    )
    jobs = [accepted(response, requested) for requested in found]
    return PaymentJobs(jobs=jobs)


@router.get("/{invoice_id}/status", summary="Where an invoice stands with every ERP it went to")
async def status(invoice_id: str, ctx: Ctx, _: ReadKey, vendor: Vendor = None) -> invoices.InvoiceSyncStatus:
    return await invoices.invoice_status(ctx, invoice_id, vendor=vendor)
