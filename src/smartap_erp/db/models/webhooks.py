"""`erp_webhook_events`: the change notifications QuickBooks and Xero pushed to our webhook receivers,
one row per event (not per request), kept so a redelivered event is recognised and so an operator can
see what arrived. `dedupe_key` is what makes an event the same one again: the CloudEvents `id` for
QuickBooks' new payload, realm + entity + id + operation + lastUpdated for its legacy one, and tenant +
category + resource + type + eventDateUtc for Xero (whose events carry no id); the unique (ERP, key)
pair decides the race between two deliveries of one event. `status` says what became of it: `received`
(saved, not yet acted on), `queued` (a targeted sync was requested for each matching connection),
`unmatched` (no connection has that realm or tenant), `ignored` (an entity no sync reads) or `failed`
(queueing failed; the schedule's polling still covers the change). Events carry ids only, never data.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from smartap_erp.db.base import Base, ERPSystemKey, UUIDPrimaryKey, utcnow
from smartap_erp.domain.enums import ERPSystem


class ERPWebhookEvent(UUIDPrimaryKey, Base):
    __tablename__ = "erp_webhook_events"
    __table_args__ = (UniqueConstraint("erp_system", "dedupe_key"),)

    erp_system: Mapped[ERPSystem] = mapped_column(ERPSystemKey())
    dedupe_key: Mapped[str] = mapped_column(String(255))
    account_id: Mapped[str] = mapped_column(String(255), index=True)  # QuickBooks realm id / Xero tenant id
    entity: Mapped[str] = mapped_column(String(64))  # "Bill", "BillPayment", "Vendor", "INVOICE", "CONTACT"
    entity_id: Mapped[str] = mapped_column(String(255))
    operation: Mapped[str] = mapped_column(String(32))  # "Update", "updated", "UPDATE", ...
    occurred_at: Mapped[dt.datetime | None]  # the ERP's timestamp: the source of truth for ordering
    received_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    status: Mapped[str] = mapped_column(String(16), default="received")
    detail: Mapped[str | None] = mapped_column(String(1000))  # jobs queued, or why none was

    def __repr__(self) -> str:
        return f"ERPWebhookEvent(erp={self.erp_system!s}, entity={self.entity!r}, status={self.status!r})"
