"""Seeding the simulated QBO company deterministically from the seed and the clock.

Reference data first (refdata), then `vendors` vendors (a few inactive, a few in EUR/GBP), then
`purchase_orders` POs (mostly Open), then `bills` bills (some linked to a PO, some paid in full or
in part through BillPayments). Creation times are spread over the two years before the clock's
start, so `MetaData.LastUpdatedTime` filters have something to select. Records are built directly
(no per-record validation) so that 50,000 vendors seed in about a second.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from erpsim.core.seeding import SeededData
from erpsim.quickbooks.bills import adjust_vendor_balance, index_bill
from erpsim.quickbooks.payments import create_payment
from erpsim.quickbooks.refdata import (
    EXCHANGE_RATES,
    account_by_name,
    ap_account_for,
    currency_ref,
    expense_accounts,
    seed_reference_data,
)
from erpsim.quickbooks.store import QboStore, ref
from erpsim.quickbooks.vendors import seeded_vendor

DAY = 86400.0
DEFAULT_VENDORS, DEFAULT_POS, DEFAULT_BILLS = 300, 200, 100


def seed_company(
    store: QboStore, data: SeededData, *, realm_id: str, vendors: int, purchase_orders: int, bills: int
) -> None:
    start = store.clock.time()
    seed_reference_data(store, realm_id=realm_id, created=start - 800 * DAY)
    add_vendors(store, data, vendors, start=start)
    vendor_ids = [v["Id"] for v in store.records["Vendor"].values() if v["Active"]]
    if not vendor_ids:
        return
    for _ in range(purchase_orders):
        add_purchase_order(
            store, data, data.choice(vendor_ids), created=start - data.int_between(1, 120) * DAY
        )
    for _ in range(bills):
        _add_bill(store, data, data.choice(vendor_ids), created=start - data.int_between(1, 90) * DAY)


def add_vendors(store: QboStore, data: SeededData, count: int, *, start: float | None = None) -> list[str]:
    """Add `count` vendors; with `start` they are back-dated (seeding), else created now (mutate)."""
    taken = {v["DisplayName"].lower() for v in store.records["Vendor"].values()}
    term_ids = [t["Id"] for t in store.records["Term"].values()]
    ids = []
    for _ in range(count):
        body = seeded_vendor(data, taken, term_ids)
        if start is None:
            ids.append(store.insert("Vendor", body)["Id"])
            continue
        created = start - data.int_between(30, 730) * DAY - data.int_between(0, 86399)
        updated = created + data.int_between(0, int(start - created)) if data.chance(0.3) else created
        body["Active"] = not data.chance(0.03)
        ids.append(store.insert("Vendor", body, created=created, updated=updated)["Id"])
    return ids


def _expense_line(store: QboStore, data: SeededData, number: int) -> dict[str, Any]:
    account = data.choice(expense_accounts(store))
    return {
        "Id": str(number),
        "LineNum": number,
        "Description": f"{account['Name']} ({data.int_between(1, 999)})",
        "Amount": data.amount("25", "4000"),
        "DetailType": "AccountBasedExpenseLineDetail",
        "AccountBasedExpenseLineDetail": {
            "AccountRef": ref(account["Id"], account["Name"]),
            "TaxCodeRef": ref("NON"),
            "BillableStatus": "NotBillable",
        },
    }


def _item_line(store: QboStore, data: SeededData, number: int) -> dict[str, Any]:
    item = data.choice([i for i in store.records["Item"].values() if i["Active"]])
    qty = Decimal(data.int_between(1, 40))
    price = item["PurchaseCost"]
    return {
        "Id": str(number),
        "LineNum": number,
        "Description": item["Name"],
        "Amount": qty * price,
        "DetailType": "ItemBasedExpenseLineDetail",
        "ItemBasedExpenseLineDetail": {
            "ItemRef": ref(item["Id"], item["Name"]),
            "Qty": qty,
            "UnitPrice": price,
            "TaxCodeRef": ref("NON"),
            "BillableStatus": "NotBillable",
        },
    }


def add_purchase_order(
    store: QboStore,
    data: SeededData,
    vendor_id: str,
    *,
    created: float | None = None,
) -> dict[str, Any]:
    vendor = store.records["Vendor"][vendor_id]
    currency = vendor["CurrencyRef"]["value"]
    lines = [
        (_item_line if data.chance(0.5) else _expense_line)(store, data, n)
        for n in range(1, data.int_between(1, 4) + 1)
    ]
    when = store.clock.time() if created is None else created
    txn_date = store.date_of(when)
    ap = ap_account_for(store, currency)
    body = {
        "DocNumber": f"PO-{store.next_id('PONumber')}",
        "TxnDate": txn_date.isoformat(),
        "DueDate": (txn_date + timedelta(days=30)).isoformat(),
        "CurrencyRef": currency_ref(currency),
        "ExchangeRate": EXCHANGE_RATES[currency],
        "Line": lines,
        "VendorRef": ref(vendor["Id"], vendor["DisplayName"]),
        "APAccountRef": ref(ap["Id"], ap["Name"]),
        "POStatus": "Closed" if created is not None and data.chance(0.15) else "Open",
        "ManuallyClosed": False,
        "EmailStatus": "NotSet",
        "POEmail": vendor.get("PrimaryEmailAddr"),
        "VendorAddr": vendor.get("BillAddr"),
        "TotalAmt": sum((line["Amount"] for line in lines), Decimal("0")),
    }
    return store.insert("PurchaseOrder", body, created=created)


def _add_bill(store: QboStore, data: SeededData, vendor_id: str, *, created: float) -> None:
    vendor = store.records["Vendor"][vendor_id]
    currency = vendor["CurrencyRef"]["value"]
    lines = [_expense_line(store, data, n) for n in range(1, data.int_between(1, 3) + 1)]
    txn_date = store.date_of(created)
    term = store.records["Term"].get(vendor.get("TermRef", {}).get("value", ""))
    body: dict[str, Any] = {
        "DocNumber": f"INV-{data.int_between(10000, 99999)}-{store.next_id('BillNumber')}",
        "TxnDate": txn_date.isoformat(),
        "DueDate": (txn_date + timedelta(days=int(term["DueDays"]) if term else 0)).isoformat(),
        "CurrencyRef": currency_ref(currency),
        "ExchangeRate": EXCHANGE_RATES[currency],
        "Line": lines,
        "VendorRef": ref(vendor["Id"], vendor["DisplayName"]),
        "APAccountRef": ref(ap_account_for(store, currency)["Id"], ap_account_for(store, currency)["Name"]),
    }
    body["TotalAmt"] = body["Balance"] = sum((line["Amount"] for line in lines), Decimal("0"))
    bill = store.insert("Bill", body, created=created)
    index_bill(store, bill)
    adjust_vendor_balance(store, vendor_id, bill["Balance"])
    roll = data.rng.random()
    if roll < 0.45:  # 30 % paid in full, 15 % in part
        amount = bill["Balance"] if roll < 0.30 else (bill["Balance"] / 2).quantize(Decimal("0.01"))
        paid_at = min(created + data.int_between(1, 20) * DAY, store.clock.time() - 3600)
        _seed_payment(store, bill, amount, paid_at)


def _seed_payment(store: QboStore, bill: dict[str, Any], amount: Decimal, when: float) -> None:
    bank = account_by_name(store, "Checking")
    create_payment(
        store,
        {
            "VendorRef": {"value": bill["VendorRef"]["value"]},
            "PayType": "Check",
            "TotalAmt": amount,
            "TxnDate": store.date_of(when).isoformat(),
            "CheckPayment": {"BankAccountRef": {"value": bank["Id"]}, "PrintStatus": "PrintComplete"},
            "Line": [{"Amount": amount, "LinkedTxn": [{"TxnId": bill["Id"], "TxnType": "Bill"}]}],
        },
        created=when,
    )
