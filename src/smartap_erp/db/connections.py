"""Storing ERP connections and their encrypted credentials: create, read, compare-and-swap update
(key rotation over every encrypted column is `db.rotation`). Keyword-only functions, no business rules.

The encrypted blob may also hold `TOKEN_LEASE_KEY`, the OAuth refresh lease of `sync.tokens`: it
changes with the credentials under the same compare-and-swap, and `read_credentials` leaves it out.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from smartap_erp.credentials import ConnectorCredentials
from smartap_erp.db.models import ERPConnection
from smartap_erp.db.vault import CredentialVault
from smartap_erp.domain.enums import ERPSystem


async def create_connection(
    session: AsyncSession,
    *,
    vault: CredentialVault,
    name: str,
    system_type: ERPSystem,
    credentials: Mapping[str, Any],
    **fields: Any,
) -> ERPConnection:
    """Add a connection with its credentials encrypted; the caller commits."""
    connection = ERPConnection(
        name=name, system_type=system_type, credentials=vault.encrypt(credentials), **fields
    )
    session.add(connection)
    await session.flush()
    return connection


# Bookkeeping stored beside the credentials, not one of them.
TOKEN_LEASE_KEY = "_token_refresh_lease"  # noqa: S105 (a key name, not a secret)


def read_credentials(connection: ERPConnection, *, vault: CredentialVault) -> ConnectorCredentials:
    """The connection's credentials, without the token refresh lease stored beside them."""
    stored = read_stored_credentials(connection, vault=vault)
    stored.pop(TOKEN_LEASE_KEY, None)
    return ConnectorCredentials(stored)


def read_stored_credentials(connection: ERPConnection, *, vault: CredentialVault) -> dict[str, Any]:
    """Everything in the encrypted blob, the token refresh lease included (for compare-and-swap)."""
    return vault.decrypt(connection.credentials, owner=_owner(connection)).to_dict()


async def replace_credentials(
    session: AsyncSession,
    *,
    vault: CredentialVault,
    connection_id: uuid.UUID,
    expected_version: int,
    credentials: Mapping[str, Any],
) -> bool:
    """Store new credentials only if nobody else did since `expected_version` was read.

    Returns False when another worker won the race (its rotated token is the one to use): the
    caller re-reads instead of overwriting a newer refresh token with an older one.
    """
    result = await session.execute(
        update(ERPConnection)
        .where(ERPConnection.id == connection_id, ERPConnection.credentials_version == expected_version)
        .values(credentials=vault.encrypt(credentials), credentials_version=expected_version + 1)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0) == 1)


def _owner(connection: ERPConnection) -> str:
    return f"the credentials of connection {connection.name!r} ({connection.id})"
