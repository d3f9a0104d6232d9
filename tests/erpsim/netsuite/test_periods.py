"""Accounting periods in the NetSuite simulator: SuiteQL `accountingperiod` and `currency`, the
`set_lock_date` op, and vendor bills refused in a closed or A/P-locked period (REST and RESTlet)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from erpsim.core import MutateError
from smartap_erp.sync.error_kinds import is_period_locked
from tests.erpsim.netsuite.conftest import RESTLET, restlet_params
from tests.erpsim.netsuite.test_rest import RECORD, SUITEQL, _rest_body
from tests.erpsim.netsuite.test_restlet import _bill_body

PERIODS = (
    "SELECT id, periodname, TO_CHAR(startdate, 'YYYY-MM-DD') AS startdate, closed, aplocked, alllocked "
    "FROM accountingperiod WHERE isposting = 'T' ORDER BY startdate"
)


async def suiteql(client: httpx.AsyncClient, query: str) -> list[dict[str, Any]]:
    response = await client.post(SUITEQL, json={"q": query}, headers={"Prefer": "transient"})
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


async def test_posting_periods_and_currencies_through_suiteql(client: httpx.AsyncClient, sim: Any) -> None:
    rows = await suiteql(client, PERIODS)
    may = next(r for r in rows if r["startdate"] == "2024-05-01")
    assert may["periodname"] == "May 2024" and (may["closed"], may["aplocked"]) == ("F", "F")
    sim.mutate("set_lock_date", {"date": "2024-05-31", "how": "aplocked"})
    rows = {r["startdate"]: r for r in await suiteql(client, PERIODS)}
    assert rows["2024-05-01"]["aplocked"] == "T" and rows["2024-06-01"]["aplocked"] == "F"
    currencies = await suiteql(client, "SELECT id, symbol FROM currency WHERE id IN ('1', '2') ORDER BY id")
    assert [c["symbol"] for c in currencies] == ["USD", "EUR"]


@pytest.mark.parametrize(("how", "words"), [("closed", "closed period"), ("aplocked", "locked period")])
async def test_rest_bill_in_a_shut_period_is_refused(
    client: httpx.AsyncClient, sim: Any, how: str, words: str
) -> None:
    sim.mutate("set_lock_date", {"date": "2024-05-31", "how": how})  # the body's tranDate is 2024-05-01
    before = sim.store.count("vendorBill")
    response = await client.post(f"{RECORD}/vendorBill", json=_rest_body(sim))
    detail = response.json()["o:errorDetails"][0]
    assert response.status_code == 400 and detail["o:errorCode"] == "INVALID_FIELD_VALUE"
    assert detail["o:errorPath"] == "tranDate" and words in detail["detail"]
    assert is_period_locked("netsuite", detail["o:errorCode"], detail["detail"])
    assert sim.store.count("vendorBill") == before
    sim.mutate("set_lock_date", {"date": None})
    assert (await client.post(f"{RECORD}/vendorBill", json=_rest_body(sim))).status_code == 204


async def test_restlet_bill_in_a_closed_period_is_refused(client: httpx.AsyncClient, sim: Any) -> None:
    sim.mutate("set_lock_date", {"date": "2024-05-31"})
    response = await client.post(RESTLET, params=restlet_params("bill"), json=_bill_body(sim))
    error = response.json()["error"]
    assert response.status_code == 400 and is_period_locked("netsuite", error["code"], error["message"])


async def test_a_date_outside_every_period_is_refused(client: httpx.AsyncClient, sim: Any) -> None:
    body = {**_rest_body(sim), "tranDate": "2001-01-15"}
    response = await client.post(f"{RECORD}/vendorBill", json=body)
    assert response.status_code == 400 and "not in any accounting period" in response.text


def test_set_lock_date_refuses_bad_input(sim: Any) -> None:
    with pytest.raises(MutateError, match="how"):
        sim.mutate("set_lock_date", {"date": "2024-05-31", "how": "arlocked"})
    with pytest.raises(MutateError, match="YYYY-MM-DD"):
        sim.mutate("set_lock_date", {"date": "May 2024"})
