"""The web UI's people and sign-ins: `erp_ui_users` (username, argon2 password hash, role: viewer,
operator or admin, disabled), `erp_ui_sessions` (one row per signed-in browser: only the SHA-256 of
the session token is stored, with absolute and idle expiry and revocation) and
`erp_ui_login_failures` (failed sign-ins, counted per username and per client address to rate limit
guessing). A password or a session token is never stored in plain text.
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from smartap_erp.db.base import Base, UUIDPrimaryKey, utcnow


class UIUser(UUIDPrimaryKey, Base):
    __tablename__ = "erp_ui_users"

    username: Mapped[str] = mapped_column(String(150), unique=True)  # stored lower-case
    password_hash: Mapped[str] = mapped_column(String(255))  # argon2id, with its parameters and salt
    role: Mapped[str] = mapped_column(String(16))  # "viewer", "operator" or "admin"
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    disabled_at: Mapped[dt.datetime | None] = mapped_column(default=None)

    def __repr__(self) -> str:  # never the hash
        return f"UIUser(username={self.username!r}, role={self.role!r})"


class UISession(UUIDPrimaryKey, Base):
    __tablename__ = "erp_ui_sessions"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("erp_ui_users.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)  # hex SHA-256 of the cookie value
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column()
    revoked_at: Mapped[dt.datetime | None] = mapped_column(default=None)

    def __repr__(self) -> str:
        return f"UISession(id={self.id!s}, user_id={self.user_id!s})"


class UILoginFailure(UUIDPrimaryKey, Base):
    __tablename__ = "erp_ui_login_failures"
    __table_args__ = (
        Index("ix_erp_ui_login_failures_username_at", "username", "at"),
        Index("ix_erp_ui_login_failures_client_at", "client", "at"),
    )

    username: Mapped[str] = mapped_column(String(150))
    client: Mapped[str] = mapped_column(String(64))  # the client's address as the server saw it
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
