"""The outbound event types SmartAP can subscribe to (issue 16, item 2), dot.separated `subject.verb`.

The list is closed: recording or subscribing to a type not listed here is a `ValueError` naming the
known ones, so a typo in a caller fails its tests instead of sending events nobody subscribed to.
New types are added here (and to docs/events.md) before anything raises them.
"""

from __future__ import annotations

import enum


class EventType(enum.StrEnum):
    CONNECTION_BROKEN = "connection.broken"
    CONNECTION_RECOVERED = "connection.recovered"
    SYNC_COMPLETED = "sync.completed"
    SYNC_FAILED = "sync.failed"
    INVOICE_EXPORTED = "invoice.exported"
    INVOICE_EXPORT_FAILED = "invoice.export_failed"
    INVOICE_PAYMENT_CHANGED = "invoice.payment_changed"
    INVOICE_NEEDS_REVIEW = "invoice.needs_review"
    BILL_VOIDED = "bill.voided"
    CONFLICT_CREATED = "conflict.created"
    VENDOR_DEACTIVATED = "vendor.deactivated"
    RECONCILIATION_DRIFT = "reconciliation.drift"


EVENT_TYPES: frozenset[str] = frozenset(member.value for member in EventType)


def event_type(value: str) -> EventType:
    """The `EventType` named by `value`; a `ValueError` listing the known types when there is none."""
    try:
        return EventType(value)
    except ValueError:
        raise ValueError(
            f"unknown event type {value!r}; known types: {', '.join(sorted(EVENT_TYPES))}"
        ) from None
