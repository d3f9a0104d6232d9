"""`AppContext`: what an application call needs (settings, the engine, sessions, the credential vault),
opened once per command or per server and closed after it, and `resolve_connection`, how every
interface finds a connection by id or by name. A SQLite database that does not exist is refused with
a hint to run `db upgrade` (never created empty); the vault, and so the key file, is made only on use.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from smartap_erp.db.models import ERPConnection
from smartap_erp.db.session import engine_from_settings, make_session_factory
from smartap_erp.db.vault import CredentialVault, load_keyring
from smartap_erp.errors import ConfigurationError, NotFoundError
from smartap_erp.settings import Settings, get_settings
from smartap_erp.sync.context import SyncContext


@dataclass
class AppContext:
    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]

    @functools.cached_property
    def vault(self) -> CredentialVault:
        return CredentialVault(load_keyring(self.settings))

    def sync_context(self) -> SyncContext:
        return SyncContext(self.sessions, self.vault, self.settings)


def require_database(settings: Settings) -> None:
    """Refuse (rather than create an empty SQLite file) when the database file does not exist."""
    path = settings.sqlite_path
    if path is not None and not path.exists():
        raise ConfigurationError(
            f"no database at {path}: run `smartap-erp db upgrade` first, or set DATABASE_URL"
        )


@asynccontextmanager
async def open_app(settings: Settings | None = None) -> AsyncIterator[AppContext]:
    """An `AppContext` on the configured database, disposed of when the block ends."""
    settings = settings or get_settings()
    require_database(settings)
    engine = engine_from_settings(settings)
    try:
        yield AppContext(settings, engine, make_session_factory(engine))
    finally:
        await engine.dispose()


async def resolve_connection(session: AsyncSession, name_or_id: str) -> ERPConnection:
    """A connection by id or exact name; a clear error if none or several match."""
    try:
        by_id = ERPConnection.id == uuid.UUID(name_or_id)
    except ValueError:
        by_id = None
    condition = (
        or_(ERPConnection.name == name_or_id, by_id)
        if by_id is not None
        else ERPConnection.name == name_or_id
    )
    found = list((await session.scalars(select(ERPConnection).where(condition))).all())
    if not found:
        raise NotFoundError(
            f"no connection named or with id {name_or_id!r} (see `smartap-erp connections list`)"
        )
    if len(found) > 1:
        raise ConfigurationError(f"several connections are named {name_or_id!r}; use the id")
    return found[0]
