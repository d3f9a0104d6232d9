"""Durable-job bookkeeping: `erp_sync_requests`, the sync requests that are queued but not yet running.

DBOS cannot deduplicate on a partitioned queue, yet a second request for a sync already queued must
join it. One row per (connection, request key) holds the queued workflow's id; the unique constraint
decides the race between two requesters, and the workflow deletes its row when it starts, so a
request arriving once the sync runs queues a new one (see docs/operations.md).
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from smartap_erp.db.base import Base, UUIDPrimaryKey, utcnow


class ERPSyncRequest(UUIDPrimaryKey, Base):
    __tablename__ = "erp_sync_requests"
    __table_args__ = (UniqueConstraint("connection_id", "request_key"),)

    connection_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("erp_connections.id", ondelete="CASCADE"))
    # What was asked: the kind of job and its parameters, e.g. "sync:purchase_order,vendor|since=|limit=".
    request_key: Mapped[str] = mapped_column(String(255))
    workflow_id: Mapped[str] = mapped_column(String(255))
    requested_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    def __repr__(self) -> str:
        return f"ERPSyncRequest(connection_id={self.connection_id!s}, key={self.request_key!r})"
