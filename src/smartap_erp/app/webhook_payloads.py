"""What QuickBooks and Xero push to the webhook receivers, verified and read: `verify_signature` checks
the base64 HMAC-SHA256 of the raw body under the app's secret in constant time, and `parse_quickbooks`
/ `parse_xero` turn a verified body into `InboundEvent`s (ids only: webhooks never carry the record).

QuickBooks (docs/quickbooks.md §Webhooks, erp-api-facts §1.13): header `intuit-signature`, key = the
app's verifier token; two payload shapes are accepted, because Intuit's move to CloudEvents has an
UNCERTAIN cut-over date (15 May or 31 Jul 2026): the legacy object `{"eventNotifications": [{"realmId",
"dataChangeEvent": {"entities": [{name, id, operation, lastUpdated, deletedId?}]}}]}` and the
CloudEvents array `[{specversion, id, source, type: "qbo.bill.updated.v1", time, intuitentityid,
intuitaccountid, data}]`; either may name several companies (realms) in one request. Xero
(docs/xero.md §Webhooks, erp-api-facts §2.11): header `x-xero-signature`, key = the webhook key; the
body is `{"events": [{resourceUrl, resourceId, eventDateUtc, eventType, eventCategory, tenantId,
tenantType}], firstEventSequence, lastEventSequence, entropy}`, and an empty `events` list is the
"intent to receive" check. Each event gets a `dedupe_key`: the CloudEvents `id`, else the fields that
make it the same change again (legacy QuickBooks and Xero events carry no id of their own).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Any

QUICKBOOKS_HEADER = "intuit-signature"
XERO_HEADER = "x-xero-signature"
_KEY_MAX = 255


class WebhookPayloadError(ValueError):
    """A signed body that is not the ERP's webhook payload (not JSON, or not its shape)."""


@dataclass(frozen=True)
class InboundEvent:
    """One change the ERP notified: in which company (`account_id`: realm or tenant), what record."""

    erp: str
    account_id: str
    entity: str  # QuickBooks' entity name ("Bill", "Vendor") or Xero's category ("INVOICE", "CONTACT")
    entity_id: str
    operation: str  # "Update", "updated", "UPDATE" ... as the ERP spelled it
    occurred_at: dt.datetime | None
    dedupe_key: str


def sign(secret: str, body: bytes) -> str:
    """The base64 HMAC-SHA256 of `body` under `secret`, as both ERPs put it in their header."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode("ascii")


def verify_signature(secret: str, body: bytes, signature: str | None) -> bool:
    """Whether `signature` is `body`'s signature under `secret`: compared with `hmac.compare_digest`,
    so the time taken does not tell how much of a forged signature was right."""
    if not signature:
        return False
    expected = sign(secret, body).encode("ascii")
    return hmac.compare_digest(expected, signature.strip().encode("utf-8", "replace"))


def _json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise WebhookPayloadError(f"the body is not JSON: {exc}") from None


def _text(value: Any, what: str) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value.strip():
        raise WebhookPayloadError(f"{what} is missing or not text")
    return value.strip()[:_KEY_MAX]


def _instant(value: Any) -> dt.datetime | None:
    """An ISO 8601 time as aware UTC; None when absent or unreadable (the event still counts)."""
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:  # Xero's eventDateUtc is UTC without a designator
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC)


def _key(*parts: str) -> str:
    joined = "|".join(parts)
    if len(joined) <= _KEY_MAX:
        return joined
    return "sha256:" + hashlib.sha256(joined.encode()).hexdigest()


# ---- QuickBooks ---------------------------------------------------------------------------------
def parse_quickbooks(body: bytes) -> list[InboundEvent]:
    """The events of a QuickBooks webhook body, legacy or CloudEvents (see the module docstring)."""
    payload = _json(body)
    if isinstance(payload, list):
        return [_cloud_event(item, n) for n, item in enumerate(payload)]
    if isinstance(payload, dict) and isinstance(payload.get("eventNotifications"), list):
        return [event for note in payload["eventNotifications"] for event in _legacy(note)]
    raise WebhookPayloadError("expected an eventNotifications object or a CloudEvents array")


def _legacy(note: Any) -> list[InboundEvent]:
    if not isinstance(note, dict):
        raise WebhookPayloadError("an eventNotifications entry is not an object")
    realm = _text(note.get("realmId"), "eventNotifications[].realmId")
    change = note.get("dataChangeEvent") or {}
    entities = change.get("entities") if isinstance(change, dict) else None
    if not isinstance(entities, list):
        raise WebhookPayloadError("eventNotifications[].dataChangeEvent.entities is not a list")
    events = []
    for entity in entities:
        if not isinstance(entity, dict):
            raise WebhookPayloadError("a dataChangeEvent entity is not an object")
        name = _text(entity.get("name"), "entities[].name")
        ident = _text(entity.get("id"), "entities[].id")
        operation = _text(entity.get("operation"), "entities[].operation")
        updated = str(entity.get("lastUpdated") or "")
        events.append(
            InboundEvent(
                erp="quickbooks",
                account_id=realm,
                entity=name,
                entity_id=ident,
                operation=operation,
                occurred_at=_instant(updated),
                dedupe_key=_key("legacy", realm, name, ident, operation, updated),
            )
        )
    return events


def _cloud_event(item: Any, index: int) -> InboundEvent:
    if not isinstance(item, dict):
        raise WebhookPayloadError(f"CloudEvents entry {index} is not an object")
    kind = _text(item.get("type"), f"CloudEvents entry {index}: type")
    parts = kind.split(".")  # qbo.<entity>.<operation>.v<n>
    if len(parts) < 3 or parts[0] != "qbo":
        raise WebhookPayloadError(f"CloudEvents entry {index}: type {kind[:60]!r} is not qbo.<entity>.<op>")
    realm = _text(item.get("intuitaccountid"), f"CloudEvents entry {index}: intuitaccountid")
    return InboundEvent(
        erp="quickbooks",
        account_id=realm,
        entity=parts[1],
        entity_id=_text(item.get("intuitentityid"), f"CloudEvents entry {index}: intuitentityid"),
        operation=parts[2],
        occurred_at=_instant(item.get("time")),
        dedupe_key=_key("ce", _text(item.get("id"), f"CloudEvents entry {index}: id")),
    )


# ---- Xero ---------------------------------------------------------------------------------------
def parse_xero(body: bytes) -> list[InboundEvent]:
    """The events of a Xero webhook body; [] for the intent-to-receive check."""
    payload = _json(body)
    if not isinstance(payload, dict) or not isinstance(payload.get("events", []), list):
        raise WebhookPayloadError("expected an object with an events list")
    events = []
    for index, item in enumerate(payload.get("events") or []):
        if not isinstance(item, dict):
            raise WebhookPayloadError(f"events[{index}] is not an object")
        tenant = _text(item.get("tenantId"), f"events[{index}].tenantId").lower()
        category = _text(item.get("eventCategory"), f"events[{index}].eventCategory").upper()
        resource = _text(item.get("resourceId"), f"events[{index}].resourceId").lower()
        kind = _text(item.get("eventType"), f"events[{index}].eventType").upper()
        when = str(item.get("eventDateUtc") or "")
        events.append(
            InboundEvent(
                erp="xero",
                account_id=tenant,
                entity=category,
                entity_id=resource,
                operation=kind,
                occurred_at=_instant(when),
                dedupe_key=_key(tenant, category, resource, kind, when),
            )
        )
    return events
