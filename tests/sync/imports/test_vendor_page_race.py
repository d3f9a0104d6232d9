"""A vendor page inserts new mappings (no upsert, issue 17): when another run mapped one of its ERP
vendors after the page read the mappings, the page is refused as a whole and retried record by record,
which then sees that mapping. Nothing is duplicated and no record is lost. SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from smartap_erp.db.models import ERPVendorLink, Vendor
from smartap_erp.db.vault import CredentialVault, KeyRing
from smartap_erp.domain.models import ERPVendor
from smartap_erp.sync.context import SyncContext
from smartap_erp.sync.imports import vendors
from smartap_erp.sync.imports.planning import Policy
from smartap_erp.sync.imports.run import commit_page
from tests.jobs.dbhelpers import add_connection

NOW = dt.datetime(2024, 6, 3, 12, 0, tzinfo=dt.UTC)


def _vendor(erp_id: str, name: str) -> ERPVendor:
    return ERPVendor(external_id=erp_id, name=name, email=f"{erp_id}@example.com", updated_at=NOW)


async def test_a_mapping_made_meanwhile_fails_the_page_and_the_retry_updates_it(
    session_factory: async_sessionmaker[AsyncSession], monkeypatch: pytest.MonkeyPatch
) -> None:
    ctx = SyncContext(
        session_factory, CredentialVault(KeyRing([Fernet.generate_key()], "test")), now=lambda: NOW
    )
    connection_id = await add_connection(session_factory, "race")
    spec = vendors.VendorImport()
    first = await commit_page(ctx, spec, connection_id, [_vendor("A", "Acme")], Policy.ERP_WINS)
    assert first.created == 1

    real_links = vendors._links
    calls: list[int] = []

    async def stale_links(*args: Any) -> Any:  # the first read misses the mapping "another run" made
        calls.append(1)
        return {} if len(calls) == 1 else await real_links(*args)

    monkeypatch.setattr(vendors, "_links", stale_links)
    page = [_vendor("A", "Acme Renamed"), _vendor("B", "Beta")]
    counts = await commit_page(ctx, spec, connection_id, page, Policy.ERP_WINS)

    assert len(calls) == 3  # the page, then each record alone
    assert (counts.created, counts.updated, counts.errors) == (1, 1, [])
    async with session_factory() as session:
        names = sorted(await session.scalars(select(Vendor.name)))
        mappings = await session.scalar(select(func.count()).select_from(ERPVendorLink))
    assert names == ["Acme Renamed", "Beta"] and mappings == 2
