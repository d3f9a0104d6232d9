"""Issue 17 budget: exporting N bills to SAP Business One costs a known number of Service Layer requests,
as the simulator counts them (Login and Logout included), on SQLite and PostgreSQL. The run is export's
own (sync/export/run.py) with small sizes so every term of the formula is exercised: several steps, look-ups
of several queries sent as one `$batch` of GET parts, bills in several `$batch` requests. The formula is
then evaluated at 1,000 bills with the production sizes (docs/sap.md, bill export): 35 requests, was 1,043.
"""

from __future__ import annotations

from math import ceil

import pytest

from erpsim.sap import periods as sap_periods
from smartap_erp.connectors.sap import SAPConnector, batch, duplicates, export
from smartap_erp.db.vault import CredentialVault
from smartap_erp.domain import ERPSystem
from smartap_erp.sync.export.run import export_invoices
from tests.sync.export.helpers import Factory, add_invoices, bills_in_erp, start
from tests.sync.harness import available_systems

N = 19
STEP, BATCH, NUMBERS, PARTS = 8, 4, 3, 2  # invoices a step, bills a $batch, numbers a look-up, GETs a $batch
PRODUCTION = (export.STEP_SIZE, export.EXPORT_BATCH_SIZE, duplicates.NUMBERS_PER_QUERY, batch.MAX_READ_PARTS)


def lookups(invoices: int, numbers: int, parts: int) -> int:
    """One step's bill look-up: a plain GET for one query, else `$batch`es of `parts` GET parts."""
    queries = ceil(invoices / numbers)
    return queries if queries <= 1 else ceil(queries / parts)


def fixed(years: int, accounts: int) -> int:
    """Login + Logout + the chart of accounts (`accounts` pages, export's reference data, once a run) +
    the posting periods (1 + one per fiscal year, first run in five minutes) + the line tax field (once
    per connector)."""
    return 2 + accounts + (1 + years) + 1


def export_requests(
    n: int, step: int, per_batch: int, numbers: int, parts: int, years: int, accounts: int
) -> int:
    """`fixed` + per step: its look-up and ceil(bills / per_batch) `$batch` creates."""
    steps = [min(step, n - start) for start in range(0, n, step)]
    return fixed(years, accounts) + sum(lookups(s, numbers, parts) + ceil(s / per_batch) for s in steps)


def before_requests(n: int, step: int, numbers: int, years: int, accounts: int) -> int:
    """The same run before `$batch`: one look-up GET per `numbers` numbers, one POST per bill."""
    steps = [min(step, n - start) for start in range(0, n, step)]
    return fixed(years, accounts) + sum(ceil(s / numbers) + s for s in steps)


def test_formula_at_1000_bills() -> None:
    # the simulator's fiscal years (six before its clock's year to the one after); a chart of accounts
    # within one 500-row page
    years, accounts = 8, 1
    step, per_batch, numbers, parts = PRODUCTION
    assert (step, per_batch, numbers, parts) == (500, 50, 40, 50)
    assert export_requests(1000, step, per_batch, numbers, parts, years, accounts) == 13 + 2 * (1 + 10) == 35
    # before: steps of ERP_SYNC_BATCH_SIZE (100), 3 look-ups and 100 POSTs each
    assert before_requests(1000, 100, numbers, years, accounts) == 13 + 10 * (3 + 100) == 1043


async def test_export_requests_equal_the_formula(
    session_factory: Factory, vault: CredentialVault, monkeypatch: pytest.MonkeyPatch
) -> None:
    if ERPSystem.SAP not in available_systems():
        pytest.skip("no SAP simulator")
    monkeypatch.setattr(SAPConnector, "export_step_size", STEP)
    monkeypatch.setattr(export, "EXPORT_BATCH_SIZE", BATCH)
    monkeypatch.setattr(SAPConnector, "export_batch_size", BATCH)
    monkeypatch.setattr(duplicates, "NUMBERS_PER_QUERY", NUMBERS)
    monkeypatch.setattr(batch, "MAX_READ_PARTS", PARTS)
    world = await start(ERPSystem.SAP, session_factory, vault)
    sim = world.harness.sim
    years = _years(sim)
    accounts = ceil(len(sim.companies["SBODEMOUS"].records("ChartOfAccounts")) / SAPConnector.page_size)
    invoices = await add_invoices(world, N)
    bills, requests = bills_in_erp(world.harness), sim.stats.total

    report = await export_invoices(world.ctx, world.connection_id, [i.id for i in invoices])

    assert (report.created_count, report.errors) == (N, [])
    assert bills_in_erp(world.harness) == bills + N
    spent = sim.stats.total - requests
    assert spent == export_requests(N, STEP, BATCH, NUMBERS, PARTS, years, accounts), "\n".join(
        _log(sim, requests)
    )
    # every bill once, and the look-up GETs of the two full steps (the last one, 3 numbers, is a plain GET)
    assert sim.stats.counters["batch_parts"] == N + 2 * ceil(STEP / NUMBERS)
    assert spent < before_requests(N, STEP, NUMBERS, years, accounts)


def _years(sim: object) -> int:
    """The simulator's period categories (one per fiscal year), each read once by the period check."""
    company = sim.companies["SBODEMOUS"]  # type: ignore[attr-defined]
    sap_periods.periods_of(company)
    return len(company.records(sap_periods.CATEGORIES))


def _log(sim: object, after: int) -> list[str]:
    return [f"{r.method} {r.path}" for r in sim.stats.log if r.id > after]  # type: ignore[attr-defined]
