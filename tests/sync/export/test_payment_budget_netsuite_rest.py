"""Issue 17 budget, NetSuite in REST mode (no RESTlets): the payment status of N open bills in a bounded
number of requests. The bills changed since the last run are read with their currency and payments in one
paged SuiteQL query (connectors/netsuite/payments.py) instead of one record, one link query and one read
per payment for each bill. N bills are exported, the connection switched to REST mode, and each run's
requests (as the simulator counts them) must equal the formula at a small page size; at 5,000 changed
bills with a payment each and the production page size it gives <= 10 (docs/performance.md, Issue 17)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from math import ceil
from typing import Any

import pytest

from smartap_erp.connectors.netsuite.connector import NetSuiteConnector
from smartap_erp.db.connections import replace_credentials
from smartap_erp.db.models import ERPConnection
from smartap_erp.db.vault import CredentialVault
from smartap_erp.domain import ERPSystem, PaymentStatus
from smartap_erp.sync.export.run import export_invoices
from smartap_erp.sync.payments.run import sync_payment_statuses
from tests.sync.export.helpers import Factory, World, add_invoices, mappings, pay, start

OPEN = 120
PAGE = 50  # rows a SuiteQL page: the bills' rows span several pages, some bills straddle two
STEP = 600  # seconds between steps: past the feeds' 5-minute re-read overlap (sync/payments/run.py)


def formula(rows: int, page: int) -> int:
    """One SuiteQL removal read (deletedrecord), then the joined bill rows in pages: a bill is one row,
    or one row per payment applied to it."""
    return 1 + max(1, ceil(rows / page))


def test_formula_fits_the_budget_at_5000() -> None:
    page = NetSuiteConnector.page_size
    assert formula(5000, page) == 6  # 5,000 changed bills, at most one payment each
    assert formula(5000 + 4000, page) == 10  # 4,000 of them with a second payment
    # before: per changed bill its record and its payment links, then each payment (currencies once)
    assert 1 + ceil(5000 / page) + 5000 * 2 == 10_006


def _requests(world: World) -> int:
    return int(world.harness.state()["requests"]["total"])


def _rows_changed_since(world: World, moment: dt.datetime) -> int:
    """Rows of the payment query for the bills changed since `moment` (the run's window start)."""
    store = world.harness.sim.store
    changed = [b for b in store.records["vendorBill"].values() if b["lastModifiedDate"] >= moment]
    return sum(max(1, len(store.payments_of(b["id"]))) for b in changed)


async def _to_rest_mode(world: World, factory: Factory, vault: CredentialVault) -> None:
    connection = world.harness.connection
    async with factory() as session, session.begin():
        stored = await session.get(ERPConnection, connection.id)
        assert stored is not None
        done = await replace_credentials(
            session,
            vault=vault,
            connection_id=connection.id,
            expected_version=stored.credentials_version,
            credentials={**world.harness.sim.credentials(), "mode": "rest"},
        )
    assert done


def _log(world: World) -> list[dict[str, Any]]:
    return list(world.harness.sim.state(include_log=True)["log"])


async def _run(world: World) -> int:
    """The run's requests: SuiteQL only (no record read, no RESTlet)."""
    before, mark = _requests(world), max((r["id"] for r in _log(world)), default=0)
    report = await sync_payment_statuses(world.ctx, world.connection_id)
    assert report.used_change_feed and report.read_one_by_one == 0 and report.total_count == OPEN
    paths = [r["path"] for r in _log(world) if r["id"] > mark]
    assert paths and all(p.endswith("/suiteql") for p in paths), paths
    assert len(paths) == _requests(world) - before
    return len(paths)


async def test_rest_payment_status_requests_equal_the_formula(
    session_factory: Factory, vault: CredentialVault, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(NetSuiteConnector, "page_size", PAGE)
    world = await start(ERPSystem.NETSUITE, session_factory, vault)
    invoices = await add_invoices(world, OPEN)
    await export_invoices(world.ctx, world.connection_id, [i.id for i in invoices])
    bills = [m.erp_invoice_id for m in await mappings(session_factory, world.connection_id)]
    assert len(bills) == OPEN
    await _to_rest_mode(world, session_factory, vault)
    clock = world.harness.clock

    clock.advance(STEP)
    for bill in bills[::2]:  # every other bill partly paid: one payment row each
        pay(world.harness, bill, Decimal("1.00"))
    pay(world.harness, bills[0], Decimal("2.00"))  # and the first a second time: two rows
    clock.advance(STEP)
    # the first run's window reaches back past the export (the 5-minute overlap before it)
    rows = _rows_changed_since(world, clock.now() - dt.timedelta(seconds=2 * STEP + 300))
    assert rows == OPEN + 1  # a row per bill, two for bills[0]
    assert await _run(world) == formula(rows, PAGE)

    clock.advance(STEP)
    for bill in bills:
        pay(world.harness, bill, Decimal("1.00"))
    clock.advance(STEP)
    rows = _rows_changed_since(world, clock.now() - dt.timedelta(seconds=STEP + 300))
    assert rows == OPEN + OPEN // 2 + 1  # every bill paid once more
    assert await _run(world) == formula(rows, PAGE)
    found = {m.erp_invoice_id: m for m in await mappings(session_factory, world.connection_id)}
    assert found[bills[0]].payment_amount == 400 and found[bills[1]].payment_amount == 100
    assert {found[b].payment_amount for b in bills[2::2]} == {200}
    assert {found[b].payment_status for b in bills} == {PaymentStatus.PARTIAL}
