"""`SAPConnector.export_invoices` through the Service Layer's `$batch`, against the simulator over real HTTP:
requests per batch, each bill its own change set, per-invoice outcomes equal to the single POST's, the
bills after a failed part sent again (never one that succeeded), lost or cut answers recovered by a
look-up (exactly one bill each), look-ups and PO reads in one request, v2."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from erpsim.sap import routes as sim_routes
from smartap_erp.connectors.sap import batch, duplicates, export
from smartap_erp.domain import ERPInvoice, ERPInvoiceLine
from smartap_erp.errors import ERPTransientError, ERPValidationError
from smartap_erp.sync.error_kinds import ErrorKind, classify_record
from tests.connectors.sap.conftest import Harness, open_item_orders, po_invoice, service_invoice

BATCH = "/b1s/v1/$batch"


@pytest.fixture
def small_batches(monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setattr(export, "EXPORT_BATCH_SIZE", 3)
    return 3


def requests(harness: Harness, mark: int = 0) -> list[tuple[str, str]]:
    return [(r.method, r.path) for r in harness.log() if r.id > mark]


def last(harness: Harness) -> int:
    return max((r.id for r in harness.log()), default=0)


def vendors(harness: Harness, count: int) -> list[str]:
    return [bp["CardCode"] for bp in harness.suppliers(active=True)[:count]]


def dated(invoice: ERPInvoice, day: dt.date) -> ERPInvoice:
    return invoice.model_copy(update={"invoice_date": day, "due_date": day + dt.timedelta(days=30)})


async def test_bills_go_in_batches_each_created_once(harness: Harness, small_batches: int) -> None:
    vendor = vendors(harness, 1)[0]
    invoices = [service_invoice(vendor, f"B-{n}") for n in range(7)]
    async with harness.connector() as sap:
        await sap.test_connection()
        mark = last(harness)
        outcomes = await sap.export_invoices(invoices)
    assert [o.invoice_number for o in outcomes] == [i.invoice_number for i in invoices]
    assert all(o.result is not None and o.result.created for o in outcomes)
    for invoice, outcome in zip(invoices, outcomes, strict=True):
        bills = harness.bills(vendor, invoice.invoice_number)
        assert len(bills) == 1 and str(bills[0]["DocEntry"]) == outcome.result.external_id  # type: ignore[union-attr]
        assert outcome.result.erp_total == bills[0]["DocTotal"]  # type: ignore[union-attr]
    sent = requests(harness, mark)
    # one look-up (7 numbers: one plain GET), the line tax field once, ceil(7 / 3) batches, then Logout
    assert sent.count(("POST", BATCH)) == 3
    assert sent.count(("GET", "/b1s/v1/PurchaseInvoices")) == 1
    assert not any(r == ("POST", "/b1s/v1/PurchaseInvoices") for r in sent)
    assert len(sent) == 1 + 1 + 3 + 1


async def test_a_refused_bill_is_its_own_error_and_the_rest_are_sent_again(
    harness: Harness, small_batches: int
) -> None:
    vendor = vendors(harness, 1)[0]
    invoices = [service_invoice(vendor, f"R-{n}") for n in range(6)]
    bad_line = ERPInvoiceLine(
        description="x", amount=invoices[1].total_amount, account_code="NO-SUCH-ACCOUNT"
    )
    invoices[1] = invoices[1].model_copy(update={"line_items": (bad_line,)})
    single = invoices[1].model_copy(update={"invoice_number": "R-single", "smartap_invoice_id": "inv-R-1"})
    async with harness.connector() as sap:
        with pytest.raises(ERPValidationError) as alone:
            await sap.export_invoice(single)
        mark = last(harness)
        outcomes = await sap.export_invoices(invoices)
    error = outcomes[1].error
    assert error is not None and outcomes[1].result is None
    assert (error.code, error.message, error.record_id) == (
        alone.value.code,
        str(alone.value),
        "inv-R-1",
    )
    assert error.code == "-10"
    created = [o for o in outcomes if o.result is not None]
    assert len(created) == 5 and all(o.result.created for o in created)  # type: ignore[union-attr]
    assert all(len(harness.bills(vendor, i.invoice_number)) == 1 for n, i in enumerate(invoices) if n != 1)
    # batch 1 ran R-0 and stopped at R-1; R-2 went with the next batch, then
    assert requests(harness, mark).count(("POST", BATCH)) == 3
    assert harness.sim.stats.counters["batch_parts"] == 2 + 3 + 1


async def test_a_locked_period_is_classified_as_for_the_single_post(harness: Harness) -> None:
    vendor = vendors(harness, 1)[0]
    harness.sim.mutate("set_lock_date", {"date": "2024-05-31"})
    invoices = [
        service_invoice(vendor, "P-0"),
        dated(service_invoice(vendor, "P-1"), dt.date(2024, 5, 15)),
        service_invoice(vendor, "P-2"),
    ]
    async with harness.connector() as sap:
        outcomes = await sap.export_invoices(invoices)
    error = outcomes[1].error
    assert error is not None and classify_record("sap", error.code, error.message) is ErrorKind.PERIOD_LOCKED
    assert outcomes[0].result is not None and outcomes[2].result is not None
    assert not harness.bills(vendor, "P-1") and len(harness.bills(vendor, "P-2")) == 1


async def test_bills_already_there_are_returned_not_created(harness: Harness) -> None:
    vendor = vendors(harness, 1)[0]
    invoices = [service_invoice(vendor, f"E-{n}") for n in range(3)]
    async with harness.connector() as sap:
        first = await sap.export_invoice(invoices[1])
        outcomes = await sap.export_invoices(invoices)
        again = await sap.export_invoices(invoices)
    assert outcomes[1].result is not None and not outcomes[1].result.created
    assert outcomes[1].result.external_id == first.external_id
    assert [o.result.created for o in again if o.result] == [False, False, False]
    assert all(len(harness.bills(vendor, i.invoice_number)) == 1 for i in invoices)


@pytest.mark.parametrize("lost", ["drop", "504"])
async def test_a_lost_batch_answer_is_recovered_by_one_lookup(harness: Harness, lost: str) -> None:
    vendor = vendors(harness, 1)[0]
    invoices = [service_invoice(vendor, f"L{lost}-{n}") for n in range(4)]
    harness.sim.set_fault_plan(harness.sim.faults.plan.parse(f"commit_then_fail=1;lost_response={lost}"))
    async with harness.connector() as sap:
        await sap.find_bills(invoices)  # export's checks: all absent, so no look-up before the batch
        mark = last(harness)
        outcomes = await sap.export_invoices(invoices)
        replay = await sap.export_invoices(invoices)
    assert all(o.result is not None and o.result.created for o in outcomes)
    assert all(o.result is not None and not o.result.created for o in replay)
    assert all(len(harness.bills(vendor, i.invoice_number)) == 1 for i in invoices)
    sent = [r for r in requests(harness, mark) if r != ("GET", "/b1s/v1/VatGroups")]  # line tax field, once
    assert sent[:2] == [("POST", BATCH), ("GET", "/b1s/v1/PurchaseInvoices")]  # the batch, then one look-up
    assert sent.count(("POST", BATCH)) == 1


async def test_an_answer_cut_short_is_looked_up_never_sent_twice(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A 202 whose last parts are missing though none failed: those bills ran or not, nobody knows; they
    are looked up (found: created), not sent again."""
    vendor = vendors(harness, 1)[0]
    invoices = [service_invoice(vendor, f"C-{n}") for n in range(4)]
    decode = batch.decode
    monkeypatch.setattr(batch, "decode", lambda response: decode(response)[:2])
    async with harness.connector() as sap:
        await sap.find_bills(invoices)
        outcomes = await sap.export_invoices(invoices)
    assert all(o.result is not None and o.result.created for o in outcomes)
    assert all(len(harness.bills(vendor, i.invoice_number)) == 1 for i in invoices)
    assert harness.sim.stats.by_endpoint["POST /b1s/v1/$batch"] == 1


