"""Opening the connector of a stored connection: decrypt its credentials, give OAuth ERPs a token
store backed by the same row, point it at the connection's `api_url` (a simulator, an SAP server) and
apply `SAP_VERIFY_SSL`. Its rate limiters keep their slots in the same database, so every process
shares one budget per ERP key. Extra keyword arguments (clock, sleep, transport ...) reach
`build_connector`.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from smartap_erp.connectors.base import ERPConnector
from smartap_erp.connectors.registry import build_connector
from smartap_erp.db.connections import read_credentials
from smartap_erp.db.models import ERPConnection
from smartap_erp.db.ratelimits import database_limiters
from smartap_erp.db.vault import CredentialVault
from smartap_erp.domain.enums import ERPSystem
from smartap_erp.settings import Settings
from smartap_erp.sync.tokens import ConnectionTokenStore

OAUTH2_SYSTEMS = frozenset({ERPSystem.QUICKBOOKS, ERPSystem.XERO})


def open_connector(
    connection: ERPConnection,
    *,
    session_factory: async_sessionmaker[AsyncSession],
    vault: CredentialVault,
    settings: Settings | None = None,
    **options: Any,
) -> ERPConnector:
    """A ready connector for `connection`; the caller closes it (`async with`)."""
    credentials = read_credentials(connection, vault=vault).to_dict()
    for column in ("tenant_id", "company_db"):  # the seed keeps these as columns too
        value = getattr(connection, column)
        if value and column not in credentials:
            credentials[column] = value
    # Every process (API server, workers, CLI) counts one ERP key's requests in the same database.
    options.setdefault("limiters", database_limiters(session_factory))
    if connection.system_type in OAUTH2_SYSTEMS:
        options.setdefault("token_store", ConnectionTokenStore(session_factory, vault, connection.id))
    if connection.system_type == ERPSystem.SAP and settings is not None:
        options.setdefault("verify", settings.sap_verify_ssl)
    base_url = connection.api_url
    if base_url is None and connection.system_type == ERPSystem.SAP and settings is not None:
        base_url = str(settings.sap_service_layer_url) if settings.sap_service_layer_url else None
    return build_connector(connection.system_type, credentials, base_url=base_url, **options)
