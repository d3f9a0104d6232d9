"""The SAP simulator's Cancel actions and partner removal (erpsim/sap/cancel.py): a cancelled document
keeps its record with Cancelled tYES and a new UpdateDate, an A/P invoice with payments and a document
already cancelled are refused with the Service Layer's error envelope, a removed supplier disappears
from every read and a supplier with documents cannot be removed."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from erpsim.core import MutateError


async def _first(client: httpx.AsyncClient, entity: str, query: str) -> dict[str, Any]:
    body = (await client.get(f"/b1s/v1/{entity}", params={"$filter": query, "$orderby": "DocEntry"})).json()
    return dict(body["value"][0])


async def test_cancel_purchase_order_and_invoice(client: httpx.AsyncClient, app: Any) -> None:
    app.state.sim.clock.advance(60)
    po = await _first(client, "PurchaseOrders", "Cancelled eq 'tNO' and DocumentStatus eq 'bost_Open'")
    response = await client.post(f"/b1s/v1/PurchaseOrders({po['DocEntry']})/Cancel")
    assert response.status_code == 204 and response.content == b""
    after = (await client.get(f"/b1s/v1/PurchaseOrders({po['DocEntry']})")).json()
    assert (after["Cancelled"], after["DocumentStatus"]) == ("tYES", "bost_Close")
    assert (after["UpdateDate"], after["UpdateTime"]) != (po["UpdateDate"], po["UpdateTime"])
    again = await client.post(f"/b1s/v1/PurchaseOrders({po['DocEntry']})/Cancel")
    assert again.status_code == 400 and "already cancelled" in again.json()["error"]["message"]["value"]
    missing = await client.post("/b1s/v1/PurchaseInvoices(999999)/Cancel")
    assert missing.status_code == 404

    invoice = await _first(client, "PurchaseInvoices", "Cancelled eq 'tNO' and DocumentStatus eq 'bost_Open'")
    sim = app.state.sim
    sim.mutate("pay_invoice", {"doc_entry": invoice["DocEntry"], "amount": "1.00"})
    refused = await client.post(f"/b1s/v1/PurchaseInvoices({invoice['DocEntry']})/Cancel")
    assert refused.status_code == 400 and "payments" in refused.json()["error"]["message"]["value"]


async def test_remove_vendor(client: httpx.AsyncClient, app: Any) -> None:
    sim = app.state.sim
    added = sim.mutate("add_vendors", {"count": 1})["added"][0]
    assert (await client.get(f"/b1s/v1/BusinessPartners('{added}')")).status_code == 200
    assert sim.mutate("remove_vendor", {"card_code": added}) == {"removed": added}
    assert (await client.get(f"/b1s/v1/BusinessPartners('{added}')")).status_code == 404
    codes = (
        await client.get(
            "/b1s/v1/BusinessPartners",
            params={"$select": "CardCode", "$filter": "CardType eq 'cSupplier'"},
            headers={"Prefer": "odata.maxpagesize=0"},
        )
    ).json()["value"]
    assert added not in {c["CardCode"] for c in codes}
    po = await _first(client, "PurchaseOrders", "Cancelled eq 'tNO'")
    with pytest.raises(MutateError, match="has documents"):
        sim.mutate("remove_vendor", {"card_code": po["CardCode"]})
