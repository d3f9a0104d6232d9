"""A broken HTTP 200 from any ERP is an `ERPProtocolError` naming the ERP and the URL (issue 12 item 10).

Each connector runs against its own simulator (in-process) whose fault plan answers the next request
on one path with an empty 200, an HTML page or JSON of an unexpected shape (`nextmalformed`, see
docs/simulators.md). Never an `AttributeError`, a raw `JSONDecodeError`, or an import that completes
with 0 records.
"""

from __future__ import annotations

import importlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from erpsim.core import Clock, SimConfig
from erpsim.core.faults import FaultPlan
from smartap_erp.connectors.base import ERPConnector
from smartap_erp.connectors.registry import build_connector
from smartap_erp.errors import ERPProtocolError, PaginationError
from smartap_erp.http import LimiterRegistry


@dataclass(frozen=True)
class Case:
    system: str
    name: str  # the ERP's display name, expected in the error
    vendors_path: str  # where the vendor read goes
    check_path: str  # where test_connection goes
    credentials: dict[str, str]


CASES = [
    Case("quickbooks", "QuickBooks Online", "/v3/company/", "/v3/company/", {}),
    Case("xero", "Xero", "/api.xro/2.0/Contacts", "/connections", {}),
    Case("sap", "SAP Business One", "/b1s/v1/BusinessPartners", "/b1s/v1/CompanyService_GetCompanyInfo", {}),
    Case("netsuite", "NetSuite", "/app/site/hosting/restlet.nl", "/app/site/hosting/restlet.nl", {}),
    Case(
        "netsuite",
        "NetSuite",
        "/services/rest/query/v1/suiteql",
        "/services/rest/query/v1/suiteql",
        {"mode": "rest"},
    ),
]
STYLES = {
    "empty": "an empty body where JSON was expected",
    "html": "a body that is not JSON (text/html)",
    "shape": "",  # the detail depends on what was expected; the error class and names are checked
}


def _connector(case: Case, spec: str) -> tuple[ERPConnector, Any]:
    module = importlib.import_module(f"erpsim.{case.system}")
    app = module.create_app(
        SimConfig(vendors=5, purchase_orders=0, bills=0, clock=Clock.fixed("2024-06-03T12:00:00+00:00"))
    )
    sim = app.state.sim
    sim.faults.set_plan(FaultPlan.parse(spec))

    async def sleep(seconds: float) -> None:
        sim.clock.advance(seconds)

    connector = build_connector(
        case.system,
        {**sim.credentials(), **case.credentials},
        base_url=f"http://{case.system}.test",
        transport=httpx.ASGITransport(app=app),
        clock=sim.clock.time,
        sleep=sleep,
        random=lambda: 0.5,
        limiters=LimiterRegistry(),
    )
    return connector, sim


async def _expect_protocol_error(
    case: Case, style: str, path: str, run: Callable[[Any], Awaitable[Any]]
) -> None:
    connector, sim = _connector(case, f"nextmalformed=1;malformed={style};path={path}")
    async with connector:
        with pytest.raises(ERPProtocolError) as caught:
            await run(connector)
    assert sim.faults.injected == {"malformed": 1}  # the broken answer was really served
    error = caught.value
    assert not isinstance(error, PaginationError)
    text = str(error)
    assert f"{case.name} sent an unexpected answer: {STYLES[style]}" in text
    assert "HTTP 200 for " in text and error.url is not None and f"{case.system}.test{path}" in error.url
    assert error.status == 200 and error.erp.value == case.system


@pytest.mark.parametrize("style", sorted(STYLES))
@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.system}-{c.credentials.get('mode', 'default')}")
async def test_a_broken_200_while_reading_vendors(case: Case, style: str) -> None:
    await _expect_protocol_error(case, style, case.vendors_path, lambda erp: erp.import_vendors())


@pytest.mark.parametrize("style", sorted(STYLES))
@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.system}-{c.credentials.get('mode', 'default')}")
async def test_a_broken_200_while_testing_the_connection(case: Case, style: str) -> None:
    await _expect_protocol_error(case, style, case.check_path, lambda erp: erp.test_connection())


async def test_the_same_reads_succeed_without_the_fault() -> None:
    """The control: with no fault, every case above reads its vendors and company."""
    for case in CASES:
        connector, _ = _connector(case, "")
        async with connector:
            assert (await connector.import_vendors()).success_count >= 5
            assert (await connector.test_connection()).company_id
