"""Lock dates in the Xero simulator: served on the Organisation, set by `set_lock_date`, enforced on
AUTHORISED bills (created or approved later) with Xero's lock-date wording, DRAFT and SUBMITTED allowed."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from erpsim.core import MutateError
from smartap_erp.sync.error_kinds import is_period_locked

from .conftest import API
from .test_writes import bill, bill_count, supplier_id


def lock(app: Any, day: str | None, kind: str = "period") -> dict[str, Any]:
    return dict(app.state.sim.mutate("set_lock_date", {"date": day, "kind": kind}))


async def test_organisation_serves_both_lock_dates(client: httpx.AsyncClient, app: Any) -> None:
    org = (await client.get(f"{API}/Organisation")).json()["Organisations"][0]
    assert "PeriodLockDate" not in org and "EndOfYearLockDate" not in org
    lock(app, "2024-04-30")
    lock(app, "2023-12-31", "end_of_year")
    org = (await client.get(f"{API}/Organisation")).json()["Organisations"][0]
    assert org["PeriodLockDate"] == "/Date(1714435200000+0000)/"  # 2024-04-30
    assert org["EndOfYearLockDate"] == "/Date(1703980800000+0000)/"  # 2023-12-31
    lock(app, None)
    assert "PeriodLockDate" not in (await client.get(f"{API}/Organisation")).json()["Organisations"][0]


@pytest.mark.parametrize(
    ("kind", "words"), [("period", "period lock date"), ("end_of_year", "end of year lock date")]
)
async def test_authorised_bill_on_or_before_a_lock_date_is_refused(
    client: httpx.AsyncClient, app: Any, kind: str, words: str
) -> None:
    contact = await supplier_id(client)
    lock(app, "2024-05-01", kind)  # the bill's own date: on or before is locked
    before = bill_count(app)
    response = await client.put(f"{API}/Invoices", json={"Invoices": [bill(contact, "LOCK-1")]})
    [element] = response.json()["Invoices"]
    assert element["HasErrors"] is True and bill_count(app) == before
    [message] = [e["Message"] for e in element["ValidationErrors"]]
    assert message == f"The document date cannot be before the {words}, currently set at 01-May-2024"
    assert is_period_locked("xero", "ValidationException", message)


async def test_draft_and_submitted_bills_are_taken_in_a_locked_period(
    client: httpx.AsyncClient, app: Any
) -> None:
    contact = await supplier_id(client)
    lock(app, "2024-05-31")
    drafts = [
        {**bill(contact, "LOCK-D"), "Status": "DRAFT"},
        {**bill(contact, "LOCK-S"), "Status": "SUBMITTED"},
    ]
    response = await client.put(f"{API}/Invoices", json={"Invoices": drafts})
    assert [e["Status"] for e in response.json()["Invoices"]] == ["DRAFT", "SUBMITTED"]
    # approving the draft later is refused while the period is locked, and taken once it is open
    draft_id = response.json()["Invoices"][0]["InvoiceID"]
    approve = {"InvoiceID": draft_id, "Status": "AUTHORISED"}
    [refused] = (await client.post(f"{API}/Invoices", json=approve)).json()["Invoices"]
    assert refused["HasErrors"] is True and "period lock date" in refused["ValidationErrors"][0]["Message"]
    lock(app, None)
    [approved] = (await client.post(f"{API}/Invoices", json=approve)).json()["Invoices"]
    assert approved["Status"] == "AUTHORISED"


async def test_a_bill_after_the_lock_date_is_taken(client: httpx.AsyncClient, app: Any) -> None:
    contact = await supplier_id(client)
    lock(app, "2024-04-30")
    [element] = (await client.put(f"{API}/Invoices", json={"Invoices": [bill(contact, "OPEN-1")]})).json()[
        "Invoices"
    ]
    assert element["Status"] == "AUTHORISED" and not element.get("HasErrors")


def test_set_lock_date_refuses_bad_input(app: Any) -> None:
    with pytest.raises(MutateError, match="YYYY-MM-DD"):
        lock(app, "30/06/2024")
    with pytest.raises(MutateError, match="kind"):
        lock(app, "2024-06-30", "quarter")
