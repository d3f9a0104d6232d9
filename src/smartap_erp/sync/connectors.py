"""Opening the connector of a stored connection: decrypt its credentials, add the columns the seed
also keeps (the provider's `columns`, e.g. Xero's `tenant_id`, SAP's `company_db`), give an OAuth 2.0
ERP a token store backed by the same row (its refresh tokens rotate: one kept only in memory would
be lost on restart), and point it at the connection's `api_url` (a simulator, an SAP server). The
settings the ERP's provider declares (client ids, SAP_SERVICE_LAYER_URL, SAP_VERIFY_SSL ...) are
applied by `build_connector`. Its rate limiters keep their slots in the same database, so every
process shares one budget per ERP key. Extra keyword arguments (clock, sleep, transport ...) reach
`build_connector`.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from smartap_erp.connectors.base import ERPConnector
from smartap_erp.connectors.provider import AuthKind
from smartap_erp.connectors.registry import build_connector, registry
from smartap_erp.db.connections import read_credentials
from smartap_erp.db.models import ERPConnection
from smartap_erp.db.ratelimits import database_limiters
from smartap_erp.db.vault import CredentialVault
from smartap_erp.settings import Settings
from smartap_erp.sync.tokens import ConnectionTokenStore


def open_connector(
    connection: ERPConnection,
    *,
    session_factory: async_sessionmaker[AsyncSession],
    vault: CredentialVault,
    settings: Settings | None = None,
    **options: Any,
) -> ERPConnector:
    """A ready connector for `connection`; the caller closes it (`async with`)."""
    provider = registry.provider(connection.system_type)
    credentials = read_credentials(connection, vault=vault).to_dict()
    for column in provider.columns:  # the seed keeps these as columns too
        value = getattr(connection, column, None)
        if value and column not in credentials:
            credentials[column] = value
    # Every process (API server, workers, CLI) counts one ERP key's requests in the same database.
    options.setdefault("limiters", database_limiters(session_factory))
    if provider.auth is AuthKind.OAUTH2:
        options.setdefault("token_store", ConnectionTokenStore(session_factory, vault, connection.id))
    return build_connector(
        provider.system, credentials, base_url=connection.api_url, settings=settings, **options
    )
