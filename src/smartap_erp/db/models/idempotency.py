"""`erp_api_idempotency_keys`: the `Idempotency-Key`s the REST API has seen on export requests, per API
key, for 24 hours. A row is claimed (inserted, `job_id` null) before the job is queued and completed
with the job afterwards; the unique (API key, key) pair is what makes two concurrent requests with one
key queue one job: the second insert fails and that request is answered from the row (in progress:
409; done: the job, `joined`). `request_hash` is a SHA-256 of the request, so a key reused with another
request is refused; the request itself is not stored. Rows go with their API key.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from smartap_erp.db.base import Base, UUIDPrimaryKey


class APIIdempotencyKey(UUIDPrimaryKey, Base):
    __tablename__ = "erp_api_idempotency_keys"
    __table_args__ = (UniqueConstraint("api_key_id", "key", name="uq_erp_api_idempotency_keys_api_key_key"),)

    api_key_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("erp_api_keys.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(255))  # the header's value, as sent
    request_hash: Mapped[str] = mapped_column(String(64))  # hex SHA-256 of the request
    job_id: Mapped[str | None] = mapped_column(String(255))  # None while the first request is queueing
    answer: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # the job as first answered
    created_at: Mapped[dt.datetime]
    expires_at: Mapped[dt.datetime] = mapped_column(index=True)

    def __repr__(self) -> str:
        return f"APIIdempotencyKey(key={self.key!r}, job_id={self.job_id!r})"
