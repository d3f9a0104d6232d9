"""Bill and Vendor writes: validation, SyncToken, sparse vs full update, requestid, duplicates."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx
import pytest

from .conftest import Qbo, fault


def usd_vendor(qbo: Qbo) -> dict[str, Any]:
    return next(
        v
        for v in qbo.sim.store.records["Vendor"].values()
        if v["Active"] and v["CurrencyRef"]["value"] == "USD"
    )


def account(qbo: Qbo, name: str) -> str:
    return next(a["Id"] for a in qbo.sim.store.records["Account"].values() if a["Name"] == name)


def bill_body(qbo: Qbo, vendor: dict[str, Any], **extra: Any) -> dict[str, Any]:
    body = {
        "VendorRef": {"value": vendor["Id"]},
        "TxnDate": "2024-06-01",
        "DocNumber": "SUP-1001",
        "Line": [
            {
                "Amount": "200.00",
                "Description": "Office supplies",
                "DetailType": "AccountBasedExpenseLineDetail",
                "AccountBasedExpenseLineDetail": {
                    "AccountRef": {"value": account(qbo, "Supplies")},
                    "TaxCodeRef": {"value": "NON"},
                },
            }
        ],
    }
    body.update(extra)
    return body


async def post(
    client: httpx.AsyncClient, qbo: Qbo, entity: str, body: dict[str, Any], **params: str
) -> httpx.Response:
    return await client.post(f"{qbo.base}/{entity}", json=body, params={"minorversion": "75", **params})


async def test_create_bill_with_account_and_item_lines_linked_to_a_po(
    client: httpx.AsyncClient, qbo: Qbo
) -> None:
    po = next(
        p
        for p in qbo.sim.store.records["PurchaseOrder"].values()
        if p["POStatus"] == "Open" and p["CurrencyRef"]["value"] == "USD"
    )
    vendor = qbo.sim.store.records["Vendor"][po["VendorRef"]["value"]]
    balance_before = vendor["Balance"]
    item = next(iter(qbo.sim.store.records["Item"].values()))
    body = bill_body(
        qbo,
        vendor,
        APAccountRef={"value": account(qbo, "Accounts Payable (A/P)")},
        CurrencyRef={"value": "USD"},
    )
    body["Line"].append(
        {
            "Amount": 50,
            "DetailType": "ItemBasedExpenseLineDetail",
            "ItemBasedExpenseLineDetail": {"ItemRef": {"value": item["Id"]}, "Qty": 5, "UnitPrice": 10},
            "LinkedTxn": [{"TxnId": po["Id"], "TxnType": "PurchaseOrder", "TxnLineId": "1"}],
        }
    )
    response = await post(client, qbo, "bill", body)
    assert response.status_code == 200, response.text
    bill = response.json()["Bill"]
    assert bill["TotalAmt"] == 250.0 and bill["Balance"] == 250.0
    assert bill["SyncToken"] == "0" and bill["VendorRef"]["name"] == vendor["DisplayName"]
    assert bill["DueDate"] >= bill["TxnDate"]
    assert bill["LinkedTxn"] == [{"TxnId": po["Id"], "TxnType": "PurchaseOrder"}]
    assert [line["LineNum"] for line in bill["Line"]] == [1, 2]
    assert "PrivateNote" not in bill  # null properties are omitted
    assert {"TxnId": bill["Id"], "TxnType": "Bill"} in qbo.sim.store.records["PurchaseOrder"][po["Id"]][
        "LinkedTxn"
    ]
    assert vendor["Balance"] == balance_before + Decimal("250.00")
    read = await client.get(f"{qbo.base}/bill/{bill['Id']}")
    assert read.json()["Bill"] == bill


@pytest.mark.parametrize(
    ("mutate", "code", "element"),
    [
        (lambda b, q: b.pop("VendorRef"), "2020", "VendorRef"),
        (lambda b, q: b.update(Line=[]), "2020", "Line"),
        (
            lambda b, q: b["Line"][0]["AccountBasedExpenseLineDetail"].update(AccountRef={"value": "9999"}),
            "2500",
            "Line.AccountBasedExpenseLineDetail.AccountRef",
        ),
        (
            lambda b, q: b["Line"][0]["AccountBasedExpenseLineDetail"].update(
                AccountRef={"value": account(q, "Old Office Expenses")}
            ),
            "2500",
            "Line.AccountBasedExpenseLineDetail.AccountRef",
        ),
        (lambda b, q: b.update(APAccountRef={"value": account(q, "Checking")}), "6000", "APAccountRef"),
        (
            lambda b, q: b.update(APAccountRef={"value": account(q, "Accounts Payable (A/P) - EUR")}),
            "6000",
            "APAccountRef",
        ),
        (lambda b, q: b.update(CurrencyRef={"value": "EUR"}), "6000", "CurrencyRef"),
        (lambda b, q: b["Line"][0].update(DetailType="SalesItemLineDetail"), "2170", "Line.DetailType"),
        (lambda b, q: b["Line"][0].pop("Amount"), "2020", "Line.Amount"),
        (lambda b, q: b.update(VendorRef={"value": "99999"}), "2500", "VendorRef"),
        (lambda b, q: b.update(Colour="blue"), "2010", "Colour"),
    ],
)
async def test_bill_validation_faults(
    client: httpx.AsyncClient, qbo: Qbo, mutate: Any, code: str, element: str
) -> None:
    body = bill_body(qbo, usd_vendor(qbo))
    mutate(body, qbo)
    count = len(qbo.sim.store.records["Bill"])
    response = await post(client, qbo, "bill", body)
    assert response.status_code == 400
    assert response.json()["Fault"]["type"] == "ValidationFault"
    error = fault(response)
    assert (error["code"], error.get("element")) == (code, element)
    assert len(qbo.sim.store.records["Bill"]) == count


async def test_duplicate_doc_number_per_vendor(client: httpx.AsyncClient, qbo: Qbo) -> None:
    vendors = [
        v
        for v in qbo.sim.store.records["Vendor"].values()
        if v["Active"] and v["CurrencyRef"]["value"] == "USD"
    ]
    first = await post(client, qbo, "bill", bill_body(qbo, vendors[0]))
    duplicate = await post(client, qbo, "bill", bill_body(qbo, vendors[0]))
    assert duplicate.status_code == 400
    error = fault(duplicate)
    assert error["code"] == "6140" and f"TxnId={first.json()['Bill']['Id']}" in error["Detail"]
    other_vendor = await post(client, qbo, "bill", bill_body(qbo, vendors[1]))
    assert other_vendor.status_code == 200
    allowed = await post(client, qbo, "bill", bill_body(qbo, vendors[0]), include="allowduplicatedocnum")
    assert allowed.status_code == 200


async def test_stale_synctoken_and_sparse_vs_full_update(client: httpx.AsyncClient, qbo: Qbo) -> None:
    created = (
        await post(client, qbo, "bill", bill_body(qbo, usd_vendor(qbo), PrivateNote="keep me"))
    ).json()["Bill"]
    qbo.clock.advance(60)
    sparse = await post(
        client, qbo, "bill", {"Id": created["Id"], "SyncToken": "0", "sparse": True, "DueDate": "2024-07-15"}
    )
    updated = sparse.json()["Bill"]
    assert updated["SyncToken"] == "1" and updated["DueDate"] == "2024-07-15"
    assert updated["PrivateNote"] == "keep me" and updated["TotalAmt"] == 200.0
    assert updated["MetaData"]["LastUpdatedTime"] > created["MetaData"]["LastUpdatedTime"]
    stale = await post(
        client, qbo, "bill", {"Id": created["Id"], "SyncToken": "0", "sparse": True, "PrivateNote": "lost"}
    )
    assert stale.status_code == 400 and fault(stale)["code"] == "5010"
    full_body = bill_body(qbo, usd_vendor(qbo), Id=created["Id"], SyncToken="1")
    full = (await post(client, qbo, "bill", full_body)).json()["Bill"]
    assert "PrivateNote" not in full  # omitted writable fields are cleared by a full update
    assert full["SyncToken"] == "2"
    missing = await post(client, qbo, "bill", {"Id": "999999", "SyncToken": "0", "sparse": True})
    assert fault(missing)["code"] == "610"


async def test_requestid_replays_the_first_response(client: httpx.AsyncClient, qbo: Qbo) -> None:
    body = bill_body(qbo, usd_vendor(qbo))
    first = await post(client, qbo, "bill", body, requestid="export-8f1c-v1")
    count = len(qbo.sim.store.records["Bill"])
    again = await post(client, qbo, "bill", body, requestid="export-8f1c-v1")
    assert again.status_code == 200 and again.content == first.content
    assert len(qbo.sim.store.records["Bill"]) == count
    other = await post(client, qbo, "bill", body, requestid="export-8f1c-v2")
    assert other.status_code == 400 and fault(other)["code"] == "6140"  # a new request id runs again
    too_long = await post(client, qbo, "bill", body, requestid="x" * 51)
    assert fault(too_long)["code"] == "6000" and "50 characters" in fault(too_long)["Detail"]


async def test_delete_bill_and_paid_bill_protection(client: httpx.AsyncClient, qbo: Qbo) -> None:
    created = (await post(client, qbo, "bill", bill_body(qbo, usd_vendor(qbo)))).json()["Bill"]
    deleted = await post(client, qbo, "bill", {"Id": created["Id"], "SyncToken": "0"}, operation="delete")
    assert deleted.json()["Bill"] == {"Id": created["Id"], "status": "Deleted", "domain": "QBO"}
    assert fault(await client.get(f"{qbo.base}/bill/{created['Id']}"))["code"] == "610"
    paid = next(b for b in qbo.sim.store.records["Bill"].values() if b["Balance"] < b["TotalAmt"])
    refused = await post(
        client, qbo, "bill", {"Id": paid["Id"], "SyncToken": paid["SyncToken"]}, operation="delete"
    )
    assert fault(refused)["code"] == "6000"
    void = await post(
        client, qbo, "bill", {"Id": paid["Id"], "SyncToken": paid["SyncToken"]}, operation="void"
    )
    assert fault(void)["code"] == "500"


async def test_vendor_create_update_and_duplicate_name(client: httpx.AsyncClient, qbo: Qbo) -> None:
    created = await post(
        client,
        qbo,
        "vendor",
        {"DisplayName": "Northwind Test Vendor", "PrimaryEmailAddr": {"Address": "ap@northwind.example.com"}},
    )
    vendor = created.json()["Vendor"]
    assert vendor["Active"] is True and vendor["Balance"] == 0 and vendor["CurrencyRef"]["value"] == "USD"
    duplicate = await post(client, qbo, "vendor", {"DisplayName": "NORTHWIND test vendor"})
    assert fault(duplicate)["code"] == "6240"
    renamed = await post(
        client, qbo, "vendor", {"Id": vendor["Id"], "SyncToken": "0", "sparse": True, "Active": False}
    )
    assert renamed.json()["Vendor"]["Active"] is False
    assert renamed.json()["Vendor"]["PrimaryEmailAddr"] == {"Address": "ap@northwind.example.com"}
    nameless = await post(client, qbo, "vendor", {"PrimaryPhone": {"FreeFormNumber": "1"}})
    assert fault(nameless)["code"] == "2020"


async def test_bill_payment_through_the_api(client: httpx.AsyncClient, qbo: Qbo) -> None:
    bill = (await post(client, qbo, "bill", bill_body(qbo, usd_vendor(qbo)))).json()["Bill"]
    payment = await post(
        client,
        qbo,
        "billpayment",
        {
            "VendorRef": bill["VendorRef"],
            "PayType": "Check",
            "TotalAmt": 80,
            "CheckPayment": {"BankAccountRef": {"value": account(qbo, "Checking")}},
            "Line": [{"Amount": 80, "LinkedTxn": [{"TxnId": bill["Id"], "TxnType": "Bill"}]}],
        },
    )
    assert payment.status_code == 200, payment.text
    after = (await client.get(f"{qbo.base}/bill/{bill['Id']}")).json()["Bill"]
    assert after["Balance"] == 120.0 and after["SyncToken"] == "1"
    assert {"TxnId": payment.json()["BillPayment"]["Id"], "TxnType": "BillPaymentCheck"} in after["LinkedTxn"]
    too_much = await post(
        client,
        qbo,
        "billpayment",
        {
            "VendorRef": bill["VendorRef"],
            "PayType": "Check",
            "TotalAmt": 500,
            "CheckPayment": {"BankAccountRef": {"value": account(qbo, "Checking")}},
            "Line": [{"Amount": 500, "LinkedTxn": [{"TxnId": bill["Id"], "TxnType": "Bill"}]}],
        },
    )
    assert fault(too_much)["code"] == "6000"
