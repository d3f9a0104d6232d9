"""Outbound events to SmartAP (issue 16, item 2). Engine code raises an event with
`await record_event(session, "invoice.exported", connection_id=..., data={...})`, which writes it to
the outbox in the caller's transaction; the workers fan events out to the subscriptions and deliver
them signed per the Standard Webhooks specification, with retries and a delivery log (docs/events.md).
"""

from smartap_erp.events.outbox import record_event, stage_event
from smartap_erp.events.types import EVENT_TYPES, EventType, event_type

__all__ = ["EVENT_TYPES", "EventType", "event_type", "record_event", "stage_event"]
