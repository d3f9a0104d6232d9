"""SuiteQL's `transaction.status` is the one-letter code a real account answers, not the UI label
(Tim Dietrich, "NetSuite SuiteQL transaction statuses"; letters per Prolecto's status list)."""

from __future__ import annotations

from typing import Any

import httpx

SUITEQL = "/services/rest/query/v1/suiteql"
TRANSIENT = {"Prefer": "transient"}


async def _statuses(client: httpx.AsyncClient, kind: str) -> dict[str, str]:
    query = f"SELECT id, status FROM transaction WHERE type = '{kind}' ORDER BY id"  # noqa: S608
    response = await client.post(SUITEQL, json={"q": query}, headers=TRANSIENT, params={"limit": "1000"})
    return {row["id"]: row["status"] for row in response.json()["items"]}


async def test_bill_and_po_statuses_are_letters(client: httpx.AsyncClient, sim: Any) -> None:
    bills = sim.store.ordered("vendorBill")
    open_bill = next(b for b in bills if b["statusRef"] == "open")
    sim.mutate("pay_bill", {"bill_id": open_bill["id"]})
    cancelled = next(b for b in bills if b["statusRef"] == "open")
    sim.mutate("cancel_bill", {"bill_id": cancelled["id"]})
    letters = await _statuses(client, "VendBill")
    assert letters[open_bill["id"]] == "B" and letters[cancelled["id"]] == "C"
    assert set(letters.values()) <= set("ABCDE")
    expected = {"open": "A", "paid": "B", "cancelled": "C", "pendingApproval": "D", "rejected": "E"}
    assert letters == {b["id"]: expected[b["statusRef"]] for b in bills}
    pos = await _statuses(client, "PurchOrd")
    assert pos and set(pos.values()) <= set("ABCDEFGH")
    by_label = {"Pending Receipt": "B", "Fully Billed": "G", "Closed": "H"}
    assert all(
        pos[p["id"]] == by_label[p["status"]]
        for p in sim.store.ordered("purchaseOrder")
        if p["status"] in by_label
    )


async def test_status_filters_on_the_letter(client: httpx.AsyncClient, sim: Any) -> None:
    query = "SELECT id FROM transaction WHERE type = 'VendBill' AND status = 'A' ORDER BY id"
    rows = (await client.post(SUITEQL, json={"q": query}, headers=TRANSIENT)).json()["items"]
    assert [r["id"] for r in rows] == sorted(
        (b["id"] for b in sim.store.ordered("vendorBill") if b["statusRef"] == "open"), key=int
    )
    label = "SELECT id FROM transaction WHERE type = 'VendBill' AND status = 'Open' ORDER BY id"
    assert (await client.post(SUITEQL, json={"q": label}, headers=TRANSIENT)).json()["items"] == []
