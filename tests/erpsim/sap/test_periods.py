"""Posting periods in the SAP simulator: CompanyService_GetPeriods / GetFinancePeriods, `set_lock_date`
and `set_period_status`, and A/P invoices refused in a locked period or outside every period."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from erpsim.core import MutateError
from smartap_erp.sync.error_kinds import is_period_locked


def invoice(day: str) -> dict[str, Any]:
    return {
        "CardCode": "V10001",
        "DocType": "dDocument_Service",
        "DocDate": day,
        "NumAtCard": f"SUP-{day}",
        "DocumentLines": [{"ItemDescription": "Paper", "AccountCode": "_SYS00000000610", "LineTotal": 10}],
    }


async def finance_periods(client: httpx.AsyncClient, year: str) -> list[dict[str, Any]]:
    categories = (await client.get("/b1s/v1/CompanyService_GetPeriods")).json()["value"]
    entry = next(c["AbsoluteEntry"] for c in categories if c["PeriodCategory"] == year)
    body = {"PeriodCategoryParams": {"AbsoluteEntry": entry}}
    response = await client.post("/b1s/v1/CompanyService_GetFinancePeriods", json=body)
    assert response.status_code == 200, response.text
    return list(response.json()["value"])


async def test_periods_are_served_and_locked_by_date(client: httpx.AsyncClient, app: Any) -> None:
    periods = await finance_periods(client, "2024")
    assert len(periods) == 12 and {p["PeriodStatus"] for p in periods} == {"ltUnlocked"}
    june = next(p for p in periods if p["PeriodCode"] == "2024-06")
    assert (june["PostingDateFrom"], june["PostingDateTo"]) == ("2024-06-01", "2024-06-30")
    app.state.sim.mutate("set_lock_date", {"date": "2024-06-30"})
    status = {p["PeriodCode"]: p["PeriodStatus"] for p in await finance_periods(client, "2024")}
    assert status["2024-06"] == "ltLocked" and status["2024-07"] == "ltUnlocked"
    unknown = await client.post(
        "/b1s/v1/CompanyService_GetFinancePeriods", json={"PeriodCategoryParams": {"AbsoluteEntry": 999}}
    )
    assert unknown.status_code == 404


async def test_invoice_in_a_locked_period_is_refused(client: httpx.AsyncClient, app: Any) -> None:
    app.state.sim.mutate("set_lock_date", {"date": "2024-06-30"})
    refused = await client.post("/b1s/v1/PurchaseInvoices", json=invoice("2024-06-01"))
    message = refused.json()["error"]["message"]["value"]
    assert refused.status_code == 400 and message == "Posting period locked; specify an alternative date"
    assert is_period_locked("sap", str(refused.json()["error"]["code"]), message)
    assert (await client.post("/b1s/v1/PurchaseInvoices", json=invoice("2024-07-01"))).status_code == 201


async def test_status_per_period_and_dates_outside_every_period(client: httpx.AsyncClient, app: Any) -> None:
    app.state.sim.mutate("set_period_status", {"period_code": "2024-06", "status": "ltUnlockedExceptSales"})
    assert (await client.post("/b1s/v1/PurchaseInvoices", json=invoice("2024-06-02"))).status_code == 201
    outside = await client.post("/b1s/v1/PurchaseInvoices", json=invoice("2001-01-15"))
    assert outside.status_code == 400 and "deviates from the defined range" in outside.text
    with pytest.raises(MutateError, match="status"):
        app.state.sim.mutate("set_period_status", {"period_code": "2024-06", "status": "open"})
