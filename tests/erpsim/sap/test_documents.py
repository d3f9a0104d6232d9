"""A/P invoice creation (service lines, PO-linked lines), PO draw-down, and payments via /_sim/mutate."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx
import pytest

from erpsim.core.jsonutil import loads
from tests.erpsim.sap.conftest import login_body


async def _open_item_po(client: httpx.AsyncClient) -> dict[str, Any]:
    pos = (
        await client.get(
            "/b1s/v1/PurchaseOrders",
            headers={"Prefer": "odata.maxpagesize=0"},
            params={"$filter": "DocumentStatus eq 'bost_Open' and DocType eq 'dDocument_Items'"},
        )
    ).json()
    return dict(pos["value"][0])


async def test_service_invoice_created_with_totals(client: httpx.AsyncClient) -> None:
    body = {
        "CardCode": "V10001",
        "DocType": "dDocument_Service",
        "DocDate": "2024-06-01",
        "DocDueDate": "2024-07-01",
        "NumAtCard": "SUP-1001",
        "DocumentLines": [
            {
                "ItemDescription": "Office supplies",
                "AccountCode": "_SYS00000000610",
                "LineTotal": 200.0,
                "TaxCode": "CA",
            },
            {"ItemDescription": "Rent", "AccountCode": "_SYS00000000620", "LineTotal": 1000.10},
        ],
    }
    partner = (await client.get("/b1s/v1/BusinessPartners('V10001')")).json()
    if partner["Frozen"] == "tYES" or partner["Valid"] == "tNO":
        body["CardCode"] = "V10002"
    response = await client.post("/b1s/v1/PurchaseInvoices", json=body)
    assert response.status_code == 201, response.text
    created = loads(response.content)
    assert created["DocTotal"] == Decimal("1216.60")  # 200 + 8.25% tax (16.50) + 1000.10
    assert created["VatSum"] == Decimal("16.50")
    assert created["DocumentStatus"] == "bost_Open"
    assert response.headers["Location"].endswith(f"/b1s/v1/PurchaseInvoices({created['DocEntry']})")
    found = (
        await client.get(
            "/b1s/v1/PurchaseInvoices",
            params={"$filter": f"CardCode eq '{body['CardCode']}' and NumAtCard eq 'SUP-1001'"},
        )
    ).json()["value"]
    assert [f["DocEntry"] for f in found] == [created["DocEntry"]]


async def test_po_linked_invoice_copies_and_closes_po(client: httpx.AsyncClient) -> None:
    po = await _open_item_po(client)
    lines = [
        {"BaseType": 22, "BaseEntry": po["DocEntry"], "BaseLine": line["LineNum"]}
        for line in po["DocumentLines"]
    ]
    response = await client.post(
        "/b1s/v1/PurchaseInvoices",
        json={"CardCode": po["CardCode"], "NumAtCard": "SUP-PO-1", "DocumentLines": lines},
    )
    assert response.status_code == 201, response.text
    invoice = loads(response.content)
    assert invoice["DocTotal"] == Decimal(str(po["DocTotal"]))
    assert [(x["BaseEntry"], x["BaseLine"], x["ItemCode"]) for x in invoice["DocumentLines"]] == [
        (po["DocEntry"], line["LineNum"], line["ItemCode"]) for line in po["DocumentLines"]
    ]
    after = (await client.get(f"/b1s/v1/PurchaseOrders({po['DocEntry']})")).json()
    assert after["DocumentStatus"] == "bost_Close"
    assert all(line["LineStatus"] == "bost_Close" for line in after["DocumentLines"])
    again = await client.post(
        "/b1s/v1/PurchaseInvoices",
        json={"CardCode": po["CardCode"], "NumAtCard": "SUP-PO-2", "DocumentLines": lines[:1]},
    )
    assert again.status_code == 400
    assert again.json()["error"]["message"]["value"] == "One of the base documents has already been closed"


async def test_partial_copy_keeps_po_open(client: httpx.AsyncClient) -> None:
    pos = (
        await client.get(
            "/b1s/v1/PurchaseOrders",
            headers={"Prefer": "odata.maxpagesize=0"},
            params={"$filter": "DocumentStatus eq 'bost_Open' and DocType eq 'I'"},
        )
    ).json()
    po = next(p for p in pos["value"] if p["DocumentLines"][0]["Quantity"] >= 2)
    line = po["DocumentLines"][0]
    too_many = await client.post(
        "/b1s/v1/PurchaseInvoices",
        json={
            "CardCode": po["CardCode"],
            "DocumentLines": [
                {"BaseType": 22, "BaseEntry": po["DocEntry"], "BaseLine": 0, "Quantity": line["Quantity"] + 1}
            ],
        },
    )
    assert too_many.status_code == 400
    response = await client.post(
        "/b1s/v1/PurchaseInvoices",
        json={
            "CardCode": po["CardCode"],
            "DocumentLines": [{"BaseType": 22, "BaseEntry": po["DocEntry"], "BaseLine": 0, "Quantity": 1}],
        },
    )
    assert response.status_code == 201
    after = (await client.get(f"/b1s/v1/PurchaseOrders({po['DocEntry']})")).json()
    assert after["DocumentStatus"] == "bost_Open"
    assert after["DocumentLines"][0]["RemainingOpenQuantity"] == line["Quantity"] - 1
    assert after["DocumentLines"][0]["LineStatus"] == "bost_Open"


async def test_invalid_creates_are_refused(client: httpx.AsyncClient) -> None:
    po = await _open_item_po(client)
    other = "V10000" if po["CardCode"] != "V10000" else "V10001"
    cases = [
        {"CardCode": "V99999", "DocumentLines": [{"ItemCode": "A00001", "Quantity": 1, "UnitPrice": 1}]},
        {"CardCode": "C20001", "DocumentLines": [{"ItemCode": "A00001", "Quantity": 1, "UnitPrice": 1}]},
        {"CardCode": po["CardCode"], "DocumentLines": []},
        {
            "CardCode": po["CardCode"],
            "DocType": "dDocument_Service",
            "DocumentLines": [{"AccountCode": "_SYS00000000600", "LineTotal": 5}],
        },  # title account
        {"CardCode": po["CardCode"], "DocumentLines": [{"BaseType": 22, "BaseEntry": 99999, "BaseLine": 0}]},
        {"CardCode": other, "DocumentLines": [{"BaseType": 22, "BaseEntry": po["DocEntry"], "BaseLine": 0}]},
        {
            "CardCode": po["CardCode"],
            "DocType": "dDocument_Service",
            "DocumentLines": [{"BaseType": 22, "BaseEntry": po["DocEntry"], "BaseLine": 0}],
        },
    ]
    before = (await client.get("/b1s/v1/PurchaseInvoices/$count")).text
    for body in cases:
        response = await client.post("/b1s/v1/PurchaseInvoices", json=body)
        assert response.status_code == 400, body
        assert response.json()["error"]["code"] < 0
    assert (await client.get("/b1s/v1/PurchaseInvoices/$count")).text == before
    bad_json = await client.post("/b1s/v1/PurchaseInvoices", content=b"{nope")
    assert bad_json.status_code == 400


async def _mutate(client: httpx.AsyncClient, op: str, **params: Any) -> dict[str, Any]:
    response = await client.post("/_sim/mutate", json={"op": op, **params})
    assert response.status_code == 200, response.text
    return dict(response.json()["result"])


async def test_payments_drive_paid_partial_unpaid(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/b1s/v1/PurchaseInvoices",
        json={
            "CardCode": (await _open_item_po(client))["CardCode"],
            "DocType": "dDocument_Service",
            "DocumentLines": [{"AccountCode": "_SYS00000000650", "LineTotal": 300}],
        },
    )
    entry = response.json()["DocEntry"]

    async def applied() -> Decimal:
        rows = (
            await client.get(
                "/b1s/v1/VendorPayments",
                headers={"Prefer": "odata.maxpagesize=0"},
                params={"$filter": "Cancelled eq 'tNO'"},
            )
        ).content
        return sum(
            (
                Decimal(str(pi["SumApplied"]))
                for p in loads(rows)["value"]
                for pi in p["PaymentInvoices"]
                if pi["DocEntry"] == entry and pi["InvoiceType"] == "it_PurchaseInvoice"
            ),
            Decimal("0"),
        )

    assert await applied() == 0
    partial = await _mutate(client, "pay_invoice", doc_entry=entry, amount="100.25")
    assert partial["outstanding"] == "199.75" and partial["document_status"] == "bost_Open"
    assert await applied() == Decimal("100.25")
    full = await _mutate(client, "pay_invoice", doc_entry=entry)
    assert full["document_status"] == "bost_Close"
    invoice = (await client.get(f"/b1s/v1/PurchaseInvoices({entry})")).json()
    assert invoice["DocumentStatus"] == "bost_Close"
    assert await applied() == Decimal("300")
    await _mutate(client, "cancel_payment", doc_entry=full["payment_doc_entry"])
    assert (await client.get(f"/b1s/v1/PurchaseInvoices({entry})")).json()["DocumentStatus"] == "bost_Open"
    overpay = await client.post(
        "/_sim/mutate", json={"op": "pay_invoice", "doc_entry": entry, "amount": "1000"}
    )
    assert overpay.status_code == 400


async def test_incoming_payments_are_customer_receipts(client: httpx.AsyncClient) -> None:
    rows = (await client.get("/b1s/v1/IncomingPayments")).json()["value"]
    assert rows and all(r["DocType"] == "rCustomer" for r in rows)
    assert all(pi["InvoiceType"] == "it_Invoice" for r in rows for pi in r["PaymentInvoices"])


async def test_vendor_mutations_bump_update_stamp(client: httpx.AsyncClient, app: Any, config: Any) -> None:
    app.state.sim.clock.advance(86_400 * 3)
    assert (await client.get("/b1s/v1/BusinessPartners")).status_code == 401  # idle for 3 days
    assert (await client.post("/b1s/v1/Login", json=login_body(config))).status_code == 200
    today = app.state.sim.clock.now().strftime("%Y-%m-%d")
    edited = await _mutate(client, "edit_vendors", count=3)
    await _mutate(client, "deactivate_vendor", card_code="V10010", how="frozen")
    added = await _mutate(client, "add_vendors", count=2)
    rows = (
        await client.get(
            "/b1s/v1/BusinessPartners",
            params={"$filter": f"UpdateDate ge '{today}' and CardType eq 'cSupplier'"},
        )
    ).json()["value"]
    assert {r["CardCode"] for r in rows} == set(edited["edited"]) | {"V10010"} | set(added["added"])
    frozen = (await client.get("/b1s/v1/BusinessPartners('V10010')")).json()
    assert frozen["Frozen"] == "tYES"
    pos = await _mutate(client, "add_purchase_orders", count=2)
    assert len(pos["added"]) == 2
    bad = await client.post("/_sim/mutate", json={"op": "deactivate_vendor", "card_code": "C20000"})
    assert bad.status_code == 400


async def test_reset_restores_seed(client: httpx.AsyncClient) -> None:
    before = (await client.get("/_sim/state")).json()["entities"]
    await _mutate(client, "add_vendors", count=4)
    assert (await client.post("/_sim/reset")).status_code == 200
    assert (await client.get("/_sim/state")).json()["entities"] == before


async def test_service_po_partial_amount_and_item_price_override(client: httpx.AsyncClient) -> None:
    pos = (
        await client.get(
            "/b1s/v1/PurchaseOrders",
            headers={"Prefer": "odata.maxpagesize=0"},
            params={"$filter": "DocumentStatus eq 'bost_Open'"},
        )
    ).json()["value"]
    service = next(p for p in pos if p["DocType"] == "dDocument_Service")
    line = service["DocumentLines"][0]
    half = round(line["LineTotal"] / 2, 2)
    body = {
        "CardCode": service["CardCode"],
        "DocType": "dDocument_Service",
        "DocumentLines": [
            {"BaseType": 22, "BaseEntry": service["DocEntry"], "BaseLine": 0, "LineTotal": half}
        ],
    }
    assert (await client.post("/b1s/v1/PurchaseInvoices", json=body)).status_code == 201
    after = (await client.get(f"/b1s/v1/PurchaseOrders({service['DocEntry']})")).json()["DocumentLines"][0]
    assert after["LineStatus"] == "bost_Open"
    assert after["OpenAmount"] == pytest.approx(line["LineTotal"] - half)
    items = next(p for p in pos if p["DocType"] == "dDocument_Items" and p["DocEntry"] != service["DocEntry"])
    priced = {
        "CardCode": items["CardCode"],
        "DocumentLines": [
            {"BaseType": 22, "BaseEntry": items["DocEntry"], "BaseLine": 0, "Quantity": 1, "UnitPrice": 3.5}
        ],
    }
    created = loads((await client.post("/b1s/v1/PurchaseInvoices", json=priced)).content)
    assert created["DocumentLines"][0]["LineTotal"] == Decimal("3.50")


async def test_company_service_actions(client: httpx.AsyncClient) -> None:
    info = (await client.post("/b1s/v1/CompanyService_GetCompanyInfo")).json()
    admin = (await client.post("/b1s/v1/CompanyService_GetAdminInfo")).json()
    assert info["CompanyName"] == "OEC Computers US"
    assert (admin["Country"], admin["LocalCurrency"]) == ("US", "USD")
