"""The ERP side: the seed's five tables (connections, sync logs, field mappings, vendor and invoice
mappings) with every column it lists, plus what sync needs: cursors, the conflict review queue and
purchase-order mappings.

`ERPConnection.credentials` holds ciphertext only (see `smartap_erp.db.vault`); nothing here ever
decrypts it, and no repr shows it.
"""

from __future__ import annotations

import datetime as dt
import uuid
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from smartap_erp.db.base import (
    Base,
    ERPSystemKey,
    TimeOrderedPrimaryKey,
    Timestamps,
    UUIDPrimaryKey,
    str_enum,
    utcnow,
)
from smartap_erp.domain.enums import (
    ConflictStatus,
    ConnectionStatus,
    ERPEntity,
    ERPSystem,
    PaymentStatus,
    SyncDirection,
    SyncStatus,
)

_CONNECTION_FK = "erp_connections.id"


class ERPConnection(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "erp_connections"

    name: Mapped[str] = mapped_column(String(255), unique=True)  # how the CLI names it (migration 0006)
    # Any registered provider's key (migration 0009 dropped the CHECK that listed the seed's seven).
    system_type: Mapped[ERPSystem] = mapped_column(ERPSystemKey())
    status: Mapped[ConnectionStatus] = mapped_column(
        str_enum(ConnectionStatus, "connection_status"), default=ConnectionStatus.PENDING
    )
    # Fernet ciphertext of the JSON credentials; bumped version on every write (token rotation CAS).
    credentials: Mapped[bytes] = mapped_column(LargeBinary)
    credentials_version: Mapped[int] = mapped_column(default=1)
    tenant_id: Mapped[str | None] = mapped_column(String(255))
    company_db: Mapped[str | None] = mapped_column(String(255))
    api_url: Mapped[str | None] = mapped_column(String(2048))
    last_connected_at: Mapped[dt.datetime | None]
    last_sync_at: Mapped[dt.datetime | None]
    connection_error: Mapped[str | None] = mapped_column(Text)
    auto_sync_enabled: Mapped[bool] = mapped_column(default=True)
    sync_interval_minutes: Mapped[int] = mapped_column(default=60)
    created_by: Mapped[str | None] = mapped_column(String(255))
    # Per entity ("vendor", "purchase_order", ...): smartap_wins | erp_wins | newest_wins | manual.
    conflict_policies: Mapped[dict[str, str]] = mapped_column(JSON, default=dict, server_default=text("'{}'"))
    # An invoice dated in a period the ERP closed (migration 0020): review | redate | draft (Xero only);
    # sync.export.guards.ClosedPeriodPolicy.
    closed_period_policy: Mapped[str] = mapped_column(String(16), default="review", server_default="review")
    # Made by `smartap-erp demo`: its simulators live only as long as the demo's worker
    # (`demo_worker_id`, judged by its heartbeat); schedules skip it once that worker is gone.
    is_demo: Mapped[bool] = mapped_column(default=False, server_default=false())
    demo_worker_id: Mapped[str | None] = mapped_column(String(255))

    sync_logs: Mapped[list[ERPSyncLog]] = relationship(
        back_populates="connection", cascade="all, delete-orphan", passive_deletes=True
    )
    field_mappings: Mapped[list[ERPFieldMapping]] = relationship(
        back_populates="connection", cascade="all, delete-orphan", passive_deletes=True
    )

    def __repr__(self) -> str:
        return f"ERPConnection(id={self.id!s}, name={self.name!r}, system_type={self.system_type!s})"


FAILED_OR_PARTIAL = "status IN ('failed', 'partial')"


class ERPSyncLog(UUIDPrimaryKey, Base):
    __tablename__ = "erp_sync_logs"
    # The API's log list by connection, newest first, reads one page (migration 0014); a connection's
    # recent failures (health, the UI's connections screen) read a small partial index (migration 0022).
    __table_args__ = (
        Index("ix_erp_sync_logs_connection_started", "connection_id", "started_at", "id"),
        Index(
            "ix_erp_sync_logs_connection_failures",
            "connection_id",
            "started_at",
            "id",
            sqlite_where=text(FAILED_OR_PARTIAL),
            postgresql_where=text(FAILED_OR_PARTIAL),
        ),
    )

    connection_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey(_CONNECTION_FK, ondelete="CASCADE"), index=True
    )
    entity_type: Mapped[ERPEntity] = mapped_column(str_enum(ERPEntity, "sync_log_entity"))
    sync_direction: Mapped[SyncDirection] = mapped_column(str_enum(SyncDirection, "sync_direction"))
    status: Mapped[SyncStatus] = mapped_column(
        str_enum(SyncStatus, "sync_status"), default=SyncStatus.PENDING
    )
    started_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    completed_at: Mapped[dt.datetime | None]
    duration_seconds: Mapped[int | None]
    total_count: Mapped[int] = mapped_column(default=0)
    success_count: Mapped[int] = mapped_column(default=0)
    error_count: Mapped[int] = mapped_column(default=0)
    errors: Mapped[list[Any]] = mapped_column(JSON, default=list)
    error_message: Mapped[str | None] = mapped_column(Text)
    # What kind of error failed the run (migration 0015): one of smartap_erp.sync.error_kinds.ErrorKind
    # ("auth", "rate_limit", "period_locked", ...); null when the run did not fail.
    error_kind: Mapped[str | None] = mapped_column(String(32))
    sync_params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    triggered_by: Mapped[str] = mapped_column(String(255), default="system")
    # Who runs it, so a run that died is closed, not left in_progress (smartap_erp.sync.logs): the
    # DBOS workflow of a job, else the process ("host/pid") of an in-process run.
    workflow_id: Mapped[str | None] = mapped_column(String(255), index=True)
    runner: Mapped[str | None] = mapped_column(String(255))

    connection: Mapped[ERPConnection] = relationship(back_populates="sync_logs")


