"""The QBO query language subset: operators, COUNT, paging, ordering, and what it rejects."""

# ruff: noqa: S608  (these strings are QBO query statements sent to the simulator, not SQL)

from __future__ import annotations

from decimal import Decimal

import httpx
import pytest

from .conftest import Qbo, fault, query, rows


async def test_equality_on_string_and_reference(client: httpx.AsyncClient, qbo: Qbo) -> None:
    vendor = next(iter(qbo.sim.store.records["Vendor"].values()))
    name = vendor["DisplayName"].replace("'", "\\'")
    found = await rows(client, qbo, f"select * from Vendor where DisplayName = '{name}'")
    assert [v["Id"] for v in found] == [vendor["Id"]]
    bills = await rows(client, qbo, f"SELECT * FROM Bill WHERE VendorRef = '{vendor['Id']}' MAXRESULTS 1000")
    expected = {
        b["Id"] for b in qbo.sim.store.records["Bill"].values() if b["VendorRef"]["value"] == vendor["Id"]
    }
    assert {b["Id"] for b in bills} == expected


@pytest.mark.parametrize(
    ("op", "check"),
    [
        ("<", lambda a, b: a < b),
        (">", lambda a, b: a > b),
        ("<=", lambda a, b: a <= b),
        (">=", lambda a, b: a >= b),
    ],
)
async def test_numeric_comparisons(client: httpx.AsyncClient, qbo: Qbo, op: str, check: object) -> None:
    totals = sorted(b["TotalAmt"] for b in qbo.sim.store.records["Bill"].values())
    pivot = totals[len(totals) // 2]
    found = await rows(client, qbo, f"select * from Bill where TotalAmt {op} '{pivot}' maxresults 1000")
    expected = [t for t in totals if check(t, pivot)]  # type: ignore[operator]
    assert sorted(Decimal(str(b["TotalAmt"])) for b in found) == expected
    assert 0 < len(found) < len(totals) or op in ("<=", ">=")


async def test_in_like_and_and(client: httpx.AsyncClient, qbo: Qbo) -> None:
    accounts = await rows(client, qbo, "select * from Account where AccountType in ('Bank', 'Credit Card')")
    assert {a["Name"] for a in accounts} == {"Checking", "Mastercard"}
    liked = await rows(client, qbo, "select * from Account where Name like 'accounts payable%'")
    assert {a["Name"] for a in liked} == {
        "Accounts Payable (A/P)",
        "Accounts Payable (A/P) - EUR",
        "Accounts Payable (A/P) - GBP",
    }
    both = await rows(client, qbo, "select * from Account where Name like '%Payable%' and AcctNum >= '2001'")
    assert {a["AcctNum"] for a in both} == {"2001", "2002"}


async def test_count_and_empty_result_shapes(client: httpx.AsyncClient, qbo: Qbo) -> None:
    counted = await query(client, qbo, "select count(*) from Bill")
    assert counted.json()["QueryResponse"] == {"totalCount": len(qbo.sim.store.records["Bill"])}
    empty = await query(client, qbo, "select * from Bill where TotalAmt > '99999999'")
    assert empty.status_code == 200 and empty.json()["QueryResponse"] == {}
    assert "time" in empty.json()


async def test_paging_with_startposition_and_maxresults(client: httpx.AsyncClient, qbo: Qbo) -> None:
    default = (await query(client, qbo, "select * from PurchaseOrder")).json()["QueryResponse"]
    assert default["startPosition"] == 1 and default["maxResults"] == 20  # fewer than the default 100
    seen: list[str] = []
    start = 1
    while True:
        page = await query(client, qbo, f"select * from PurchaseOrder STARTPOSITION {start} MAXRESULTS 7")
        body = page.json()["QueryResponse"]
        batch = body.get("PurchaseOrder", [])
        seen += [po["Id"] for po in batch]
        if len(batch) < 7:
            break
        assert body["startPosition"] == start
        start += 7
    assert seen == [po["Id"] for po in default["PurchaseOrder"]] and len(seen) == 20


async def test_orderby_desc_and_lastupdatedtime_filter(client: httpx.AsyncClient, qbo: Qbo) -> None:
    ordered = await rows(client, qbo, "select * from Bill orderby TotalAmt desc maxresults 1000")
    amounts = [Decimal(str(b["TotalAmt"])) for b in ordered]
    assert amounts == sorted(amounts, reverse=True)
    stamps = sorted(qbo.sim.store.updated["Vendor"].values())
    cutoff = qbo.sim.store.stamp(stamps[len(stamps) // 2])
    recent = await rows(
        client,
        qbo,
        f"select * from Vendor where MetaData.LastUpdatedTime > '{cutoff}' "
        f"ORDER BY MetaData.LastUpdatedTime maxresults 1000",
    )
    assert recent and all(qbo.sim.store.updated["Vendor"][v["Id"]] > stamps[len(stamps) // 2] for v in recent)
    times = [qbo.sim.store.updated["Vendor"][v["Id"]] for v in recent]
    assert times == sorted(times)


async def test_post_form_with_application_text(client: httpx.AsyncClient, qbo: Qbo) -> None:
    response = await client.post(
        f"{qbo.base}/query", content="select count(*) from Term", headers={"Content-Type": "application/text"}
    )
    assert response.json()["QueryResponse"] == {"totalCount": 4}
    wrong = await client.post(f"{qbo.base}/query", json={"query": "select * from Term"})
    assert wrong.status_code == 400


async def test_inactive_records_only_when_active_is_queried(client: httpx.AsyncClient, qbo: Qbo) -> None:
    default = await rows(client, qbo, "select * from Account maxresults 1000")
    assert all(a["Active"] for a in default)
    everything = await rows(
        client, qbo, "select * from Account where Active in (true, false) maxresults 1000"
    )
    assert len(everything) == len(default) + 1
    inactive = await rows(client, qbo, "select * from Account where Active = false")
    assert [a["Name"] for a in inactive] == ["Old Office Expenses"]


@pytest.mark.parametrize(
    ("statement", "code", "detail"),
    [
        ("select * from Vendor where Active = true or Balance > '0'", "4000", "OR"),
        (
            "select * from Vendor maxresults 1001",
            "4001",
            "value 1001 is too large. Max allowed value is 1000",
        ),
        ("select * from vendor", "4001", "Invalid entity name"),
        ("select * from Vendor where Nickname = 'x'", "4001", "not queryable"),
        ("", "4000", "The query provided was empty"),
        ("select * from Vendor where DisplayName != 'x'", "4000", "!="),
        ("select * from Vendor join Bill", "4000", "JOIN"),
        ("delete from Vendor", "4000", "select"),
        ("select * from Vendor startposition 0", "4001", "STARTPOSITION"),
        ("select * from Vendor where DisplayName = 'unterminated", "4000", "Lexical error"),
    ],
)
async def test_bad_queries_are_rejected_with_the_real_faults(
    client: httpx.AsyncClient, qbo: Qbo, statement: str, code: str, detail: str
) -> None:
    response = await query(client, qbo, statement)
    assert response.status_code == 400
    error = fault(response)
    assert error["code"] == code and detail in error["Detail"]
    assert response.json()["Fault"]["type"] == "ValidationFault"
    prefix = "QueryParserError" if code == "4000" else "QueryValidationError"
    assert error["Detail"].startswith(prefix)


async def test_minorversion_below_75_is_accepted_and_ignored(client: httpx.AsyncClient, qbo: Qbo) -> None:
    for version in ("4", "75", "abc"):
        response = await client.get(
            f"{qbo.base}/query", params={"query": "select count(*) from Term", "minorversion": version}
        )
        assert response.status_code == 200
