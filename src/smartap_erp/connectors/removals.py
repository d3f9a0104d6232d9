"""Records the ERP removed: what a connector's removal feed reports besides its change pages.

An ERP tells of a deleted record in its own way, and the ordinary "changed since" reads never show one:
QuickBooks lists deleted (and voided) transactions in its Change Data Capture feed as `status: "Deleted"`
/ `"Voided"` with only the Id (erp-api-facts §1.10); NetSuite keeps a `DeletedRecord` table that SuiteQL
reads (deleted records leave `vendor` and `transaction`); SAP Business One has no trace of a removed
business partner at all, so its connector compares the CardCodes SmartAP maps with the CardCodes that
still exist. A connector that has such a feed implements `iter_removals(entity, since, mapped)`
(`RemovalFeed`); `removal_feed(erp)` finds it. `mapped` (`MappedIds`) streams the ERP ids the caller
maps in ascending code-point order, a bounded page at a time, so that no side ever holds every mapped id
(issue 17: 200,000 vendors); a feed that reports removals itself ignores it and the caller looks up
only the ids it returns. Archived, inactive, cancelled and voided records that the
ERP still returns through its ordinary reads (Xero ARCHIVED contacts with `includeArchived`, SAP
`Cancelled` documents, NetSuite inactive vendors) are not removals: they come through `iter_*` and the
payment feeds with their status.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Collection
from enum import StrEnum
from typing import Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field

from smartap_erp.domain.enums import ERPEntity
from smartap_erp.domain.types import UTCDateTime


class RemovalKind(StrEnum):
    DELETED = "deleted"  # gone from the ERP (QuickBooks delete, NetSuite delete, SAP partner removed)
    VOIDED = "voided"  # still there, amounts zeroed (QuickBooks void in the CDC feed)


class ERPRemoval(BaseModel):
    """One record the ERP no longer has (or has voided): which, how, and when if the ERP says."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    entity: ERPEntity
    external_id: str = Field(min_length=1)
    kind: RemovalKind
    removed_at: UTCDateTime | None = None


class MappedIds(Protocol):
    def ascending(self) -> AsyncIterator[list[str]]:
        """The mapped ERP ids, each once, in ascending code-point order (Python `str` order), in
        pages of bounded size; an empty source yields no page."""
        ...


class StaticIds:
    """`MappedIds` over ids already in memory (a bounded set, e.g. the open bills a payment sync holds)."""

    def __init__(self, ids: Collection[str], page_size: int = 1000) -> None:
        self._ids = sorted(set(ids))
        self._page_size = page_size

    async def ascending(self) -> AsyncIterator[list[str]]:
        for start in range(0, len(self._ids), self._page_size):
            yield self._ids[start : start + self._page_size]


@runtime_checkable
class RemovalFeed(Protocol):
    def iter_removals(
        self, entity: ERPEntity, since: dt.datetime | None, mapped: MappedIds
    ) -> AsyncIterator[list[ERPRemoval]] | None:
        """Pages of `entity` records removed since `since` (None: as far back as the ERP keeps), or
        None when the ERP needs no feed for that entity. `mapped` streams the ERP ids the caller maps:
        a connector that can only compare key lists (SAP) merges it with the ERP's sorted keys and
        reports the mapped ones that no longer exist; a feed that reports removals directly ignores it
        (the caller keeps only the ids it maps)."""
        ...


def removal_feed(erp: object) -> RemovalFeed | None:
    """The connector's removal feed, or None if it has none."""
    return erp if isinstance(erp, RemovalFeed) else None
