"""Durable-job bookkeeping: `erp_sync_requests`, the sync requests that are queued but not yet running,
`erp_worker_heartbeats`, one row per worker saying when it was last seen alive, and
`erp_connection_leases`, the one run a connection may have at a time.

DBOS cannot deduplicate on a partitioned queue, yet a second request for a sync already queued must
join it. One row per (connection, request key) holds the queued workflow's id; the unique constraint
decides the race between two requesters, and the workflow deletes its row when it starts, so a
request arriving once the sync runs queues a new one (see docs/operations.md).
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
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


class WorkerHeartbeat(Base):
    """A worker's heartbeat: written every few seconds while it runs, removed when it stops. A worker
    not seen within `smartap_erp.jobs.heartbeat.ALIVE_WITHIN` is dead (killed, or its machine gone)."""

    __tablename__ = "erp_worker_heartbeats"

    worker_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    host: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[dt.datetime]
    seen_at: Mapped[dt.datetime]

    def __repr__(self) -> str:
        return f"WorkerHeartbeat(worker_id={self.worker_id!r}, seen_at={self.seen_at.isoformat()})"


class ERPConnectionLease(Base):
    """Who runs a job on a connection right now: at most one run per connection, whichever path
    started it (a worker's job, `--inline`, the demo). Claimed atomically, renewed while the run goes
    on, deleted when it ends; a holder that died stops renewing and its lease expires
    (`smartap_erp.jobs.lease`)."""

    __tablename__ = "erp_connection_leases"

    connection_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("erp_connections.id", ondelete="CASCADE"), primary_key=True
    )
    holder: Mapped[str] = mapped_column(String(255))  # "job WORKFLOW_ID", or "host/pid" in-process
    process: Mapped[str] = mapped_column(String(255))  # "host/pid" of the process running it now
    acquired_at: Mapped[dt.datetime]
    expires_at: Mapped[dt.datetime]

    def __repr__(self) -> str:
        return f"ERPConnectionLease(connection_id={self.connection_id!s}, holder={self.holder!r})"
