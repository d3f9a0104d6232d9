"""`erp_reconciliation_reports` (issue 16, item 6): one reconciliation run of a connection. For each
object (vendors, purchase orders, bills, payments) `objects` holds the counts and per-currency totals
on each side (SmartAP's database and the ERP, money as decimal strings) and how many differences were
found; `differences` lists them (missing on one side, amount differs, status differs; the first 1,000,
`difference_count` is the true number). `request_count` is how many requests the ERP was sent, against
the `request_budget` the run was given; a run that would exceed it stops and says so in `error`.
`status` is running, completed or failed. Rows go with their connection.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from smartap_erp.db.base import Base, UUIDPrimaryKey, utcnow


class ERPReconciliationReport(UUIDPrimaryKey, Base):
    __tablename__ = "erp_reconciliation_reports"
    __table_args__ = (
        Index("ix_erp_reconciliation_reports_connection_id_started_at", "connection_id", "started_at"),
    )

    connection_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("erp_connections.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(16), default="running")  # running | completed | failed
    triggered_by: Mapped[str] = mapped_column(String(255))  # "cli:alice", "api:key-name", "schedule"
    job_id: Mapped[str | None] = mapped_column(String(255))  # the worker's workflow id, if run as a job
    started_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[dt.datetime | None]
    objects: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    differences: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    difference_count: Mapped[int] = mapped_column(Integer, default=0)
    request_count: Mapped[int] = mapped_column(Integer, default=0)
    request_budget: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)

    def __repr__(self) -> str:
        return f"ERPReconciliationReport(id={self.id!s}, status={self.status!r})"
