"""`erp_api_keys`: the keys the REST API accepts. Only a SHA-256 hash of each key is stored (the key is
32 random bytes, so a plain hash cannot be brute-forced and needs no salt or slow KDF), with its first
8 characters (`prefix`) to tell keys apart in a list. A revoked key keeps its row (who had access, and
until when) and is refused at once: verification reads `revoked_at` on every request.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from smartap_erp.db.base import Base, UUIDPrimaryKey, utcnow


class APIKey(UUIDPrimaryKey, Base):
    __tablename__ = "erp_api_keys"

    name: Mapped[str] = mapped_column(String(255))
    scope: Mapped[str] = mapped_column(String(16))  # "read", "write" or "admin"
    prefix: Mapped[str] = mapped_column(String(16))  # the key's first 8 characters, for display
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)  # hex SHA-256 of the whole key
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(default=None)

    def __repr__(self) -> str:  # never the hash: it identifies the key
        return f"APIKey(name={self.name!r}, prefix={self.prefix!r}, scope={self.scope!r})"
