"""OAuth 2.0 connect flows in progress (`erp_oauth_flows`): one row per authorize redirect, found by
the SHA-256 of its `state` (the state itself is never stored), single use (`used_at`) and short-lived
(`expires_at`). It names the connection to reconnect, or the name of one to create at the callback.
`secrets` is vault ciphertext (the PKCE verifier, and, while a Xero login with several organisations
waits for its choice, the token pair already issued); no repr shows it.
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from smartap_erp.db.base import Base, ERPSystemKey, UUIDPrimaryKey, utcnow
from smartap_erp.domain.enums import ERPSystem


class OAuthFlow(UUIDPrimaryKey, Base):
    __tablename__ = "erp_oauth_flows"

    # SHA-256 hex of the state (or, while a tenant is chosen, of the choice token).
    state_hash: Mapped[str] = mapped_column(String(64), unique=True)
    system_type: Mapped[ERPSystem] = mapped_column(ERPSystemKey())
    connection_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("erp_connections.id", ondelete="CASCADE"), index=True
    )
    connection_name: Mapped[str | None] = mapped_column(String(255))  # a connection to create
    api_url: Mapped[str | None] = mapped_column(String(2048))  # the ERP root (simulators, tests)
    redirect_uri: Mapped[str] = mapped_column(String(2048))
    secrets: Mapped[bytes] = mapped_column(LargeBinary)
    stage: Mapped[str] = mapped_column(String(16), default="authorize")  # authorize | choose_tenant
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime]
    used_at: Mapped[dt.datetime | None]

    def __repr__(self) -> str:
        return f"OAuthFlow(id={self.id!s}, system_type={self.system_type!s}, stage={self.stage!r})"
