"""Vendor pages planned while earlier pages are written (issue 17): `ImportRun(page_writers=2)`,
PostgreSQL's default, forced here on SQLite and PostgreSQL. The import ends as the one-page-after-the-
other import would: a record repeated in the next page is applied after the earlier one, a SmartAP
vendor two pages would match goes to the first page's record, and (PostgreSQL) two pages with nothing
in common are written in two transactions open at once without waiting on each other."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
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
from smartap_erp.sync.imports.report import ImportReport
from smartap_erp.sync.imports.run import ImportRun
from smartap_erp.sync.imports.vendor_digest import normalise_name
from tests.jobs.dbhelpers import add_connection
from tests.sync.imports.paged_erp import PagedERP

NOW = dt.datetime(2024, 6, 3, 12, 0, tzinfo=dt.UTC)
Factory = async_sessionmaker[AsyncSession]


def _vendor(erp_id: str, name: str, tax_id: str | None = None) -> ERPVendor:
    return ERPVendor(
        external_id=erp_id, name=name, email=f"{erp_id}@example.com", tax_id=tax_id, updated_at=NOW
    )


async def _connection(session_factory: Factory) -> uuid.UUID:
    # a match is applied, not sent to review
    return await add_connection(
        session_factory, "pipelined", conflict_policies={"vendor": Policy.ERP_WINS.value}
    )


async def _import(
    session_factory: Factory, erp: PagedERP, connection_id: uuid.UUID | None = None
) -> tuple[uuid.UUID, ImportReport]:
    """A full import of `erp`'s pages with two page writers (into a new connection by default)."""
    ctx = SyncContext(
        session_factory, CredentialVault(KeyRing([Fernet.generate_key()], "test")), now=lambda: NOW
    )
    connection_id = connection_id or await _connection(session_factory)
    run = ImportRun(
        ctx,
        connection_id,
        vendors.VendorImport(),
        since=None,
        limit=None,
        full=True,
        triggered_by="test",
        page_writers=2,
    )
    return connection_id, await run.run(erp)  # type: ignore[arg-type]


async def _mapped(session_factory: Factory) -> dict[str, Any]:
    """ERP id -> the SmartAP vendor row it is mapped to."""
    async with session_factory() as session:
        rows = await session.execute(
            select(ERPVendorLink.erp_vendor_id, Vendor).join(
                Vendor, Vendor.id == ERPVendorLink.smartap_vendor_id
            )
        )
        return {erp_id: vendor for erp_id, vendor in rows}


async def test_a_record_repeated_in_the_next_page_is_applied_after_the_earlier_one(
    session_factory: Factory,
) -> None:
    erp = PagedERP(
        [_vendor("A", "Acme"), _vendor("B", "Beta")],
        [_vendor("A", "Acme Two"), _vendor("C", "Gamma")],
    )
    _, report = await _import(session_factory, erp)

    assert (report.created_count, report.updated_count, report.errors) == (3, 1, [])
    mapped = await _mapped(session_factory)
    assert {k: v.name for k, v in mapped.items()} == {"A": "Acme Two", "B": "Beta", "C": "Gamma"}
    async with session_factory() as session:
        assert await session.scalar(select(func.count()).select_from(Vendor)) == 3


async def test_a_smartap_vendor_two_pages_match_goes_to_the_first_page(session_factory: Factory) -> None:
    existing = uuid.uuid4()
    async with session_factory() as session, session.begin():
        session.add(
            Vendor(
                id=existing,
                name="Acme",
                normalized_name=normalise_name("Acme"),
                email="X@example.com",
                tax_id="TX-1",
                currency="USD",
                is_active=True,
                created_at=NOW,
                updated_at=NOW,
            )
        )
    erp = PagedERP([_vendor("X", "Acme", "TX-1")], [_vendor("Y", "Acme Again", "TX-1")])
    _, report = await _import(session_factory, erp)

    assert (report.created_count, report.updated_count, report.errors) == (1, 1, [])
    mapped = await _mapped(session_factory)
    assert mapped["X"].id == existing
    assert mapped["Y"].id != existing and mapped["Y"].name == "Acme Again"


async def test_pages_with_nothing_in_common_are_written_at_once(
    backend: str, session_factory: Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    if backend != "postgresql":
        pytest.skip("SQLite has one writer: its imports write one page after the other")
    second_written = asyncio.Event()
    real_write = vendors.VendorImport.write_plan

    async def write_plan(
        self: Any, session: AsyncSession, connection_id: uuid.UUID, plan: Any, **kw: Any
    ) -> Any:
        counts = await real_write(self, session, connection_id, plan, **kw)
        if "A" in plan.erp_ids:  # the first page keeps its transaction open until the second wrote
            await asyncio.wait_for(second_written.wait(), timeout=60)
        else:
            second_written.set()
        return counts

    monkeypatch.setattr(vendors.VendorImport, "write_plan", write_plan)
    erp = PagedERP([_vendor("A", "Acme"), _vendor("B", "Beta")], [_vendor("C", "Gamma")])
    _, report = await _import(session_factory, erp)

    assert second_written.is_set()
    assert (report.created_count, report.errors) == (3, [])
    assert sorted(await _mapped(session_factory)) == ["A", "B", "C"]


async def test_plans_depend_on_a_shared_erp_record_or_a_shared_smartap_vendor(
    session_factory: Factory,
) -> None:
    """What `write_planned` checks: two plans made from the same state, as two pages in flight are."""
    connection_id = await _connection(session_factory)
    async with session_factory() as session, session.begin():
        session.add(
            Vendor(
                id=uuid.uuid4(),
                name="Acme",
                normalized_name=normalise_name("Acme"),
                currency="USD",
                tax_id="TX-1",
                is_active=True,
                created_at=NOW,
                updated_at=NOW,
            )
        )

    async def plan(*records: ERPVendor) -> vendors.VendorPagePlan:
        async with session_factory() as session:
            return await vendors.plan_vendor_page(session, connection_id, records, policy=Policy.ERP_WINS)

    first = await plan(_vendor("A", "Alpha"), _vendor("X", "Acme", "TX-1"))
    assert (await plan(_vendor("A", "Alpha Renamed"))).depends_on(first)  # the same ERP record
    assert (await plan(_vendor("Y", "Acme Again", "TX-1"))).depends_on(first)  # the same SmartAP vendor
    assert not (await plan(_vendor("B", "Beta"), _vendor("Z", "Zeta", "TX-9"))).depends_on(first)


async def test_a_page_refused_while_the_next_is_written_is_retried_record_by_record(
    session_factory: Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Page 1's plan misses a mapping another run made (its insert is refused, `commit_page` retries it
    one record at a time) while page 2, which shares nothing with it, is written beside it."""
    connection_id, _ = await _import(session_factory, PagedERP([_vendor("A", "Acme")]))
    real_links, calls = vendors._links, []

    async def stale_first_links(*args: Any) -> Any:
        calls.append(1)
        return {} if len(calls) == 1 else await real_links(*args)

    monkeypatch.setattr(vendors, "_links", stale_first_links)
    erp = PagedERP([_vendor("A", "Acme Renamed"), _vendor("B", "Beta")], [_vendor("C", "Gamma")])
    _, report = await _import(session_factory, erp, connection_id)

    assert len(calls) == 4  # page 1, page 2, then page 1's two records alone
    assert (report.created_count, report.updated_count, report.errors) == (2, 1, [])
    mapped = await _mapped(session_factory)
    assert {k: v.name for k, v in mapped.items()} == {"A": "Acme Renamed", "B": "Beta", "C": "Gamma"}