class ERPFieldMapping(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "erp_field_mappings"

    connection_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey(_CONNECTION_FK, ondelete="CASCADE"), index=True
    )
    entity_type: Mapped[ERPEntity] = mapped_column(str_enum(ERPEntity, "field_mapping_entity"))
    smartap_field: Mapped[str] = mapped_column(String(255))
    erp_field: Mapped[str] = mapped_column(String(255))
    transformation_rule: Mapped[str | None] = mapped_column(Text)
    default_value: Mapped[str | None] = mapped_column(String(1024))
    is_required: Mapped[bool] = mapped_column(default=False)
    validation_regex: Mapped[str | None] = mapped_column(String(1024))
    description: Mapped[str | None] = mapped_column(Text)

    connection: Mapped[ERPConnection] = relationship(back_populates="field_mappings")


class ERPVendorLink(TimeOrderedPrimaryKey, Timestamps, Base):
    """One SmartAP vendor <-> one ERP vendor, per connection, in both directions."""

    __tablename__ = "erp_vendor_mappings"
    __table_args__ = (
        UniqueConstraint("connection_id", "smartap_vendor_id"),
        UniqueConstraint("connection_id", "erp_vendor_id"),
    )

    connection_id: Mapped[uuid.UUID] = mapped_column(ForeignKey(_CONNECTION_FK, ondelete="CASCADE"))
    smartap_vendor_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("vendors.id", ondelete="CASCADE"), index=True
    )
    erp_vendor_id: Mapped[str] = mapped_column(String(255))
    erp_vendor_name: Mapped[str | None] = mapped_column(String(255))
    first_synced_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_synced_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    sync_count: Mapped[int] = mapped_column(default=1)
    is_active: Mapped[bool] = mapped_column(default=True)
    erp_version: Mapped[str | None] = mapped_column(
        String(64), doc="the ERP's version token when last synced"
    )
    erp_updated_at: Mapped[dt.datetime | None]
    synced_hash: Mapped[str | None] = mapped_column(String(64), doc="hash of the record both sides agreed on")


class ERPInvoiceLink(UUIDPrimaryKey, Timestamps, Base):
    """An exported invoice: which ERP bill it became and how much of it is paid."""

    __tablename__ = "erp_invoice_mappings"
    __table_args__ = (
        UniqueConstraint("connection_id", "smartap_invoice_id"),
        UniqueConstraint("connection_id", "erp_invoice_id"),
    )

    connection_id: Mapped[uuid.UUID] = mapped_column(ForeignKey(_CONNECTION_FK, ondelete="CASCADE"))
    smartap_invoice_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("invoices.id", ondelete="RESTRICT"), index=True
    )
    erp_invoice_id: Mapped[str] = mapped_column(String(255))
    erp_invoice_number: Mapped[str | None] = mapped_column(String(255))
    exported_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    exported_by: Mapped[str | None] = mapped_column(String(255))
    payment_status: Mapped[PaymentStatus] = mapped_column(
        str_enum(PaymentStatus, "payment_status"), default=PaymentStatus.UNPAID
    )
    payment_synced_at: Mapped[dt.datetime | None]
    payment_amount: Mapped[int] = mapped_column(BigInteger, default=0)  # minor units (cents)
    payment_currency: Mapped[str | None] = mapped_column(String(3))


