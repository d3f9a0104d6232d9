"""Outbound events to SmartAP (issue 16, item 2): `erp_events`, the outbox each event is written to in
the transaction of the change it reports; `erp_event_subscriptions`, where to send them (URL, the
Standard Webhooks secret encrypted with the credential vault, the event types, enabled or not);
`erp_event_deliveries`, one event on its way to one subscription (status, next attempt, the lease a
worker holds while sending it); `erp_event_delivery_attempts`, the delivery log (status code,
duration, error of each try; never the secret). Fan-out from events to deliveries and sending happen
on the workers (`smartap_erp.events.delivery`).
"""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from smartap_erp.db.base import Base, UUIDPrimaryKey, str_enum


class DeliveryStatus(enum.StrEnum):
    PENDING = "pending"  # waiting for its next attempt (the first one included)
    DELIVERED = "delivered"  # the receiver answered 2xx
    FAILED = "failed"  # given up: attempts exhausted, 410 Gone, or the subscription disabled


class ERPEvent(UUIDPrimaryKey, Base):
    __tablename__ = "erp_events"

    type: Mapped[str] = mapped_column(String(64), index=True)  # e.g. "invoice.exported"
    # Kept when the connection is deleted (the event still happened); None then.
    connection_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("erp_connections.id", ondelete="SET NULL"), index=True
    )
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    occurred_at: Mapped[dt.datetime] = mapped_column(index=True)
    # When a worker fanned it out into deliveries; None while still in the outbox.
    dispatched_at: Mapped[dt.datetime | None] = mapped_column(index=True)

    def __repr__(self) -> str:
        return f"ERPEvent(id={self.id!s}, type={self.type!r})"


class ERPEventSubscription(UUIDPrimaryKey, Base):
    __tablename__ = "erp_event_subscriptions"

    url: Mapped[str] = mapped_column(String(2048))
    description: Mapped[str | None] = mapped_column(String(255))
    secret: Mapped[bytes] = mapped_column(LargeBinary)  # vault ciphertext of {"secret": "whsec_..."}
    event_types: Mapped[list[str] | None] = mapped_column(JSON)  # None: every type, present and future
    enabled: Mapped[bool] = mapped_column(default=True)
    disabled_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]
    created_by: Mapped[str | None] = mapped_column(String(255))

    def __repr__(self) -> str:  # never the secret
        return f"ERPEventSubscription(id={self.id!s}, url={self.url!r}, enabled={self.enabled})"


class ERPEventDelivery(UUIDPrimaryKey, Base):
    __tablename__ = "erp_event_deliveries"
    __table_args__ = (Index("ix_erp_event_deliveries_status_next_attempt_at", "status", "next_attempt_at"),)

    event_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("erp_events.id", ondelete="CASCADE"), index=True)
    subscription_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("erp_event_subscriptions.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[DeliveryStatus] = mapped_column(
        str_enum(DeliveryStatus, "event_delivery_status"), default=DeliveryStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime | None]  # None once delivered or failed
    lease_holder: Mapped[str | None] = mapped_column(String(255))  # "host/pid" of the sender
    lease_expires_at: Mapped[dt.datetime | None]
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime]
    finished_at: Mapped[dt.datetime | None]
    replay_of: Mapped[uuid.UUID | None]  # the delivery this one replays (no FK: that one may be pruned)

    def __repr__(self) -> str:
        return f"ERPEventDelivery(id={self.id!s}, status={self.status!s}, attempts={self.attempts})"


class ERPEventDeliveryAttempt(UUIDPrimaryKey, Base):
    __tablename__ = "erp_event_delivery_attempts"

    delivery_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("erp_event_deliveries.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int] = mapped_column(Integer)  # 1 for the first try
    started_at: Mapped[dt.datetime]
    duration_ms: Mapped[int] = mapped_column(Integer)
    status_code: Mapped[int | None] = mapped_column(Integer)  # None: no answer (timeout, refused, ...)
    error: Mapped[str | None] = mapped_column(Text)  # None when delivered

    def __repr__(self) -> str:
        return f"ERPEventDeliveryAttempt(number={self.number}, status_code={self.status_code})"
