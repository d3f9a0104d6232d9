"""Shared rate limits: `erp_rate_limit_keys`, one row per ERP limiter key that serialises the claims
of every process, and `erp_rate_limit_slots`, the request slots each key holds (see
`smartap_erp.http.slots` for why a slot is held from send until one window after the response, and
`smartap_erp.db.ratelimits` for the claim).

Times are Unix seconds (floats) on the limiter's clock, not datetimes: the limiter computes with
them (`done_at + window`) and tests run it on virtual clocks.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Double, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from smartap_erp.db.base import Base


class RateLimitKey(Base):
    """A limiter key (`quickbooks:realm:9130`); each claim updates its row first, which locks it."""

    __tablename__ = "erp_rate_limit_keys"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    claims: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")

    def __repr__(self) -> str:
        return f"RateLimitKey(key={self.key!r}, claims={self.claims})"


class RateLimitSlot(Base):
    """One held slot: a request (`window_name` None; in flight while `done_at` is None), or what the
    ERP reported for one window (`weight` calls used by others, or the window closed until later)."""

    __tablename__ = "erp_rate_limit_slots"
    __table_args__ = (Index("ix_erp_rate_limit_slots_key_done_at", "key", "done_at"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    key: Mapped[str] = mapped_column(String(255))
    sent_at: Mapped[float] = mapped_column(Double)
    done_at: Mapped[float | None] = mapped_column(Double)
    window_name: Mapped[str | None] = mapped_column(String(64))
    weight: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    def __repr__(self) -> str:
        return f"RateLimitSlot(key={self.key!r}, sent_at={self.sent_at}, done_at={self.done_at})"
