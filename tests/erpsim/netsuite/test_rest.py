"""SuiteTalk REST web services in the simulator: record API, upsert by external id, SuiteQL."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx

from erpsim.core.jsonutil import loads
from tests.erpsim.netsuite.test_restlet import _bill_body

RECORD = "/services/rest/record/v1"
SUITEQL = "/services/rest/query/v1/suiteql"
TRANSIENT = {"Prefer": "transient"}


async def test_collection_pages_with_links(client: httpx.AsyncClient, sim: Any) -> None:
    body = (await client.get(f"{RECORD}/vendor", params={"limit": "10", "offset": "10"})).json()
    assert body["count"] == 10 and body["offset"] == 10 and body["hasMore"] is True
    assert body["totalResults"] == sim.store.count("vendor")
    rels = {link["rel"]: link["href"] for link in body["links"]}
    assert rels["next"].endswith("limit=10&offset=20") and rels["prev"].endswith("limit=10&offset=0")
    assert set(body["items"][0]) == {"links", "id"}
    too_big = await client.get(f"{RECORD}/vendor", params={"limit": "1001"})
    assert too_big.status_code == 400
    assert too_big.json()["o:errorDetails"][0]["o:errorCode"] == "INVALID_PARAMETER"


async def test_get_record_with_and_without_sublists(client: httpx.AsyncClient, sim: Any) -> None:
    po = next(iter(sim.store.records["purchaseOrder"].values()))
    plain = (await client.get(f"{RECORD}/purchaseOrder/{po['id']}")).json()
    assert set(plain["item"]) == {"links"} and plain["status"]["refName"] == po["status"]
    expanded = loads(
        (
            await client.get(f"{RECORD}/purchaseOrder/{po['id']}", params={"expandSubResources": "true"})
        ).content
    )
    lines = expanded["item"]["items"] + expanded["expense"]["items"]
    assert len(lines) == len(po["lines"])
    assert expanded["total"] == sum((line["amount"] for line in lines), Decimal(0))
    missing = await client.get(f"{RECORD}/vendorBill/424242")
    assert missing.status_code == 404
    assert missing.json()["o:errorDetails"][0]["o:errorCode"] == "NONEXISTENT_ID"


def _rest_body(sim: Any) -> dict[str, Any]:
    body = _bill_body(sim, "smartap-rest-1")
    body["expense"] = {"items": body["expense"]}
    body["item"] = {"items": body["item"]}
    return body


async def test_create_returns_204_and_location(client: httpx.AsyncClient, sim: Any) -> None:
    response = await client.post(f"{RECORD}/vendorBill", json=_rest_body(sim))
    assert response.status_code == 204 and response.content == b""
    new_id = response.headers["Location"].rsplit("/", 1)[1]
    bill = loads((await client.get(f"{RECORD}/vendorBill/eid:smartap-rest-1")).content)
    assert bill["id"] == new_id and bill["amountRemaining"] == Decimal("231.6")
    duplicate = await client.post(f"{RECORD}/vendorBill", json=_rest_body(sim))
    assert duplicate.status_code == 400 and duplicate.json()["o:errorDetails"][0]["o:errorCode"] == "DUP_RCRD"


async def test_upsert_by_external_id_leaves_one_bill(client: httpx.AsyncClient, sim: Any) -> None:
    before = sim.store.count("vendorBill")
    body = _rest_body(sim)
    del body["externalId"]
    first = await client.put(f"{RECORD}/vendorBill/eid:smartap-up-1", json=body)
    second = await client.put(f"{RECORD}/vendorBill/eid:smartap-up-1", json={**body, "memo": "changed"})
    assert first.status_code == second.status_code == 204
    assert first.headers["Location"] == second.headers["Location"]
    assert sim.store.count("vendorBill") == before + 1
    assert sim.store.by_external_id("vendorBill", "smartap-up-1")["memo"] == "changed"
    invalid = await client.put(f"{RECORD}/vendorBill/eid:smartap-up-2", json={**body, "entity": {"id": "1"}})
    detail = invalid.json()["o:errorDetails"][0]
    assert invalid.status_code == 400 and detail["o:errorCode"] == "INVALID_KEY_OR_REF"
    assert detail["o:errorPath"] == "entity"


async def test_suiteql_requires_prefer_transient(client: httpx.AsyncClient) -> None:
    response = await client.post(SUITEQL, json={"q": "SELECT id FROM vendor ORDER BY id"})
    assert response.status_code == 400


async def test_suiteql_paging_filters_and_order(client: httpx.AsyncClient, sim: Any) -> None:
    vendors = sim.store.ordered("vendor")
    cut = vendors[len(vendors) // 3]["lastModifiedDate"]
    query = (
        "SELECT id, TO_CHAR(lastmodifieddate, 'YYYY-MM-DD HH24:MI:SS') AS modified, isinactive "  # noqa: S608
        f"FROM vendor WHERE lastmodifieddate >= TO_TIMESTAMP('{cut:%Y-%m-%d %H:%M:%S}', "
        "'YYYY-MM-DD HH24:MI:SS') ORDER BY lastmodifieddate, id"
    )
    rows: list[dict[str, Any]] = []
    offset = 0
    while True:
        page = (
            await client.post(
                SUITEQL, params={"limit": "7", "offset": str(offset)}, json={"q": query}, headers=TRANSIENT
            )
        ).json()
        rows += page["items"]
        offset += page["count"]
        if not page["hasMore"]:
            break
    expected = [v for v in vendors if v["lastModifiedDate"] >= cut]
    assert 0 < len(expected) < len(vendors)
    assert [r["id"] for r in rows] == [v["id"] for v in expected]
    assert all(isinstance(r["id"], str) and r["isinactive"] in ("T", "F") for r in rows)
    assert rows[0]["modified"] == expected[0]["lastModifiedDate"].strftime("%Y-%m-%d %H:%M:%S")


async def test_suiteql_transactions_and_payment_links(client: httpx.AsyncClient, sim: Any) -> None:
    paid = [b for b in sim.store.records["vendorBill"].values() if sim.store.payments_of(b["id"])]
    assert paid, "the seed pays some bills"
    bill = paid[0]
    query = (
        f"SELECT id, foreigntotal, foreignamountremaining, status FROM transaction "  # noqa: S608
        f"WHERE type = 'VendBill' AND id = '{bill['id']}'"
    )
    row = (await client.post(SUITEQL, json={"q": query}, headers=TRANSIENT)).json()["items"][0]
    assert Decimal(row["foreignamountremaining"]) == sim.store.amount_remaining(bill)
    links_query = (
        "SELECT nextdoc, foreignamount FROM nexttransactionlinelink "  # noqa: S608
        f"WHERE previousdoc = '{bill['id']}' AND linktype = 'Payment'"
    )
    links = (await client.post(SUITEQL, json={"q": links_query}, headers=TRANSIENT)).json()["items"]
    assert sum(Decimal(link["foreignamount"]) for link in links) == sim.store.amount_paid(bill)


async def test_suiteql_refuses_what_it_does_not_know(client: httpx.AsyncClient) -> None:
    for query in (
        "SELECT id FROM nosuchtable",
        "SELECT nosuchcolumn FROM vendor",
        "DELETE FROM vendor",
        "SELECT id FROM vendor WHERE lastmodifieddate >= '2024-01-01'",
    ):
        response = await client.post(SUITEQL, json={"q": query}, headers=TRANSIENT)
        assert response.status_code == 400, query
        assert response.json()["o:errorDetails"][0]["detail"].startswith("Invalid search query")


async def test_currency_record_gives_the_iso_code(client: httpx.AsyncClient, sim: Any) -> None:
    # REST references are {"id", "refName"} only and refName is the display name; the ISO code is the
    # currency record's `symbol`.
    vendor = next(v for v in sim.store.ordered("vendor") if v["currency"]["id"] == "1")
    rest_vendor = (await client.get(f"{RECORD}/vendor/{vendor['id']}")).json()
    assert rest_vendor["currency"] == {"id": "1", "refName": "US Dollar"}
    usd = (await client.get(f"{RECORD}/currency/1")).json()
    assert (usd["id"], usd["name"], usd["symbol"], usd["isBaseCurrency"]) == ("1", "US Dollar", "USD", True)
    assert usd["links"][0]["href"].endswith(f"{RECORD}/currency/1")
    gbp = (await client.get(f"{RECORD}/Currency/3")).json()
    assert (gbp["name"], gbp["symbol"], gbp["isBaseCurrency"]) == ("British pound", "GBP", False)
    listed = (await client.get(f"{RECORD}/currency")).json()
    assert [item["id"] for item in listed["items"]] == sorted(sim.store.records["currency"], key=int)
    missing = await client.get(f"{RECORD}/currency/99")
    assert missing.status_code == 404
    assert missing.json()["o:errorDetails"][0]["o:errorCode"] == "NONEXISTENT_ID"
    refused = await client.patch(f"{RECORD}/currency/1", json={"symbol": "XXX"})
    assert refused.status_code == 405 and sim.store.get("currency", "1")["symbol"] == "USD"


async def test_rest_references_carry_no_currency_code(client: httpx.AsyncClient, sim: Any) -> None:
    bill = next(iter(sim.store.records["vendorBill"].values()))
    body = (await client.get(f"{RECORD}/vendorBill/{bill['id']}")).json()
    assert set(body["currency"]) == {"id", "refName"}
    assert body["currency"]["refName"] == sim.store.get("currency", bill["currency"]["id"])["name"]
