"""Issue 17 budget: exporting N bills in few requests, as the simulators count them, on SQLite and
PostgreSQL. QuickBooks: per export step (`QuickBooksConnector.export_step_size` invoices) one read-only
`/batch` of look-up Query items, then full create batches of `export_batch_size`, each recorded as soon
as it is answered: ceil(N / S) + ceil(N / B) requests (the closed-period read, once per five minutes, and
the reference data come on top when not cached). Measured at small sizes against the formula, which gives
35 at 1,000 bills with the production sizes (S = 1,170, B = 30); 34 is out of reach while every create is
looked up first: the first request can carry no create whose look-up it has not seen, and 1,000 creates
need 34 requests of 30 (docs/quickbooks.md "Export budget"). Xero's figure with its production sizes
(steps of ERP_SYNC_BATCH_SIZE, 50 numbers a look-up, 50 bills a PUT) is measured the same way.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from math import ceil
from typing import Any

import pytest

from smartap_erp.connectors.quickbooks import duplicates, export, queries
from smartap_erp.connectors.quickbooks.connector import QuickBooksConnector
from smartap_erp.connectors.xero import connector as xero_connector
from smartap_erp.connectors.xero import duplicates as xero_duplicates
from smartap_erp.connectors.xero.connector import XeroConnector
from smartap_erp.db.vault import CredentialVault
from smartap_erp.domain import ERPSystem
from smartap_erp.errors import ERPValidationError
from smartap_erp.sync.export import run
from smartap_erp.sync.export.run import ExportHooks, export_invoices, step_size
from tests.sync.export.helpers import Factory, World, add_invoices, bills_in_erp, mappings, start
from tests.sync.harness import available_systems

N = 20
BATCH, STEP, NUMBERS = 3, 9, 5  # 1 CompanyInfo + ceil(9 / 5) = 3 look-up items: one request a step


def quickbooks_requests(n: int, step: int, batch: int) -> int:
    """Look-up batches plus create batches (steps are whole multiples of the create batch)."""
    assert step % batch == 0
    return ceil(n / step) + ceil(n / batch)


def xero_requests(n: int, step: int, numbers: int, batch: int) -> tuple[int, int]:
    """(look-ups, writes): per step, `GET /Invoices` per `numbers` invoices and `PUT /Invoices` per
    `batch` bills."""
    steps = [min(step, n - start) for start in range(0, n, step)]
    return sum(ceil(s / numbers) for s in steps), sum(ceil(s / batch) for s in steps)


def test_the_formulas_at_1000_bills_with_production_sizes() -> None:
    assert (QuickBooksConnector.export_batch_size, QuickBooksConnector.export_step_size) == (30, 1170)
    assert quickbooks_requests(1000, QuickBooksConnector.export_step_size, export.BATCH_SIZE) == 35
    # one step's look-ups fit one /batch: CompanyInfo + ceil(1170 / 100) DocNumber queries <= 30 items
    assert 1 + ceil(export.STEP_SIZE / duplicates.NUMBERS_PER_QUERY) <= export.BATCH_SIZE
    # Xero keeps the configured steps: 20 writes plus 20 look-ups
    assert step_size(XeroConnector, run.DEFAULT_BATCH_SIZE) == 100
    step = step_size(XeroConnector, run.DEFAULT_BATCH_SIZE)
    looked, written = xero_requests(
        1000, step, xero_duplicates.NUMBERS_PER_QUERY, xero_connector.EXPORT_BATCH_SIZE
    )
    assert (looked, written) == (20, 20)


def _requests(world: World) -> int:
    return int(world.harness.state()["requests"]["total"])


def _paths_since(world: World, mark: int) -> list[str]:
    log: list[dict[str, Any]] = world.harness.sim.state(include_log=True)["log"]
    return [f"{r['method']} {r['path'].rsplit('/', 1)[-1]}" for r in log if r["id"] > mark]


async def _warm(world: World) -> None:
    """One bill first: the reference data and the closed periods are then cached (five minutes), as
    on a worker that exported before, so the run below counts the export's own requests."""
    [first] = await add_invoices(world, 1, prefix="WARM")
    assert (await export_invoices(world.ctx, world.connection_id, [first.id])).created_count == 1


@pytest.fixture
def small_quickbooks(monkeypatch: pytest.MonkeyPatch) -> None:
    if ERPSystem.QUICKBOOKS not in available_systems():
        pytest.skip("no QuickBooks simulator")
    monkeypatch.setattr(export, "BATCH_SIZE", BATCH)
    monkeypatch.setattr(QuickBooksConnector, "export_batch_size", BATCH)
    monkeypatch.setattr(QuickBooksConnector, "export_step_size", STEP)
    monkeypatch.setattr(duplicates, "NUMBERS_PER_QUERY", NUMBERS)


