"""Batch (per-item results, 30-item cap, no visibility of same-payload creates) and CDC."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from .conftest import Qbo, fault
from .test_writes import bill_body, post, usd_vendor


async def batch(
    client: httpx.AsyncClient, qbo: Qbo, items: list[dict[str, Any]], **params: str
) -> httpx.Response:
    return await client.post(f"{qbo.base}/batch", json={"BatchItemRequest": items}, params=params)


async def test_batch_mixes_creates_queries_and_per_item_faults(client: httpx.AsyncClient, qbo: Qbo) -> None:
    vendor = usd_vendor(qbo)
    items = [
        {"bId": "1", "operation": "create", "Bill": bill_body(qbo, vendor, DocNumber="B-1")},
        {"bId": "2", "Query": "select count(*) from Term"},
        {"bId": "3", "operation": "create", "Bill": {"Line": []}},
        {"bId": "4", "operation": "create", "Bill": bill_body(qbo, vendor, DocNumber="B-1")},
    ]
    response = await batch(client, qbo, items)
    assert response.status_code == 200
    results = {item["bId"]: item for item in response.json()["BatchItemResponse"]}
    assert results["1"]["Bill"]["DocNumber"] == "B-1"
    assert results["2"]["QueryResponse"] == {"totalCount": 4}
    assert results["3"]["Fault"]["type"] == "ValidationFault"
    assert results["3"]["Fault"]["Error"][0]["code"] == "2020"
    # Items run serially: the duplicate check sees what item 1 stored.
    assert results["4"]["Fault"]["Error"][0]["code"] == "6140"
    assert len(qbo.sim.store.hidden) == 0


async def test_batch_items_cannot_reference_what_an_earlier_item_created(
    client: httpx.AsyncClient, qbo: Qbo
) -> None:
    created = [{"bId": "1", "operation": "create", "Vendor": {"DisplayName": "Batch Vendor One"}}]
    next_id = str(max(int(i) for i in qbo.sim.store.records["Vendor"]) + 1)
    items = [
        *created,
        {
            "bId": "2",
            "operation": "create",
            "Bill": {**bill_body(qbo, usd_vendor(qbo)), "VendorRef": {"value": next_id}},
        },
        {"bId": "3", "Query": "select * from Vendor where DisplayName = 'Batch Vendor One'"},
    ]
    results = (await batch(client, qbo, items)).json()["BatchItemResponse"]
    assert results[0]["Vendor"]["Id"] == next_id
    assert results[1]["Fault"]["Error"][0]["code"] == "2500"
    assert results[2]["QueryResponse"] == {}
    later = await post(
        client, qbo, "bill", {**bill_body(qbo, usd_vendor(qbo)), "VendorRef": {"value": next_id}}
    )
    assert later.status_code == 200


async def test_batch_over_30_items_is_refused(client: httpx.AsyncClient, qbo: Qbo) -> None:
    items = [{"bId": str(i), "Query": "select count(*) from Term"} for i in range(31)]
    response = await batch(client, qbo, items)
    assert response.status_code == 400 and fault(response)["code"] == "6000"
    assert (await batch(client, qbo, items[:30])).status_code == 200


async def test_batch_requestid_and_bid_length(client: httpx.AsyncClient, qbo: Qbo) -> None:
    items = [{"bId": "bid-longer-than-ten", "Query": "select count(*) from Term"}]
    refused = await batch(client, qbo, items, requestid="r1")
    assert fault(refused)["code"] == "6000"
    assert (await batch(client, qbo, items)).status_code == 200
    vendor = usd_vendor(qbo)
    create = [{"bId": "1", "operation": "create", "Bill": bill_body(qbo, vendor, DocNumber="RB-1")}]
    first = await batch(client, qbo, create, requestid="batch-1")
    count = len(qbo.sim.store.records["Bill"])
    replay = await batch(client, qbo, create, requestid="batch-1")
    assert replay.content == first.content and len(qbo.sim.store.records["Bill"]) == count


def iso(moment: datetime) -> str:
    return moment.isoformat()


async def test_cdc_returns_changes_and_deletions_since(client: httpx.AsyncClient, qbo: Qbo) -> None:
    now = qbo.clock.now()
    qbo.clock.advance(10)
    created = (await post(client, qbo, "bill", bill_body(qbo, usd_vendor(qbo), DocNumber="CDC-1"))).json()[
        "Bill"
    ]
    doomed = (await post(client, qbo, "bill", bill_body(qbo, usd_vendor(qbo), DocNumber="CDC-2"))).json()[
        "Bill"
    ]
    await post(client, qbo, "bill", {"Id": doomed["Id"], "SyncToken": "0"}, operation="delete")
    await client.post("/_sim/mutate", json={"op": "deactivate_vendor", "vendor_id": usd_vendor(qbo)["Id"]})
    response = await client.get(
        f"{qbo.base}/cdc", params={"entities": "Bill,Vendor", "changedSince": iso(now)}
    )
    assert response.status_code == 200
    parts = response.json()["CDCResponse"][0]["QueryResponse"]
    bills, vendors = parts[0]["Bill"], parts[1]["Vendor"]
    assert [b["Id"] for b in bills] == [created["Id"], doomed["Id"]]
    assert bills[1] == {
        "Id": doomed["Id"],
        "status": "Deleted",
        "domain": "QBO",
        "MetaData": {"LastUpdatedTime": bills[1]["MetaData"]["LastUpdatedTime"]},
    }
    assert len(vendors) == 1 and vendors[0]["Active"] is False
    qbo.clock.advance(1)  # changedSince is inclusive
    later = await client.get(
        f"{qbo.base}/cdc", params={"entities": "Bill", "changedSince": iso(qbo.clock.now())}
    )
    assert later.json()["CDCResponse"][0]["QueryResponse"] == [{}]


async def test_cdc_refuses_old_windows_and_tax_entities(client: httpx.AsyncClient, qbo: Qbo) -> None:
    old = datetime(2024, 6, 3, 12, tzinfo=UTC) - timedelta(days=31)
    too_old = await client.get(f"{qbo.base}/cdc", params={"entities": "Bill", "changedSince": iso(old)})
    assert too_old.status_code == 400 and "30 days" in fault(too_old)["Detail"]
    recent = iso(qbo.clock.now() - timedelta(days=29))
    tax = await client.get(f"{qbo.base}/cdc", params={"entities": "TaxCode", "changedSince": recent})
    assert tax.status_code == 400 and "TaxCode" in fault(tax)["Detail"]
    missing = await client.get(f"{qbo.base}/cdc", params={"entities": "Bill"})
    assert fault(missing)["code"] == "2020"


async def test_cdc_shows_voided_bills_with_status(client: httpx.AsyncClient, qbo: Qbo) -> None:
    since = iso(qbo.clock.now())
    bill = (await post(client, qbo, "bill", bill_body(qbo, usd_vendor(qbo), DocNumber="V-1"))).json()["Bill"]
    done = await client.post("/_sim/mutate", json={"op": "void_bill", "bill_id": bill["Id"]})
    assert done.status_code == 200
    parts = (await client.get(f"{qbo.base}/cdc", params={"entities": "Bill", "changedSince": since})).json()
    voided = parts["CDCResponse"][0]["QueryResponse"][0]["Bill"][0]
    assert voided["status"] == "Voided" and voided["TotalAmt"] == 0 and voided["PrivateNote"] == "Voided"
