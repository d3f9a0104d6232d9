"""ERP-side changes through /_sim/mutate, /_sim/state figures, reset, and seeding determinism."""

# ruff: noqa: S608  (these strings are QBO query statements sent to the simulator, not SQL)

from __future__ import annotations

import time
from decimal import Decimal

import httpx
import pytest

from erpsim.core import SimConfig
from erpsim.quickbooks import credentials

from .conftest import Qbo, make_qbo, rows


async def mutate(client: httpx.AsyncClient, op: str, **params: object) -> httpx.Response:
    return await client.post("/_sim/mutate", json={"op": op, **params})


def open_bill(qbo: Qbo) -> dict[str, object]:
    return next(
        b
        for b in qbo.sim.store.records["Bill"].values()
        if b["Balance"] == b["TotalAmt"] and b["TotalAmt"] > 10
    )


async def test_pay_bill_partly_then_fully_moves_balance(client: httpx.AsyncClient, qbo: Qbo) -> None:
    bill = open_bill(qbo)
    total = bill["TotalAmt"]
    vendor = qbo.sim.store.records["Vendor"][bill["VendorRef"]["value"]]  # type: ignore[index]
    vendor_balance = vendor["Balance"]
    qbo.clock.advance(30)
    part = await mutate(client, "pay_bill", bill_id=bill["Id"], amount="10.00")
    assert part.status_code == 200
    read = (await client.get(f"{qbo.base}/bill/{bill['Id']}")).json()["Bill"]
    assert Decimal(str(read["Balance"])) == total - Decimal("10.00")  # type: ignore[operator]
    assert read["SyncToken"] == "1"
    payment_id = part.json()["result"]["payment_id"]
    assert {"TxnId": payment_id, "TxnType": "BillPaymentCheck"} in read["LinkedTxn"]
    payment = (await client.get(f"{qbo.base}/billpayment/{payment_id}")).json()["BillPayment"]
    assert payment["Line"][0]["LinkedTxn"] == [{"TxnId": bill["Id"], "TxnType": "Bill"}]
    rest = await mutate(client, "pay_bill", bill_id=bill["Id"])
    assert rest.json()["result"]["balance"] == "0.00"
    paid = await rows(client, qbo, f"select * from Bill where Id = '{bill['Id']}' and Balance = '0'")
    assert len(paid) == 1
    assert vendor["Balance"] == vendor_balance - total  # type: ignore[operator]
    overpay = await mutate(client, "pay_bill", bill_id=bill["Id"], amount="1.00")
    assert overpay.status_code == 400 and "6000" in overpay.json()["error"]


async def test_edit_and_deactivate_vendors_show_up_in_incremental_queries(
    client: httpx.AsyncClient, qbo: Qbo
) -> None:
    watermark = qbo.sim.store.stamp()
    qbo.clock.advance(5)
    edited = (await mutate(client, "edit_vendors", count=3)).json()["result"]["ids"]
    assert len(edited) == 3
    changed = await rows(client, qbo, f"select * from Vendor where MetaData.LastUpdatedTime > '{watermark}'")
    assert {v["Id"] for v in changed} == set(edited)
    assert all(v["SyncToken"] == "1" for v in changed)
    gone = edited[0]
    await mutate(client, "deactivate_vendor", vendor_id=gone)
    active = await rows(client, qbo, f"select * from Vendor where MetaData.LastUpdatedTime > '{watermark}'")
    assert gone not in {v["Id"] for v in active}
    inactive = await rows(client, qbo, "select * from Vendor where Active = false maxresults 1000")
    assert gone in {v["Id"] for v in inactive}


async def test_add_purchase_orders_void_and_delete_bill(client: httpx.AsyncClient, qbo: Qbo) -> None:
    before = len(qbo.sim.store.records["PurchaseOrder"])
    added = (await mutate(client, "add_purchase_orders", count=2)).json()["result"]["ids"]
    assert len(qbo.sim.store.records["PurchaseOrder"]) == before + 2
    po = (await client.get(f"{qbo.base}/purchaseorder/{added[0]}")).json()["PurchaseOrder"]
    assert po["POStatus"] == "Open" and po["TotalAmt"] > 0
    bill = open_bill(qbo)
    assert (await mutate(client, "void_bill", bill_id=bill["Id"])).status_code == 200
    voided = (await client.get(f"{qbo.base}/bill/{bill['Id']}")).json()["Bill"]
    assert voided["TotalAmt"] == 0 and voided["Balance"] == 0 and voided["PrivateNote"] == "Voided"
    another = open_bill(qbo)
    assert (await mutate(client, "delete_bill", bill_id=another["Id"])).status_code == 200
    assert another["Id"] not in qbo.sim.store.records["Bill"]
    unknown = await mutate(client, "delete_bill", bill_id="nope")
    assert unknown.status_code == 400 and "no Bill" in unknown.json()["error"]


async def test_state_reports_counts_and_reset_restores_the_seed(client: httpx.AsyncClient, qbo: Qbo) -> None:
    seeded = qbo.sim.entity_counts()
    await mutate(client, "add_vendors", count=4)
    await client.get(f"{qbo.base}/companyinfo/1")
    state = (await client.get("/_sim/state")).json()
    assert state["system"] == "quickbooks"
    assert state["entities"]["Vendor"] == seeded["Vendor"] + 4
    assert state["requests"]["by_endpoint"] == {"GET /v3/company/{realmId}/{entity}/{ident}": 1}
    assert state["extra"]["realm_id"] == qbo.creds["realm_id"]
    assert "pay_bill" in state["mutate_ops"]
    assert {r["name"] for r in state["limits"]["rules"]} == {
        "per_minute",
        "per_second",
        "concurrent",
        "batch_per_minute",
    }
    await client.post("/_sim/reset")
    assert qbo.sim.entity_counts() == seeded
    assert (await client.get(f"{qbo.base}/companyinfo/1")).status_code == 200  # seeded token valid again


def test_same_seed_same_data_and_credentials() -> None:
    first, second, other = make_qbo(seed=5), make_qbo(seed=5), make_qbo(seed=6)
    assert first.creds == second.creds == credentials(SimConfig(seed=5))
    assert first.creds != other.creds
    assert first.sim.store.records == second.sim.store.records
    assert first.sim.store.records["Vendor"] != other.sim.store.records["Vendor"]
    assert set(first.creds) == {"client_id", "client_secret", "realm_id", "access_token", "refresh_token"}


def test_seed_counts_follow_the_config() -> None:
    qbo = make_qbo(vendors=7, purchase_orders=3, bills=2)
    counts = qbo.sim.entity_counts()
    assert (counts["Vendor"], counts["PurchaseOrder"], counts["Bill"]) == (7, 3, 2)
    names = [v["DisplayName"].lower() for v in qbo.sim.store.records["Vendor"].values()]
    assert len(names) == len(set(names))


@pytest.mark.slow
def test_fifty_thousand_vendors_seed_quickly() -> None:
    started = time.process_time()  # this process's CPU time: other tests running beside it do not count
    qbo = make_qbo(vendors=50_000, purchase_orders=0, bills=0)
    assert qbo.sim.entity_counts()["Vendor"] == 50_000
    assert time.process_time() - started < 10