async def test_lookups_and_po_reads_share_one_request(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(duplicates, "NUMBERS_PER_QUERY", 2)
    monkeypatch.setattr(export, "DOCENTRIES_PER_QUERY", 1)
    pos = open_item_orders(harness)[:2]
    invoices = [po_invoice(po, f"PO-{n}", f"inv-PO-{n}") for n, po in enumerate(pos)]
    invoices += [service_invoice(vendors(harness, 1)[0], f"S-{n}") for n in range(3)]
    orphan = invoices[2].model_copy(update={"invoice_number": "ORPHAN", "purchase_order_id": "99999"})
    async with harness.connector() as sap:
        await sap.test_connection()
        mark = last(harness)
        outcomes = await sap.export_invoices([*invoices, orphan])
    assert all(o.result is not None and o.result.created for o in outcomes[:-1])
    assert (
        outcomes[-1].error is not None and outcomes[-1].error.code == "-2028"
    )  # as GET PurchaseOrders(99999)
    for po in pos:
        assert po["DocumentStatus"] == "bost_Close"
    sent = requests(harness, mark)
    # 6 numbers / 2 + 3 POs / 1 = 6 GET parts in one batch; the orphan's PO alone; the tax field; creates
    assert sent[0] == ("POST", BATCH) and ("GET", "/b1s/v1/PurchaseOrders(99999)") in sent
    assert sent.count(("POST", BATCH)) == 2 and not any(
        m == "GET" and p.endswith("Invoices") for m, p in sent
    )


async def test_find_bills_of_many_numbers_is_one_batch_and_follows_next_links(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(duplicates, "NUMBERS_PER_QUERY", 2)
    vendor = vendors(harness, 1)[0]
    invoices = [service_invoice(vendor, f"F-{n}") for n in range(5)]
    async with harness.connector() as sap:
        for invoice in invoices[:3]:
            await sap.export_invoice(invoice)
        await sap.export_invoice(invoices[0].model_copy(update={"vendor_id": vendors(harness, 2)[1]}))
        sap.page_size = 1  # each GET part's page holds one row: its next link is followed alone
        mark = last(harness)
        found = await sap.find_bills(invoices)
    assert sorted(b.invoice_number for b in found) == ["F-0", "F-1", "F-2"]  # the other vendor's F-0 dropped
    sent = requests(harness, mark)
    assert sent.count(("POST", BATCH)) == 1 and sent.count(("GET", "/b1s/v1/PurchaseInvoices")) == 2
    assert {i.invoice_number for i in invoices[3:]} == {n for _, n in sap.absent_bills}


async def test_v2_batches(harness: Harness, small_batches: int) -> None:
    v2 = harness
    vendor = vendors(v2, 1)[0]
    invoices = [service_invoice(vendor, f"V2-{n}") for n in range(4)]
    async with v2.connector(creds={**v2.creds, "api_version": "v2"}) as sap:
        outcomes = await sap.export_invoices(invoices)
    assert all(o.result is not None and o.result.created for o in outcomes)
    assert v2.sim.stats.by_endpoint["POST /b1s/v2/$batch"] == 2


async def test_a_part_failing_with_a_server_error_raises_and_a_retry_creates_each_bill_once(
    harness: Harness, small_batches: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A 500 in the middle of a batch: that bill is looked up (absent: the error raises, as the single
    POST's would); the bills before it exist, those after it never ran. The retry (export's checks, then
    export again) links the first, sends the rest, and every bill exists once."""
    vendor = vendors(harness, 1)[0]
    invoices = [service_invoice(vendor, f"X-{n}") for n in range(5)]
    real = sim_routes.build_document

    def build(company: Any, set_name: str, body: dict[str, Any]) -> dict[str, Any]:
        if body.get("NumAtCard") == "X-1":
            raise RuntimeError("the DI core fell over")
        return real(company, set_name, body)

    async with harness.connector() as sap:
        await sap.find_bills(invoices)
        with monkeypatch.context() as patch:
            patch.setattr(sim_routes, "build_document", build)
            with pytest.raises(ERPTransientError):
                await sap.export_invoices(invoices)
        assert [len(harness.bills(vendor, i.invoice_number)) for i in invoices] == [1, 0, 0, 0, 0]
        there = {b.invoice_number for b in await sap.find_bills(invoices)}  # export's checks on retry
        outcomes = await sap.export_invoices([i for i in invoices if i.invoice_number not in there])
    assert there == {"X-0"} and all(o.result is not None and o.result.created for o in outcomes)
    assert [len(harness.bills(vendor, i.invoice_number)) for i in invoices] == [1] * 5