class ExportState(StrEnum):
    """An export's life: pending (written before calling the ERP), sent (the call is out), confirmed
    (the ERP has the bill and the mapping is stored), failed (refused; a person must fix the invoice)."""

    PENDING = "pending"
    SENT = "sent"
    CONFIRMED = "confirmed"
    FAILED = "failed"


class ERPExportOutbox(UUIDPrimaryKey, Timestamps, Base):
    """One row per (connection, invoice) export, written before the ERP is called, so a crash or retry
    at any point resumes the same export with the same idempotency key instead of starting another."""

    __tablename__ = "erp_export_outbox"
    __table_args__ = (
        UniqueConstraint("connection_id", "smartap_invoice_id"),
        UniqueConstraint("connection_id", "idempotency_key"),
    )

    connection_id: Mapped[uuid.UUID] = mapped_column(ForeignKey(_CONNECTION_FK, ondelete="CASCADE"))
    smartap_invoice_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("invoices.id", ondelete="RESTRICT"), index=True
    )
    idempotency_key: Mapped[str] = mapped_column(String(64))
    state: Mapped[ExportState] = mapped_column(
        str_enum(ExportState, "export_state"), default=ExportState.PENDING, index=True
    )
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    erp_invoice_id: Mapped[str | None] = mapped_column(String(255))
    sent_at: Mapped[dt.datetime | None]
    confirmed_at: Mapped[dt.datetime | None]


class ERPPurchaseOrderLink(TimeOrderedPrimaryKey, Timestamps, Base):
    __tablename__ = "erp_po_mappings"
    __table_args__ = (
        UniqueConstraint("connection_id", "smartap_po_id"),
        UniqueConstraint("connection_id", "erp_po_id"),
    )

    connection_id: Mapped[uuid.UUID] = mapped_column(ForeignKey(_CONNECTION_FK, ondelete="CASCADE"))
    smartap_po_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("purchase_orders.id", ondelete="CASCADE"), index=True
    )
    erp_po_id: Mapped[str] = mapped_column(String(255))
    erp_po_number: Mapped[str | None] = mapped_column(String(255))
    first_synced_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_synced_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    sync_count: Mapped[int] = mapped_column(default=1)
    erp_version: Mapped[str | None] = mapped_column(String(64))
    erp_updated_at: Mapped[dt.datetime | None]
    synced_hash: Mapped[str | None] = mapped_column(String(64))


class ERPSyncCursor(UUIDPrimaryKey, Timestamps, Base):
    """Where the next incremental read of one entity starts, per connection."""

    __tablename__ = "erp_sync_cursors"
    __table_args__ = (UniqueConstraint("connection_id", "entity_type"),)

    connection_id: Mapped[uuid.UUID] = mapped_column(ForeignKey(_CONNECTION_FK, ondelete="CASCADE"))
    entity_type: Mapped[ERPEntity] = mapped_column(str_enum(ERPEntity, "cursor_entity"))
    cursor_time: Mapped[dt.datetime | None] = mapped_column(doc="ERP change time already fully imported")
    cursor_value: Mapped[str | None] = mapped_column(String(1024), doc="opaque ERP cursor, if any")
    last_full_sync_at: Mapped[dt.datetime | None]


class ERPConflict(TimeOrderedPrimaryKey, Timestamps, Base):
    """A record changed on both sides since the last sync, waiting for a person to choose."""

    __tablename__ = "erp_conflicts"
    # A page's import looks up the open conflicts of its records (`planning.write_conflicts`): by
    # record, not by scanning the connection's conflicts, which grow with every sync (migration 0024).
    __table_args__ = (
        Index("ix_erp_conflicts_record", "connection_id", "entity_type", "status", "erp_record_id"),
    )

    connection_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey(_CONNECTION_FK, ondelete="CASCADE"), index=True
    )
    entity_type: Mapped[ERPEntity] = mapped_column(str_enum(ERPEntity, "conflict_entity"))
    smartap_record_id: Mapped[uuid.UUID | None]
    erp_record_id: Mapped[str] = mapped_column(String(255))
    smartap_version: Mapped[dict[str, Any]] = mapped_column(JSON)
    erp_version: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[ConflictStatus] = mapped_column(
        str_enum(ConflictStatus, "conflict_status"), default=ConflictStatus.OPEN, index=True
    )
    resolution: Mapped[str | None] = mapped_column(String(32), doc="smartap | erp, once resolved")
    resolved_by: Mapped[str | None] = mapped_column(String(255))
    resolved_at: Mapped[dt.datetime | None]
