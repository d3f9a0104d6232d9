"""Reference data of a connection, read from the ERP through its connector: the chart of accounts and
the tax codes, as the connector's standard `ERPAccount` / `ERPTaxCode` records (tax rates in percent,
as Decimal). Nothing is stored: each call reads the ERP, so the answer is what the ERP holds now
(export keeps its own per-run copy, `sync.export.refdata`). A refused authorisation marks the
connection as `app.connections.with_connector` does for every call that reaches an ERP.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import TypeVar

from pydantic import AwareDatetime

from smartap_erp.app.connections import with_connector
from smartap_erp.app.context import AppContext
from smartap_erp.app.models import AppModel
from smartap_erp.connectors.base import ERPConnector
from smartap_erp.domain.enums import ERPSystem
from smartap_erp.domain.models import ERPAccount, ERPTaxCode

T = TypeVar("T")


class ReferenceSource(AppModel):
    connection_id: uuid.UUID
    connection: str  # the connection's name
    system: ERPSystem
    read_at: AwareDatetime  # when the ERP was asked


class AccountList(ReferenceSource):
    accounts: list[ERPAccount]  # by code, then name


class TaxCodeList(ReferenceSource):
    tax_codes: list[ERPTaxCode]  # by code


async def _read(
    ctx: AppContext, name_or_id: str, call: Callable[[ERPConnector], Awaitable[T]]
) -> tuple[ReferenceSource, T]:
    read_at = ctx.sync_context().now()
    connection, found = await with_connector(ctx, name_or_id, call)
    source = ReferenceSource(
        connection_id=connection.id, connection=connection.name, system=connection.system, read_at=read_at
    )
    return source, found


async def accounts(ctx: AppContext, name_or_id: str) -> AccountList:
    """The connection's chart of accounts, inactive accounts included (they say `is_active`)."""
    source, found = await _read(ctx, name_or_id, lambda erp: erp.get_accounts())
    ordered = sorted(found, key=lambda a: ((a.code or "").casefold(), a.name.casefold(), a.external_id))
    return AccountList(**source.model_dump(), accounts=ordered)


async def tax_codes(ctx: AppContext, name_or_id: str) -> TaxCodeList:
    """The connection's tax codes, inactive ones included (they say `is_active`)."""
    source, found = await _read(ctx, name_or_id, lambda erp: erp.get_tax_codes())
    ordered = sorted(found, key=lambda t: (t.code.casefold(), t.name.casefold(), t.external_id))
    return TaxCodeList(**source.model_dump(), tax_codes=ordered)