@pytest.mark.usefixtures("small_quickbooks")
async def test_quickbooks_export_requests_are_the_formula(
    session_factory: Factory, vault: CredentialVault
) -> None:
    world = await start(ERPSystem.QUICKBOOKS, session_factory, vault)
    await _warm(world)
    invoices = await add_invoices(world, N)
    before, mark = bills_in_erp(world.harness), _requests(world)

    report = await export_invoices(world.ctx, world.connection_id, [i.id for i in invoices])

    assert (report.created_count, report.errors) == (N, [])
    assert bills_in_erp(world.harness) == before + N
    assert _requests(world) - mark == quickbooks_requests(N, STEP, BATCH) == 10
    # the home currency rode in the look-up: every request of the run was a /batch
    assert set(_paths_since(world, mark)) == {"POST batch"}


@pytest.mark.usefixtures("small_quickbooks")
async def test_quickbooks_each_create_batch_is_recorded_when_answered(
    session_factory: Factory, vault: CredentialVault
) -> None:
    """A crash after the second create batch answered: the first batch's bills are already linked,
    and the retry's look-up finds the second batch's bills (linked, never created twice)."""
    world = await start(ERPSystem.QUICKBOOKS, session_factory, vault)
    invoices = await add_invoices(world, 7)
    ids = [i.id for i in invoices]
    before = bills_in_erp(world.harness)
    answered: list[int] = []

    async def crash_on_second(batch: Sequence[uuid.UUID]) -> None:
        answered.append(len(batch))
        if len(answered) == 2:
            raise RuntimeError("worker died")

    with pytest.raises(RuntimeError, match="worker died"):
        await export_invoices(
            world.ctx, world.connection_id, ids, hooks=ExportHooks(after_erp_call=crash_on_second)
        )
    assert answered == [BATCH, BATCH] and bills_in_erp(world.harness) == before + 2 * BATCH
    assert len(await mappings(session_factory, world.connection_id)) == BATCH

    report = await export_invoices(world.ctx, world.connection_id, ids)
    assert (report.success_count, report.created_count, len(report.linked)) == (7, 1, BATCH)
    assert bills_in_erp(world.harness) == before + 7
    rows = await mappings(session_factory, world.connection_id)
    assert sorted(m.smartap_invoice_id for m in rows) == sorted(ids)


async def test_xero_export_requests_are_its_formula(
    session_factory: Factory, vault: CredentialVault, monkeypatch: pytest.MonkeyPatch
) -> None:
    if ERPSystem.XERO not in available_systems():
        pytest.skip("no Xero simulator")
    step, numbers, batch = 10, 4, 5
    monkeypatch.setattr(run, "DEFAULT_BATCH_SIZE", step)
    monkeypatch.setattr(xero_duplicates, "NUMBERS_PER_QUERY", numbers)
    monkeypatch.setattr(xero_connector, "EXPORT_BATCH_SIZE", batch)
    world = await start(ERPSystem.XERO, session_factory, vault)
    assert world.ctx.settings is None  # the run's step is DEFAULT_BATCH_SIZE
    await _warm(world)
    invoices = await add_invoices(world, N)
    mark = _requests(world)

    report = await export_invoices(world.ctx, world.connection_id, [i.id for i in invoices])

    assert (report.created_count, report.errors) == (N, [])
    sent = _paths_since(world, mark)
    looked, written = xero_requests(N, step, numbers, batch)
    assert (sent.count("GET Invoices"), sent.count("PUT Invoices"), len(sent)) == (looked, written, 10)


@pytest.mark.usefixtures("small_quickbooks")
async def test_quickbooks_a_refused_lookup_item_stops_the_step_before_any_create(
    session_factory: Factory, vault: CredentialVault, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = await start(ERPSystem.QUICKBOOKS, session_factory, vault)
    await _warm(world)
    invoices = await add_invoices(world, 4)
    before = bills_in_erp(world.harness)
    # MAXRESULTS over 1000 is refused with a ValidationFault (erp-api-facts §1.3): here inside the item
    monkeypatch.setattr(queries, "PAGE_SIZE", 1001)

    with pytest.raises(ERPValidationError):
        await export_invoices(world.ctx, world.connection_id, [i.id for i in invoices])

    assert bills_in_erp(world.harness) == before
    assert len(await mappings(session_factory, world.connection_id)) == 1  # the warm-up bill only
