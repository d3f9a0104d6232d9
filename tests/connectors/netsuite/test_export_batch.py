"""Exporting many bills (NetSuiteConnector.export_invoices) against the simulator over real HTTP: RESTlet
mode sends batch POSTs of up to 100 bills (connectors/netsuite/export.py), REST mode one upsert per bill;
both exactly once by externalId, a refused bill failing alone."""

from __future__ import annotations

from collections.abc import Callable

from erpsim.core.testing import LiveServer
from smartap_erp.connectors.netsuite import NetSuiteConnector, export
from smartap_erp.domain.models import ERPInvoice
from tests.connectors.netsuite.test_connector import _invoice

Connect = Callable[..., NetSuiteConnector]


def _invoices(server: LiveServer, count: int, first: int = 0) -> list[ERPInvoice]:
    return [_invoice(server, f"SUP-B{i}") for i in range(first, first + count)]


def _posts(server: LiveServer) -> int:
    return int(server.sim.stats.counters["restlet_vendorBill_post"])


async def test_batch_export_once_with_a_refused_bill_alone(
    connect: Connect, server: LiveServer, mode: str
) -> None:
    sim = server.sim
    invoices = _invoices(server, 5)
    invoices[2] = invoices[2].model_copy(update={"vendor_id": "999999"})
    before = sim.store.count("vendorBill")
    async with connect() as connector:
        outcomes = await connector.export_invoices(invoices)
        assert [o.smartap_invoice_id for o in outcomes] == [i.smartap_invoice_id for i in invoices]
        assert [o.error is None for o in outcomes] == [True, True, False, True, True]
        assert outcomes[2].error is not None and outcomes[2].error.code == "INVALID_KEY_OR_REF"
        created = [o.result for o in outcomes if o.result is not None]
        assert all(r.created for r in created) and sim.store.count("vendorBill") == before + 4
        assert {r.erp_total for r in created} == {invoices[0].total_amount}
        assert [r.external_number for r in created] == ["SUP-B0", "SUP-B1", "SUP-B3", "SUP-B4"]
        assert _posts(server) == (1 if mode == "restlet" else 0)
        again = await connector.export_invoices(invoices)  # a retry: found by externalId, none created
    assert [(o.result.external_id, o.result.created) for o in again if o.result] == [
        (r.external_id, False) for r in created
    ]
    assert sim.store.count("vendorBill") == before + 4


async def test_batches_of_100_and_governance_cut_short(connect: Connect, server: LiveServer) -> None:
    sim = server.sim
    async with connect(mode="restlet") as connector:
        outcomes = await connector.export_invoices(_invoices(server, 150))
        assert all(o.result and o.result.created for o in outcomes) and _posts(server) == 2  # 100 + 50
        sim.mutate("set_restlet_usage_limit", {"units": 200})  # four bills a POST (docs/netsuite.md 10.5)
        outcomes = await connector.export_invoices(_invoices(server, 10, first=200))
    assert all(o.result and o.result.created for o in outcomes)
    assert _posts(server) == 2 + 3  # 4 + 4 + 2: the bills not attempted went in the next POST
    assert len({o.result.external_id for o in outcomes if o.result}) == 10


async def test_a_lost_batch_answer_is_replayed_without_a_second_bill(
    connect: Connect, server: LiveServer
) -> None:
    sim = server.sim
    before = sim.store.count("vendorBill")
    sim.set_fault_plan(sim.faults.plan.parse("commit_then_fail=1;lost_response=drop"))
    async with connect(mode="restlet") as connector:
        outcomes = await connector.export_invoices(_invoices(server, 3))
    assert sim.faults.injected.get("lost_response") == 1
    assert sim.store.count("vendorBill") == before + 3
    # the replay found the three bills the lost POST had created
    assert [o.result.created for o in outcomes if o.result] == [False, False, False]


def test_chunks_cut_at_100_bills_or_4_mb() -> None:
    small = [b"x" * 10] * 250
    assert export.chunks(small, list(range(250))) == list(range(100))
    big = [b"x" * 1_500_000] * 4
    assert export.chunks(big, [0, 1, 2, 3]) == [0, 1]
    assert export.chunks([b"x" * 9_000_000], [0]) == [0]  # alone, it still goes
