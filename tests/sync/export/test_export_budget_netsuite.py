"""Issue 17 budget, NetSuite export: N bills in batch POSTs through the bill RESTlet, not one request each.

The real export run (sync/export/run.py: batches of invoices, each with its duplicate look-up before any
write, the closed periods read once) exports N invoices to the simulator on SQLite and PostgreSQL with
small sizes, and the requests it makes (as the simulator logs them) must equal the formula; a lowered
governance budget adds exactly the POSTs that carry the bills not attempted. At 1,000 bills and the
production sizes the formula gives 22 requests (was 1,012: one POST per bill) in RESTlet mode; REST mode
has no bulk create and stays at 3 requests per bill (docs/netsuite.md, docs/performance.md)."""

from __future__ import annotations

from math import ceil
from typing import Any

import pytest

from smartap_erp.connectors.netsuite import duplicates, export
from smartap_erp.db.vault import CredentialVault
from smartap_erp.domain import ERPSystem
from smartap_erp.sync.export import run
from smartap_erp.sync.export.run import export_invoices
from tests.sync.export.helpers import Factory, World, add_invoices, bills_in_erp, start
from tests.sync.export.test_payment_budget_netsuite_rest import _to_rest_mode

SUITEQL = ("POST", "/services/rest/query/v1/suiteql")
RESTLET = ("POST", "/app/site/hosting/restlet.nl")


def formula(n: int, run_batch: int, post_batch: int, numbers: int = duplicates.NUMBERS_PER_QUERY) -> int:
    """Requests to export n new bills: the chart of accounts (one RESTlet page of up to 1,000 accounts)
    and the closed periods (SuiteQL), each once per five minutes (sync/export/refdata.py), then per batch
    of the run its duplicate look-up by number (SuiteQL, `numbers` a query) and its bills in POSTs of
    `post_batch`."""
    sizes = [min(run_batch, n - start) for start in range(0, n, run_batch)]
    return 1 + 1 + sum(ceil(k / numbers) + ceil(k / post_batch) for k in sizes)


def formula_before(n: int, run_batch: int) -> int:
    """One POST per bill (the single-bill contract); accounts, periods and look-ups as above."""
    return 1 + 1 + sum(1 + min(run_batch, n - start) for start in range(0, n, run_batch))


def test_formula_at_1000_bills_production_sizes() -> None:
    assert formula(1000, run.DEFAULT_BATCH_SIZE, export.BATCH_SIZE) == 22  # 10 POSTs + 12 reads
    assert formula_before(1000, run.DEFAULT_BATCH_SIZE) == 1012
    assert formula(25, 10, 4) == 2 + (1 + 3) + (1 + 3) + (1 + 2)


def _log(world: World) -> list[dict[str, Any]]:
    return list(world.harness.sim.state(include_log=True)["log"])


async def _export(world: World, n: int, prefix: str) -> list[tuple[str, str]]:
    invoices = await add_invoices(world, n, prefix=prefix)
    mark = max((r["id"] for r in _log(world)), default=0)
    before = bills_in_erp(world.harness)
    report = await export_invoices(world.ctx, world.connection_id, [i.id for i in invoices])
    assert (report.created_count, report.errors) == (n, [])
    assert bills_in_erp(world.harness) == before + n
    return [(r["method"], r["path"]) for r in _log(world) if r["id"] > mark]


async def test_export_requests_equal_the_formula(
    session_factory: Factory, vault: CredentialVault, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(run, "DEFAULT_BATCH_SIZE", 10)
    monkeypatch.setattr(export, "BATCH_SIZE", 4)
    world = await start(ERPSystem.NETSUITE, session_factory, vault)
    sent = await _export(world, 25, "BUDGET")
    assert len(sent) == formula(25, 10, 4) == 13, sent
    assert sent.count(RESTLET) == 3 + 3 + 2 and sent.count(SUITEQL) == 1 + 3
    assert sent[0] == ("GET", RESTLET[1])  # the accounts

    # a governance budget of 200 units fits four bills a POST (docs/netsuite.md 10.5): the same here
    world.harness.mutate("set_restlet_usage_limit", units=200)
    monkeypatch.setattr(export, "BATCH_SIZE", 6)
    sent = await _export(world, 10, "SHORT")
    # one batch of the run: a look-up (accounts and periods still fresh), then POSTs of 6 of which 4
    # fit: 6 sent, 2 not attempted go first in the next POST with 4 more, and so on: ceil(10 / 4) POSTs
    assert sent.count(SUITEQL) == 1 and sent.count(RESTLET) == ceil(10 / 4), sent
    assert len(sent) == 1 + ceil(10 / 4)


def formula_rest(n: int, run_batch: int, numbers: int = duplicates.NUMBERS_PER_QUERY) -> int:
    """REST mode: accounts and periods (SuiteQL there), the look-ups, then per bill its look-up by
    external id (`GET .../vendorBill/eid:`), its upsert (`PUT`) and its read-back for NetSuite's total
    (the record API has no bulk create, netsuite-connector.md §REST record API)."""
    sizes = [min(run_batch, n - start) for start in range(0, n, run_batch)]
    return 1 + 1 + sum(ceil(k / numbers) + 3 * k for k in sizes)


async def test_rest_mode_exports_one_bill_at_a_time(session_factory: Factory, vault: CredentialVault) -> None:
    world = await start(ERPSystem.NETSUITE, session_factory, vault)
    await _to_rest_mode(world, session_factory, vault)
    world.ctx.reference_cache.forget(world.connection_id)  # read the accounts in REST mode too
    sent = await _export(world, 5, "REST")
    assert len(sent) == formula_rest(5, run.DEFAULT_BATCH_SIZE) == 2 + 1 + 15, sent
    assert not any(path == RESTLET[1] for _, path in sent)
    assert formula_rest(1000, run.DEFAULT_BATCH_SIZE) == 3012
