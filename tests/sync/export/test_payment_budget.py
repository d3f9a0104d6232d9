"""Issue 17 budget: the payment status of N open bills in a bounded number of ERP requests, on every
simulator. N bills are exported and their status read; then one bill is paid, then every bill, and each
run's requests (as the simulator counts them, SAP's Login/Logout included) must stay within the
connector's formula at the test's small page size. The formulas are those of docs/performance.md
(Issue 17, payment status); at 5,000 open bills and the production page sizes they give <= 10 whether up
to a page or all of the bills changed (every ERP), and SAP's no longer grows past 4 with the open bills."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from math import ceil

import pytest
from sqlalchemy import update

from smartap_erp.connectors.netsuite.connector import NetSuiteConnector
from smartap_erp.connectors.quickbooks import payments as qbo_payments
from smartap_erp.connectors.quickbooks import queries
from smartap_erp.connectors.sap import payments
from smartap_erp.connectors.xero.connector import XeroConnector
from smartap_erp.db.models import ERPInvoiceLink
from smartap_erp.db.vault import CredentialVault
from smartap_erp.domain import ERPSystem, PaymentStatus
from smartap_erp.sync.export.run import export_invoices
from smartap_erp.sync.payments.run import sync_payment_statuses
from tests.sync.export.helpers import Factory, World, add_invoices, mappings, pay, start
from tests.sync.harness import available_systems

SYSTEMS = pytest.mark.parametrize("system", available_systems())
OPEN = 300
STEP = 600  # seconds between steps: past the feeds' 5-minute re-read overlap (sync/payments/run.py)
PAGE = 50  # OPEN / PAGE = 6 pages: a per-bill read (300) or a per-batch one (30) breaks every bound

# requests of one run for (open bills, bills changed since the last run, vendor payments, page size)
Formula = Callable[[int, int, int, int], int]
FORMULAS: dict[ERPSystem, Formula] = {
    # cdc removals + one /batch with both COUNT(*)s and first pages (and CompanyInfo, the home currency);
    # then the further pages of Bills and BillPayments changed since (one past a full last page), up to
    # PAGES_PER_BATCH Query items a /batch (connectors/quickbooks/payments.py)
    ERPSystem.QUICKBOOKS: lambda n, c, pays, p: 2 + ceil(2 * (c // p) / qbo_payments.PAGES_PER_BATCH),
    # Invoices changed since (If-Modified-Since), pages until a short one
    ERPSystem.XERO: lambda n, c, pays, p: c // p + 1,
    # one SuiteQL removal read + RESTlet pages of bills changed since
    ERPSystem.NETSUITE: lambda n, c, pays, p: 1 + max(1, ceil(c / p)),
    # Login + Logout + the open bills by DocEntry runs + their suppliers' payments (no change feed)
    ERPSystem.SAP: lambda n, c, pays, p: 2 + ceil(n / p) + max(1, ceil(pays / p)),
}
PRODUCTION_PAGE = {
    ERPSystem.QUICKBOOKS: queries.PAGE_SIZE,
    ERPSystem.XERO: XeroConnector.page_size,
    ERPSystem.NETSUITE: NetSuiteConnector.page_size,
    ERPSystem.SAP: payments.STATUS_PAGE_SIZE,
}


def _requests(world: World) -> int:
    return int(world.harness.state()["requests"]["total"])


def _vendor_payments(world: World) -> int:
    return int(world.harness.state()["entities"].get("VendorPayments", 0))


async def _run(world: World) -> int:
    before = _requests(world)
    report = await sync_payment_statuses(world.ctx, world.connection_id)
    assert report.used_change_feed and report.read_one_by_one == 0 and report.total_count == OPEN
    return _requests(world) - before


@SYSTEMS
def test_formula_fits_the_budget_at_5000(system: ERPSystem) -> None:
    """5,000 open bills, up to a page of them changed since the last run, or all 5,000: <= 10 everywhere
    (QuickBooks 3 either way: its 2 x 5 further pages fill one /batch; it was 16, a COUNT and 6 pages for
    each of its two changed-since streams)."""
    page = PRODUCTION_PAGE[system]
    assert FORMULAS[system](5000, page, 5000, page) <= 10
    assert FORMULAS[system](5000, 5000, 5000, page) <= 10
    if system is ERPSystem.QUICKBOOKS:
        assert FORMULAS[system](5000, page, 5000, page) == FORMULAS[system](5000, 5000, 5000, page) == 3


@SYSTEMS
async def test_payment_status_requests_within_formula(
    system: ERPSystem, session_factory: Factory, vault: CredentialVault, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(queries, "PAGE_SIZE", PAGE)
    monkeypatch.setattr(XeroConnector, "page_size", PAGE)
    monkeypatch.setattr(NetSuiteConnector, "page_size", PAGE)
    monkeypatch.setattr(payments, "STATUS_PAGE_SIZE", PAGE)
    formula = FORMULAS[system]
    world = await start(system, session_factory, vault)
    invoices = await add_invoices(world, OPEN)
    await export_invoices(world.ctx, world.connection_id, [i.id for i in invoices])
    bills = [m.erp_invoice_id for m in await mappings(session_factory, world.connection_id)]
    assert len(bills) == OPEN
    world.harness.clock.advance(STEP)
    assert await _run(world) <= formula(OPEN, OPEN, _vendor_payments(world), PAGE)  # all just exported

    world.harness.clock.advance(STEP)
    pay(world.harness, bills[0], Decimal("1.00"))
    world.harness.clock.advance(STEP)
    # the feeds list every bill of the ERP changed since the run's start (not only ours): bounded by
    # the open bills here, as every bill of the simulator is one of ours or seeded before the start
    assert await _run(world) <= formula(OPEN, OPEN, _vendor_payments(world), PAGE)

    world.harness.clock.advance(STEP)
    for bill in bills:
        pay(world.harness, bill, Decimal("1.00"))
    world.harness.clock.advance(STEP)
    cost = await _run(world)
    assert cost <= formula(OPEN, OPEN, _vendor_payments(world), PAGE)
    rows = await mappings(session_factory, world.connection_id)
    amounts = {m.erp_invoice_id: m.payment_amount for m in rows}
    assert amounts[bills[0]] == 200 and {amounts[b] for b in bills[1:]} == {100}  # every partial applied


def test_sap_docentry_runs_absorb_small_gaps_only() -> None:
    assert payments.runs([]) == []
    assert payments.runs([7, 5, 6, 5, 30]) == [(5, 7), (30, 30)]  # sorted, distinct; 8..29 is a gap of 22
    assert payments.runs([1, 22, 44]) == [(1, 22), (44, 44)]  # 2..21: 20 read through; 23..43: 21, split
    assert payments.runs([1, 5], gap=2) == [(1, 1), (5, 5)]


async def test_sap_reads_bills_of_unknown_state_in_the_batch_too(
    session_factory: Factory, vault: CredentialVault, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bill whose status was never read (export found it) is asked of SAP's batched read with the
    others, not read alone (two requests each): the run stays within the formula."""
    if ERPSystem.SAP not in available_systems():
        pytest.skip("no SAP simulator")
    monkeypatch.setattr(payments, "STATUS_PAGE_SIZE", PAGE)
    world = await start(ERPSystem.SAP, session_factory, vault)
    invoices = await add_invoices(world, OPEN)
    await export_invoices(world.ctx, world.connection_id, [i.id for i in invoices])
    bills = [m.erp_invoice_id for m in await mappings(session_factory, world.connection_id)]
    async with session_factory() as session, session.begin():  # every bill but the first: never read
        await session.execute(
            update(ERPInvoiceLink)
            .where(
                ERPInvoiceLink.connection_id == world.connection_id, ERPInvoiceLink.erp_invoice_id != bills[0]
            )
            .values(payment_synced_at=None)
        )
    world.harness.clock.advance(STEP)
    pay(world.harness, bills[-1], Decimal("30.00"))
    world.harness.clock.advance(STEP)
    before = _requests(world)
    report = await sync_payment_statuses(world.ctx, world.connection_id)
    assert (report.read_one_by_one, report.total_count, report.updated_count) == (0, OPEN, 1)
    assert _requests(world) - before <= FORMULAS[ERPSystem.SAP](OPEN, OPEN, _vendor_payments(world), PAGE)
    rows = {m.erp_invoice_id: m for m in await mappings(session_factory, world.connection_id)}
    assert (rows[bills[-1]].payment_status, rows[bills[-1]].payment_amount) == (PaymentStatus.PARTIAL, 3000)
    assert all(m.payment_synced_at == world.ctx.now() for m in rows.values())
