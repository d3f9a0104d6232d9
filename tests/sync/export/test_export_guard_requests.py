"""What export's checks cost in ERP requests (issue 16, items 3 and 5), against the simulators on SQLite
and PostgreSQL: one batch of invoices makes exactly one bill look-up (the connector's own look-up before
create is skipped for pairs the checks just found absent; Xero and SAP did their own before) and one
read of the closed periods, and a second batch within the five-minute freshness reads no periods.
NetSuite's look-up and period read are both SuiteQL queries: two for the first batch, one after.
"""

from __future__ import annotations

from typing import Any

import pytest

from smartap_erp.db.vault import CredentialVault
from smartap_erp.domain import ERPSystem
from smartap_erp.sync.export.run import export_invoices
from tests.sync.export.helpers import Factory, add_invoices, bills_in_erp, start
from tests.sync.harness import ErpHarness

# system -> (the bill look-up request, the period reads) as (method, path suffix)
LOOKUPS: dict[ERPSystem, tuple[tuple[str, str], tuple[tuple[str, str], ...]]] = {
    ERPSystem.XERO: (("GET", "/api.xro/2.0/Invoices"), (("GET", "/api.xro/2.0/Organisation"),)),
    ERPSystem.SAP: (
        ("GET", "/b1s/v1/PurchaseInvoices"),
        (("GET", "/b1s/v1/CompanyService_GetPeriods"), ("POST", "/b1s/v1/CompanyService_GetFinancePeriods")),
    ),
}


def requests_since(harness: ErpHarness, mark: int) -> list[tuple[str, str]]:
    log: list[dict[str, Any]] = harness.sim.state(include_log=True)["log"]
    return [(r["method"], r["path"]) for r in log if r["id"] > mark]


def last_id(harness: ErpHarness) -> int:
    log = harness.sim.state(include_log=True)["log"]
    return int(log[-1]["id"]) if log else 0


@pytest.mark.parametrize("system", list(LOOKUPS))
async def test_one_lookup_and_one_period_read_per_batch(
    system: ERPSystem, session_factory: Factory, vault: CredentialVault
) -> None:
    world = await start(system, session_factory, vault)
    lookup, period_reads = LOOKUPS[system]
    invoices = await add_invoices(world, 3)
    before, mark = bills_in_erp(world.harness), last_id(world.harness)

    report = await export_invoices(world.ctx, world.connection_id, [i.id for i in invoices])

    assert (report.created_count, report.errors) == (3, [])
    assert bills_in_erp(world.harness) == before + 3
    sent = requests_since(world.harness, mark)
    assert sent.count(lookup) == 1, sent
    assert sent.count(period_reads[0]) == 1, sent

    # a second batch inside the five-minute freshness: its own look-up, no period read
    more = await add_invoices(world, 2, prefix="MORE")
    mark = last_id(world.harness)
    again = await export_invoices(world.ctx, world.connection_id, [i.id for i in more])
    assert again.created_count == 2
    sent = requests_since(world.harness, mark)
    assert sent.count(lookup) == 1 and not any(read in sent for read in period_reads), sent


async def test_netsuite_one_suiteql_lookup_per_batch(
    session_factory: Factory, vault: CredentialVault
) -> None:
    world = await start(ERPSystem.NETSUITE, session_factory, vault)
    suiteql = ("POST", "/services/rest/query/v1/suiteql")
    invoices = await add_invoices(world, 3)
    mark = last_id(world.harness)
    report = await export_invoices(world.ctx, world.connection_id, [i.id for i in invoices])
    assert (report.created_count, report.errors) == (3, [])
    assert requests_since(world.harness, mark).count(suiteql) == 2  # accounting periods + bill look-up
    more = await add_invoices(world, 2, prefix="MORE")
    mark = last_id(world.harness)
    assert (await export_invoices(world.ctx, world.connection_id, [i.id for i in more])).created_count == 2
    assert requests_since(world.harness, mark).count(suiteql) == 1  # periods still fresh
