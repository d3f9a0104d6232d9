"""Mapping preview on records read from the ERP, over HTTP on SQLite and PostgreSQL against the
QuickBooks and Xero simulators: without samples, `limit` vendors or purchase orders are read in one
small page through the connection's connector and each answers its input (the standard record), the
rules' output, and its own errors (a rule failing, a mapped record no import would accept, a record
the ERP gave that could not be read); a rule that does not compile is answered before the ERP is
asked; an ERP failure is a problem document with the ERP's code and `retryable`; samples and a limit
together, a limit past 20 and an invoice preview without samples are refused."""

from __future__ import annotations

from typing import Any

import httpx

from erpsim.core.faults import FaultPlan
from smartap_erp.domain.enums import ERPSystem
from tests.api.conftest import SimulatedApp
from tests.api.test_connections_api import problem
from tests.sync.harness import ErpHarness

URL = "/api/v1/erp/connections/Books/mappings"
NAME_RULE = {"smartap_field": "name", "erp_field": "name", "rule": "'V-' + value"}


async def _erp(api_ctx: SimulatedApp, system: ERPSystem, **sim: Any) -> ErpHarness:
    assert api_ctx.sync is not None
    return await ErpHarness.start(system, api_ctx.sync, name="Books", **sim)


def _requests(harness: ErpHarness) -> int:
    return int(harness.state()["requests"]["total"])


async def test_vendors_read_from_quickbooks(api: httpx.AsyncClient, api_ctx: SimulatedApp) -> None:
    harness = await _erp(api_ctx, ERPSystem.QUICKBOOKS, vendors=30)

    tried = await api.post(f"{URL}/preview", json={"entity": "vendor", "limit": 3, "rule": NAME_RULE})

    assert tried.status_code == 200, tried.text
    out = tried.json()
    assert (out["compiled"], out["source"], out["direction"], out["mappings"]) == (True, "erp", "import", 1)
    assert len(out["records"]) == 3
    for record in out["records"]:
        assert record["errors"] == [] and record["erp_id"] == record["input"]["external_id"]
        assert record["result"]["name"] == "V-" + record["input"]["name"]
        assert record["result"]["external_id"] == record["erp_id"]  # mapped onto a copy, as an import
    assert len({r["erp_id"] for r in out["records"]}) == 3
    # One small read: QuickBooks' COUNT and one query page, nothing written, nothing stored.
    assert _requests(harness) <= 2
    assert harness.state()["entities"]["Vendor"] == 30
    assert (await api.get(URL)).json()["items"] == []

    default = (await api.post(f"{URL}/preview", json={"entity": "vendor"})).json()
    assert default["mappings"] == 0 and len(default["records"]) == 5
    assert all(r["result"] == r["input"] for r in default["records"])  # no mappings: unchanged


async def test_an_unreadable_erp_record_is_marked_and_the_rest_mapped(
    api: httpx.AsyncClient, api_ctx: SimulatedApp
) -> None:
    harness = await _erp(api_ctx, ERPSystem.QUICKBOOKS, vendors=4)
    first = min(harness.sim.store.records["Vendor"], key=int)  # pages are ordered by Id
    vendor = harness.sim.store.records["Vendor"][first]
    vendor["DisplayName"] = vendor["CompanyName"] = None  # a vendor with no name at all

    out = (await api.post(f"{URL}/preview", json={"entity": "vendor", "limit": 4, "rule": NAME_RULE})).json()

    broken, *rest = out["records"]
    assert broken["erp_id"] == first and broken["input"] is None and broken["result"] == {}
    assert broken["errors"] and broken["errors"][0]["record_id"] == first
    assert len(rest) == 3 and all(r["errors"] == [] and r["result"]["name"].startswith("V-") for r in rest)


async def test_purchase_orders_read_from_xero_with_stored_mappings(
    api: httpx.AsyncClient, api_ctx: SimulatedApp
) -> None:
    await _erp(api_ctx, ERPSystem.XERO, purchase_orders=10)
    odd = {"entity": "purchase_order", "smartap_field": "po_number", "erp_field": "po_number"}
    made = await api.post(URL, json={**odd, "regex": "[13579]$"})
    assert made.status_code == 201, made.text

    out = (await api.post(f"{URL}/preview", json={"entity": "purchase_order", "limit": 6})).json()

    assert (out["source"], out["mappings"], len(out["records"])) == ("erp", 1, 6)
    for record in out["records"]:
        number = record["input"]["po_number"]
        assert record["input"]["line_items"] and record["erp_id"] == record["input"]["external_id"]
        if number[-1] in "13579":
            assert record["errors"] == [] and record["result"]["po_number"] == number
        else:
            [error] = record["errors"]
            assert error["record_id"] == record["erp_id"] and "does not match" in error["message"]
    assert {bool(r["errors"]) for r in out["records"]} == {True, False}  # failures are per record

    # A mapped record no import would accept is refused as the import would refuse it.
    currency = {"smartap_field": "currency", "erp_field": "currency", "rule": "'not a currency'"}
    invalid = (
        await api.post(f"{URL}/preview", json={"entity": "purchase_order", "limit": 2, "rule": currency})
    ).json()
    for record in invalid["records"]:
        [error] = record["errors"]
        assert error["field"] == "currency" and error["message"].startswith("after field mappings")


async def test_a_rule_that_does_not_compile_is_answered_before_the_erp_is_asked(
    api: httpx.AsyncClient, api_ctx: SimulatedApp
) -> None:
    harness = await _erp(api_ctx, ERPSystem.XERO)
    bad = {**NAME_RULE, "rule": "'V-' +"}

    out = (await api.post(f"{URL}/preview", json={"entity": "vendor", "rule": bad})).json()

    assert (out["compiled"], out["source"], out["records"]) == (False, "erp", [])
    assert out["error"]["field"] == "transformation_rule" and out["error"]["line"] == 1
    assert isinstance(out["error"]["column"], int)
    assert _requests(harness) == 0


async def test_an_erp_failure_is_a_problem_with_the_erps_code(
    api: httpx.AsyncClient, api_ctx: SimulatedApp
) -> None:
    harness = await _erp(api_ctx, ERPSystem.QUICKBOOKS)
    harness.sim.set_fault_plan(FaultPlan.parse("next5xx=50"))  # more than every retry

    failed = problem(await api.post(f"{URL}/preview", json={"entity": "vendor", "limit": 2}), 503)

    assert failed["retryable"] is True and failed["erp"] == "quickbooks"
    assert failed["erp_code"] and failed["type"].endswith("/erp-unavailable")
    assert harness.sleeps  # retried (on the simulator's clock) before giving up


async def test_bodies_that_cannot_be_previewed(api: httpx.AsyncClient, api_ctx: SimulatedApp) -> None:
    harness = await _erp(api_ctx, ERPSystem.QUICKBOOKS)
    both = problem(
        await api.post(f"{URL}/preview", json={"entity": "vendor", "samples": [{}], "limit": 2}), 422
    )
    assert "not both" in both["errors"][0]["detail"]
    many = problem(await api.post(f"{URL}/preview", json={"entity": "vendor", "limit": 21}), 422)
    assert many["errors"][0]["pointer"] == "/body/limit"
    invoice = problem(await api.post(f"{URL}/preview", json={"entity": "invoice"}), 422)
    assert "give sample records" in invoice["detail"]
    assert _requests(harness) == 0
