"""Reference data of export (the ERP's chart of accounts, tax codes and closed periods), read once per run.

An export run works in steps of `ERP_SYNC_BATCH_SIZE` invoices (one durable job step each), and
every step used to read the accounts and tax codes again: 17 account reads in Xero where one would
do. `ReferenceCache` keeps each connection's lists for `max_age` (five minutes by default) on the
`SyncContext` that every step of a worker shares; a read older than that is made again, so a code
added in the ERP is seen within minutes. Time comes from the injected clock (`SyncContext.now`).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from smartap_erp.connectors.base import ERPConnector
from smartap_erp.connectors.ledger import PeriodLocks
from smartap_erp.domain.models import ERPAccount, ERPTaxCode

DEFAULT_MAX_AGE = dt.timedelta(minutes=5)


@dataclass
class _Entry:
    read_at: dt.datetime
    records: list[Any]


@dataclass
class ReferenceCache:
    """Accounts and tax codes per connection, each list fresh for `max_age`."""

    max_age: dt.timedelta = DEFAULT_MAX_AGE
    _entries: dict[tuple[uuid.UUID, str], _Entry] = field(default_factory=dict)

    async def _get(
        self,
        key: tuple[uuid.UUID, str],
        now: dt.datetime,
        read: Callable[[], Awaitable[list[Any]]],
    ) -> list[Any]:
        entry = self._entries.get(key)
        if entry is None or not (dt.timedelta(0) <= now - entry.read_at < self.max_age):
            entry = _Entry(now, await read())
            self._entries[key] = entry
        return entry.records

    async def accounts(
        self, connection_id: uuid.UUID, erp: ERPConnector, now: dt.datetime
    ) -> list[ERPAccount]:
        return await self._get((connection_id, "accounts"), now, erp.get_accounts)

    async def tax_codes(
        self, connection_id: uuid.UUID, erp: ERPConnector, now: dt.datetime
    ) -> list[ERPTaxCode]:
        return await self._get((connection_id, "tax_codes"), now, erp.get_tax_codes)

    async def period_locks(
        self, connection_id: uuid.UUID, read: Callable[[], Awaitable[PeriodLocks]], now: dt.datetime
    ) -> PeriodLocks:
        """The ERP's closed periods (issue 16), fresh for `max_age` like the lists above."""

        async def as_list() -> list[Any]:
            return [await read()]

        locks: PeriodLocks = (await self._get((connection_id, "period_locks"), now, as_list))[0]
        return locks

    def forget_periods(self, connection_id: uuid.UUID) -> None:
        """Read the closed periods again next time (the ERP refused a date the last read allowed)."""
        self._entries.pop((connection_id, "period_locks"), None)

    def forget(self, connection_id: uuid.UUID) -> None:
        """Drop a connection's lists (after a reference turned out to be unknown, for instance)."""
        for key in [k for k in self._entries if k[0] == connection_id]:
            del self._entries[key]
