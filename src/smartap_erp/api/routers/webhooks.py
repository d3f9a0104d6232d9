"""The ERPs' webhook receivers: `POST /api/v1/erp/webhooks/quickbooks` and `POST
/api/v1/erp/webhooks/xero` (`app.webhooks` does the work).

They carry no API key: the signature of the raw body is what authenticates them (`intuit-signature`
under QUICKBOOKS_WEBHOOK_VERIFIER_TOKEN, `x-xero-signature` under XERO_WEBHOOK_KEY). A good signature
is answered 200 with no body as soon as the events are saved, and the targeted syncs are requested
after the answer has gone (a background task), because Intuit wants 200 within 3 seconds and Xero
within 5 (erp-api-facts §1.13, §2.11); a missing or wrong signature, or no secret configured, is 401
with no body. Xero's "intent to receive" check (an empty `events` list, some signed right and some
wrong) is met by the same rule; Xero also wants no body and no cookies in the answer, and neither
receiver sets any. A signed body that cannot be read, an event for a company no connection syncs, or
a job that cannot be requested is still 200: an error answer would make Intuit hold every later event
and Xero disable the webhook, while polling covers what a webhook missed.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, BackgroundTasks, Request, Response

from smartap_erp.api.deps import Ctx
from smartap_erp.api.routers.jobs import Queue
from smartap_erp.app import syncs, webhook_payloads, webhooks
from smartap_erp.app.context import AppContext
from smartap_erp.http.redact import get_logger

log = get_logger(__name__)
router = APIRouter(tags=["webhooks"])

_STRING = {"type": "string"}
_LEGACY = {
    "type": "object",
    "description": "QuickBooks' legacy payload",
    "properties": {
        "eventNotifications": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "realmId": _STRING,
                    "dataChangeEvent": {
                        "type": "object",
                        "properties": {
                            "entities": {
                                "type": "array",
                                "items": {
                                    "type": "object",
                                    "properties": {
                                        "name": _STRING,
                                        "id": _STRING,
                                        "operation": _STRING,
                                        "lastUpdated": _STRING,
                                        "deletedId": _STRING,
                                    },
                                },
                            }
                        },
                    },
                },
            },
        }
    },
}
_CLOUD_EVENTS = {
    "type": "array",
    "description": "QuickBooks' CloudEvents payload",
    "items": {
        "type": "object",
        "properties": {
            "specversion": _STRING,
            "id": _STRING,
            "source": _STRING,
            "type": {**_STRING, "example": "qbo.bill.updated.v1"},
            "time": _STRING,
            "intuitentityid": _STRING,
            "intuitaccountid": _STRING,
            "data": {"type": "object"},
        },
    },
}
_XERO = {
    "type": "object",
    "properties": {
        "events": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "resourceUrl": _STRING,
                    "resourceId": _STRING,
                    "eventDateUtc": _STRING,
                    "eventType": _STRING,
                    "eventCategory": _STRING,
                    "tenantId": _STRING,
                    "tenantType": _STRING,
                },
            },
        },
        "firstEventSequence": {"type": "integer"},
        "lastEventSequence": {"type": "integer"},
        "entropy": _STRING,
    },
}


def _spec(schema: dict[str, Any], header: str) -> dict[str, Any]:
    return {
        "requestBody": {"required": True, "content": {"application/json": {"schema": schema}}},
        "parameters": [
            {
                "name": header,
                "in": "header",
                "required": False,
                "schema": _STRING,
                "description": "base64 HMAC-SHA256 of the raw body under the app's webhook secret",
            }
        ],
    }


_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "Signature good: the events are saved (no body)", "content": None},
    401: {"description": "Signature missing or wrong, or no secret configured (no body)", "content": None},
}


async def _answer(
    ctx: AppContext, queue: syncs.JobQueue, erp: webhooks.ERP, request: Request, background: BackgroundTasks
) -> Response:
    body = await request.body()  # the raw bytes: the signature covers them exactly as sent
    try:
        received = await webhooks.receive(ctx, erp, body, request.headers.get(webhooks.SIGNATURE_HEADER[erp]))
    except webhooks.WebhookSignatureError:
        return Response(status_code=401)
    if received.new_ids:
        background.add_task(_dispatch, ctx, queue, erp, received.new_ids)
    return Response(status_code=200)


async def _dispatch(ctx: AppContext, queue: syncs.JobQueue, erp: webhooks.ERP, ids: list[Any]) -> None:
    try:
        await webhooks.dispatch(ctx, queue, erp, ids)
    except Exception:  # after the answer: logged; the events stay `received` and polling covers them
        log.exception("%s webhook: dispatching %d event(s) failed", erp, len(ids))


@router.post(
    "/api/v1/erp/webhooks/quickbooks",
    summary="QuickBooks Online webhook receiver (signed by intuit-signature)",
    status_code=200,
    response_class=Response,
    responses=_RESPONSES,
    openapi_extra=_spec({"oneOf": [_LEGACY, _CLOUD_EVENTS]}, webhook_payloads.QUICKBOOKS_HEADER),
)
async def quickbooks_webhook(
    ctx: Ctx, queue: Queue, request: Request, background: BackgroundTasks
) -> Response:
    return await _answer(ctx, queue, "quickbooks", request, background)


@router.post(
    "/api/v1/erp/webhooks/xero",
    summary="Xero webhook receiver (signed by x-xero-signature; intent to receive)",
    status_code=200,
    response_class=Response,
    responses=_RESPONSES,
    openapi_extra=_spec(_XERO, webhook_payloads.XERO_HEADER),
)
async def xero_webhook(ctx: Ctx, queue: Queue, request: Request, background: BackgroundTasks) -> Response:
    return await _answer(ctx, queue, "xero", request, background)
