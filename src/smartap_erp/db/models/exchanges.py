"""The HTTP exchanges of a sync run (`erp_sync_log_exchanges`): one row per request the run sent to
the ERP, every attempt of a retried request included, in the order sent (`seq`). The URL is stored
redacted (`smartap_erp.http.redact`), never a header or a body; `status` is None when no response
came (a transport error, named in `error`); `erp_code` is the ERP's own error code from an error body.
A run keeps its first exchanges and all its failures (`smartap_erp.http.recorder`); the rows go with
their sync log when it is deleted.
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from smartap_erp.db.base import Base, UUIDPrimaryKey


class ERPSyncLogExchange(UUIDPrimaryKey, Base):
    __tablename__ = "erp_sync_log_exchanges"
    __table_args__ = (Index("ix_erp_sync_log_exchanges_log_seq", "sync_log_id", "seq", unique=True),)

    sync_log_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("erp_sync_logs.id", ondelete="CASCADE"))
    seq: Mapped[int]  # 1, 2, ... in the order the run sent them (gaps: exchanges not kept)
    method: Mapped[str] = mapped_column(String(16))
    url: Mapped[str] = mapped_column(String(2048))  # redacted
    status: Mapped[int | None]  # None: no response (transport error)
    duration_ms: Mapped[int]
    erp_code: Mapped[str | None] = mapped_column(String(128))
    error: Mapped[str | None] = mapped_column(String(255))  # the transport error's type, if any
    at: Mapped[dt.datetime] = mapped_column(index=True)  # when the request was sent (UTC)

    def __repr__(self) -> str:
        return f"ERPSyncLogExchange(seq={self.seq}, method={self.method!r}, status={self.status})"
