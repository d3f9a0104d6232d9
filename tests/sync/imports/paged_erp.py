"""`PagedERP`: just enough of a connector for `ImportRun.run(erp=...)` in tests that write imported
pages straight to the database: the given pages of vendors or purchase orders, and no removal feed."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Sequence
from typing import Any

from smartap_erp.connectors.models import RecordPage
from smartap_erp.domain import ERPSystem

NOW = dt.datetime(2024, 6, 3, 12, 0, tzinfo=dt.UTC)


class PagedERP:
    change_window = None
    system = ERPSystem.QUICKBOOKS

    def __init__(self, *pages: Sequence[Any]) -> None:
        self.pages = pages

    def now(self) -> dt.datetime:
        return NOW

    async def _pages(self) -> AsyncIterator[RecordPage[Any]]:
        for page in self.pages:
            yield RecordPage(list(page))

    def iter_vendors(self, since: dt.datetime | None = None) -> AsyncIterator[RecordPage[Any]]:
        return self._pages()

    def iter_purchase_orders(self, since: dt.datetime | None = None) -> AsyncIterator[RecordPage[Any]]:
        return self._pages()
