"""A stored connection for job tests that work on the database directly (SQLite and PostgreSQL)."""

from __future__ import annotations

import uuid

from cryptography.fernet import Fernet
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from smartap_erp.db.connections import create_connection
from smartap_erp.db.models import ERPConnection
from smartap_erp.db.vault import CredentialVault, KeyRing
from smartap_erp.domain.enums import ERPSystem


async def add_connection(
    sessions: async_sessionmaker[AsyncSession], name: str = "qb", key: bytes | None = None, **columns: object
) -> uuid.UUID:
    """A QuickBooks connection named `name`, credentials encrypted with `key`, extra `columns` set."""
    vault = CredentialVault(KeyRing([key or Fernet.generate_key()], "test"))
    async with sessions() as session:
        connection: ERPConnection = await create_connection(
            session, vault=vault, name=name, system_type=ERPSystem.QUICKBOOKS, credentials={"a": "b"}
        )
        for column, value in columns.items():
            setattr(connection, column, value)
        await session.commit()
        return connection.id
