"""The RESTlet contract as the simulator serves it: lists, paging, lookups, bill POST, errors."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import httpx

from erpsim.core.jsonutil import loads
from tests.erpsim.netsuite.conftest import RESTLET, restlet_params


async def _get(client: httpx.AsyncClient, script: str, **params: Any) -> httpx.Response:
    return await client.get(RESTLET, params=restlet_params(script, **params))


def _json(response: httpx.Response) -> Any:
    return loads(response.content)


async def test_list_pages_are_ordered_and_complete(client: httpx.AsyncClient, sim: Any) -> None:
    seen: list[dict[str, Any]] = []
    offset = 0
    while True:
        body = _json(await _get(client, "vendor", offset=str(offset), limit="15"))
        assert body["limit"] == 15 and body["offset"] == offset and body["count"] == len(body["items"])
        assert body["totalResults"] == sim.store.count("vendor")
        seen += body["items"]
        offset += body["count"]
        if not body["hasMore"]:
            break
    assert len(seen) == sim.store.count("vendor")
    keys = [(v["lastModifiedDate"], int(v["id"])) for v in seen]
    assert keys == sorted(keys)
    assert len({v["id"] for v in seen}) == len(seen)


async def test_since_filters_by_last_modified(client: httpx.AsyncClient, sim: Any) -> None:
    everything = _json(await _get(client, "vendor", limit="1000"))["items"]
    cut = everything[len(everything) // 2]["lastModifiedDate"]
    since = datetime.fromisoformat(cut.replace("Z", "+00:00")).replace(second=0)
    body = _json(await _get(client, "vendor", since=since.isoformat().replace("+00:00", "Z"), limit="1000"))
    expected = [v["id"] for v in everything if v["lastModifiedDate"] >= since.isoformat()[:19]]
    assert [v["id"] for v in body["items"]] == expected
    assert 0 < body["totalResults"] < len(everything)


async def test_limit_validation(client: httpx.AsyncClient) -> None:
    for bad in ("1001", "0", "ten"):
        response = await _get(client, "vendor", limit=bad)
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "INVALID_PARAMETER"
        assert "limit" in response.json()["error"]["message"]
    assert (await _get(client, "vendor", since="yesterday")).json()["error"]["code"] == "INVALID_PARAMETER"


async def test_get_by_id_and_not_found(client: httpx.AsyncClient, sim: Any) -> None:
    vendor = sim.store.ordered("vendor")[3]
    body = _json(await _get(client, "vendor", id=vendor["id"]))
    assert body["id"] == vendor["id"] and body["companyName"] == vendor["companyName"]
    assert set(body["address"]) == {"addr1", "addr2", "city", "state", "zip", "country"}
    assert body["terms"]["refName"].startswith(("Net", "Due"))
    missing = await _get(client, "vendor", id="99999999")
    assert missing.status_code == 400 and missing.json()["error"]["code"] == "NOT_FOUND"


async def test_purchase_order_status_filter_and_lines(client: httpx.AsyncClient, sim: Any) -> None:
    body = _json(await _get(client, "po", status="open,draft", limit="1000"))
    assert body["items"] and {po["statusRef"] for po in body["items"]} <= {"open", "draft"}
    expected = sum(
        1
        for po in sim.store.records["purchaseOrder"].values()
        if po["status"]
        in (
            "Pending Receipt",
            "Partially Received",
            "Pending Bill",
            "Pending Billing/Partially Received",
            "Pending Supervisor Approval",
        )
    )
    assert body["totalResults"] == expected
    po = body["items"][0]
    assert po["total"] == sum((line["amount"] for line in po["lines"]), Decimal(0))
    for line in po["lines"]:
        assert line["sublist"] in ("item", "expense")
        assert (line["item"] is None) == (line["sublist"] == "expense")
    bad = await _get(client, "po", status="approved")
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "INVALID_PARAMETER"


def _bill_body(sim: Any, external_id: str = "smartap-inv-1") -> dict[str, Any]:
    vendor = next(v for v in sim.store.ordered("vendor") if not v["isInactive"])
    expense = next(a for a in sim.store.records["account"].values() if a["acctType"] == "Expense")
    item = next(iter(sim.store.records["item"].values()))
    return {
        "externalId": external_id,
        "entity": {"id": vendor["id"]},
        "tranId": "SUP-1001",
        "tranDate": "2024-05-01",
        "dueDate": "2024-05-31",
        "memo": "office",
        "expense": [{"account": {"id": expense["id"]}, "amount": 200.10, "memo": "paper"}],
        "item": [{"item": {"id": item["id"]}, "quantity": 3, "rate": 10.5}],
    }


async def test_post_bill_creates_once_by_external_id(client: httpx.AsyncClient, sim: Any) -> None:
    before = sim.store.count("vendorBill")
    first = await client.post(RESTLET, params=restlet_params("bill"), json=_bill_body(sim))
    assert first.status_code == 200, first.text
    created = _json(first)
    assert created["created"] is True and created["externalId"] == "smartap-inv-1"
    bill = created["bill"]
    assert bill["total"] == Decimal("231.60") and bill["amountRemaining"] == Decimal("231.60")
    assert bill["statusRef"] == "open" and bill["payments"] == []
    assert {line["sublist"] for line in bill["lines"]} == {"item", "expense"}
    again = _json(await client.post(RESTLET, params=restlet_params("bill"), json=_bill_body(sim)))
    assert again["created"] is False and again["id"] == created["id"]
    assert sim.store.count("vendorBill") == before + 1
    by_ext = _json(await _get(client, "bill", externalId="smartap-inv-1"))
    assert by_ext["id"] == created["id"]


async def test_post_bill_validation_names_the_field(client: httpx.AsyncClient, sim: Any) -> None:
    body = _bill_body(sim)
    body["expense"] = [{"account": {"id": body["expense"][0]["account"]["id"]}, "amount": 5}, {"amount": 5}]
    response = await client.post(RESTLET, params=restlet_params("bill"), json=body)
    assert response.status_code == 400
    assert response.json()["error"] == {
        "code": "MISSING_REQUIRED_FIELD",
        "message": "expense[1].account.id is required",
    }
    body = _bill_body(sim)
    body["tranDate"] = "01/05/2024"
    assert (await client.post(RESTLET, params=restlet_params("bill"), json=body)).json()["error"][
        "code"
    ] == "INVALID_FIELD_VALUE"
    body = _bill_body(sim)
    del body["expense"], body["item"]
    assert (await client.post(RESTLET, params=restlet_params("bill"), json=body)).json()["error"][
        "code"
    ] == "MISSING_REQUIRED_FIELD"


async def test_payments_move_amount_remaining_and_status(client: httpx.AsyncClient, sim: Any) -> None:
    created = _json(await client.post(RESTLET, params=restlet_params("bill"), json=_bill_body(sim)))
    bill_id = created["id"]
    sim.mutate("pay_bill", {"bill_id": bill_id, "amount": "100.00"})
    partial = _json(await _get(client, "bill", id=bill_id))
    assert partial["amountRemaining"] == Decimal("131.60") and partial["amountPaid"] == Decimal("100")
    assert partial["statusRef"] == "open" and len(partial["payments"]) == 1
    sim.mutate("pay_bill", {"external_id": "smartap-inv-1"})
    paid = _json(await _get(client, "bill", id=bill_id))
    assert paid["amountRemaining"] == 0 and paid["statusRef"] == "paid" and paid["status"] == "Paid In Full"
    assert sum(p["amount"] for p in paid["payments"]) == paid["total"]


async def test_unknown_script_and_unsupported_method(client: httpx.AsyncClient) -> None:
    unknown = await client.get(RESTLET, params={"script": "customscript_nope", "deploy": "1"})
    assert unknown.status_code == 400 and unknown.json()["error"]["code"] == "SSS_INVALID_SCRIPTLET_ID"
    put = await client.put(RESTLET, params=restlet_params("vendor"), json={})
    assert put.status_code == 405 and put.json()["error"]["code"] == "SSS_INVALID_HTTP_METHOD"
    numeric = await client.get(RESTLET, params={"script": "504", "deploy": "1"})
    assert numeric.status_code == 200 and numeric.json()["items"][0]["acctNumber"]


async def test_accounts_and_tax_codes(client: httpx.AsyncClient) -> None:
    accounts = _json(await _get(client, "account"))["items"]
    assert {"Expense", "AcctPay", "Bank"} <= {a["acctType"] for a in accounts}
    codes = _json(await _get(client, "taxcode"))["items"]
    assert all(isinstance(c["rate"], Decimal | int) for c in codes) and codes[0]["itemId"]


async def test_currency_references_carry_the_iso_code(client: httpx.AsyncClient, sim: Any) -> None:
    # A currency's refName is its display name ("US Dollar"), as in a real account; the RESTlets add
    # the ISO code they read from the currency record's `symbol` field (docs/netsuite.md).
    codes = {c["id"]: c["symbol"] for c in sim.store.records["currency"].values()}
    names = {c["id"]: c["name"] for c in sim.store.records["currency"].values()}
    assert names["1"] == "US Dollar" and codes["1"] == "USD"
    seen: list[dict[str, Any]] = []
    for script in ("vendor", "po", "bill", "account"):
        items = _json(await _get(client, script, limit="1000"))["items"]
        assert items, script
        seen += [item["currency"] for item in items if item["currency"] is not None]
    assert {c["id"] for c in seen} >= {"1", "2"}
    for currency in seen:
        assert set(currency) == {"id", "refName", "symbol"}
        assert currency["symbol"] == codes[currency["id"]]
        assert currency["refName"] == names[currency["id"]] != currency["symbol"]
    vendor = sim.store.ordered("vendor")[0]
    one = _json(await _get(client, "vendor", id=vendor["id"]))
    assert one["currency"]["symbol"] == codes[vendor["currency"]["id"]]


async def test_a_posted_bill_answers_with_its_currency_code(client: httpx.AsyncClient, sim: Any) -> None:
    body = {**_bill_body(sim, "smartap-eur-1"), "currency": {"id": "2"}}
    created = _json(await client.post(RESTLET, params=restlet_params("bill"), json=body))
    assert created["bill"]["currency"] == {"id": "2", "refName": "Euro", "symbol": "EUR"}
