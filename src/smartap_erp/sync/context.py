"""`SyncContext`: what every sync operation needs, passed explicitly (no globals): the session factory,
the credential vault, settings, the clock, and options for opening connectors (injected transport,
sleep, limiters in tests and benchmarks).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from smartap_erp.connectors.base import ERPConnector
from smartap_erp.db.models import ERPConnection
from smartap_erp.db.vault import CredentialVault
from smartap_erp.settings import Settings
from smartap_erp.sync.connectors import open_connector
from smartap_erp.sync.export.refdata import ReferenceCache


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass
class SyncContext:
    session_factory: async_sessionmaker[AsyncSession]
    vault: CredentialVault
    settings: Settings | None = None
    now: Callable[[], dt.datetime] = _utcnow
    connector_options: dict[str, Any] = field(default_factory=dict)
    # Per-connection overrides of connector_options (tests mount one simulator per connection).
    options_by_connection: dict[Any, dict[str, Any]] = field(default_factory=dict)
    # Accounts and tax codes export reads, shared by every step of a run (issue 12, item 16).
    reference_cache: ReferenceCache = field(default_factory=ReferenceCache)

    def connector(self, connection: ERPConnection) -> ERPConnector:
        """A ready connector for `connection`; use it as `async with ctx.connector(c) as erp:`."""
        options = {**self.connector_options, **self.options_by_connection.get(connection.id, {})}
        return open_connector(
            connection,
            session_factory=self.session_factory,
            vault=self.vault,
            settings=self.settings,
            **options,
        )
