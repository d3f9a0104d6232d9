"""Reference data of a connection, read from the ERP through its connector: the chart of accounts and
the tax codes, as the connector's standard `ERPAccount` / `ERPTaxCode` records (tax rates in percent,
as Decimal). Nothing is stored in the database: without a cache each call reads the ERP, so the answer
is what the ERP holds now (export keeps its own per-run copy, `sync.export.refdata`). An API server
passes a `ReferenceCache`: an answer younger than its `max_age` is served again without asking the ERP
(`from_cache: true`, `read_at` says how old), `refresh=True` asks the ERP whatever the age, and a
changed connection (new credentials, URL: a new `updated_at`) is never served its old answer. The
cache lives in the server process, bounded in entries; concurrent misses of one key read the ERP once.
A refused authorisation marks the connection as `app.connections.with_connector` does for every call
that reaches an ERP.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar, cast

from pydantic import AwareDatetime

from smartap_erp.app.connections import with_connector
from smartap_erp.app.context import AppContext, resolve_connection
from smartap_erp.app.models import AppModel
from smartap_erp.connectors.base import ERPConnector
from smartap_erp.domain.enums import ERPSystem
from smartap_erp.domain.models import ERPAccount, ERPTaxCode

T = TypeVar("T")
DEFAULT_MAX_AGE = dt.timedelta(minutes=15)
MAX_ENTRIES = 512  # connections x kinds a server keeps answers for


class ReferenceSource(AppModel):
    connection_id: uuid.UUID
    connection: str  # the connection's name
    system: ERPSystem
    read_at: AwareDatetime  # when the ERP was asked
    from_cache: bool = False  # served again from the cache, not read from the ERP for this call


S = TypeVar("S", bound=ReferenceSource)


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


class ReferenceCache:
    """Answers by (connection, its `updated_at`, kind), each kept `max_age` by `clock` (UTC)."""

    def __init__(
        self, max_age: dt.timedelta = DEFAULT_MAX_AGE, clock: Callable[[], dt.datetime] | None = None
    ) -> None:
        self.max_age = max_age
        self._clock = clock or (lambda: dt.datetime.now(dt.UTC))
        self._entries: OrderedDict[tuple[Any, ...], tuple[dt.datetime, ReferenceSource]] = OrderedDict()
        self._locks: dict[tuple[Any, ...], asyncio.Lock] = {}

    async def get(
        self, key: tuple[Any, ...], read: Callable[[], Awaitable[ReferenceSource]], *, refresh: bool
    ) -> ReferenceSource:
        lock = self._locks.setdefault(key, asyncio.Lock())
        async with lock:
            found = self._entries.get(key)
            if found is not None and not refresh and self._clock() - found[0] < self.max_age:
                self._entries.move_to_end(key)
                return found[1].model_copy(update={"from_cache": True})
            answer = await read()
            self._entries[key] = (self._clock(), answer)
            self._entries.move_to_end(key)
            while len(self._entries) > MAX_ENTRIES:
                old, _ = self._entries.popitem(last=False)
                self._locks.pop(old, None)
            return answer


async def _cached(
    ctx: AppContext,
    name_or_id: str,
    kind: str,
    read: Callable[[], Awaitable[S]],
    cache: ReferenceCache | None,
    refresh: bool,
) -> S:
    if cache is None:
        return await read()
    async with ctx.sessions() as session:
        connection = await resolve_connection(session, name_or_id)
        key = (connection.id, connection.updated_at, kind)
    # The key names the kind, so what comes back is what `read` makes.
    return cast(S, await cache.get(key, read, refresh=refresh))


async def _accounts(ctx: AppContext, name_or_id: str) -> AccountList:
    source, found = await _read(ctx, name_or_id, lambda erp: erp.get_accounts())
    ordered = sorted(found, key=lambda a: ((a.code or "").casefold(), a.name.casefold(), a.external_id))
    return AccountList(**source.model_dump(), accounts=ordered)


async def _tax_codes(ctx: AppContext, name_or_id: str) -> TaxCodeList:
    source, found = await _read(ctx, name_or_id, lambda erp: erp.get_tax_codes())
    ordered = sorted(found, key=lambda t: (t.code.casefold(), t.name.casefold(), t.external_id))
    return TaxCodeList(**source.model_dump(), tax_codes=ordered)


async def accounts(
    ctx: AppContext, name_or_id: str, *, cache: ReferenceCache | None = None, refresh: bool = False
) -> AccountList:
    """The connection's chart of accounts, inactive accounts included (they say `is_active`)."""
    return await _cached(ctx, name_or_id, "accounts", lambda: _accounts(ctx, name_or_id), cache, refresh)


async def tax_codes(
    ctx: AppContext, name_or_id: str, *, cache: ReferenceCache | None = None, refresh: bool = False
) -> TaxCodeList:
    """The connection's tax codes, inactive ones included (they say `is_active`)."""
    return await _cached(ctx, name_or_id, "tax_codes", lambda: _tax_codes(ctx, name_or_id), cache, refresh)
