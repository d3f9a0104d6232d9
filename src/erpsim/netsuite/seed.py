"""Seeded NetSuite data: reference records, vendors, purchase orders, vendor bills and payments.

Everything is drawn from one `SeededData(f"netsuite-{seed}")`, so the same seed always gives the same
account. `lastModifiedDate`s spread over the year before the simulator clock (oldest first), so
`since` filters and incremental reads have something to cut. About a quarter of the seeded bills
carry vendor payments (partly or fully paid), a few are pending approval. `new_purchase_order` is
reused by the `add_purchase_orders` mutate op.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from erpsim.core.seeding import SeededData, unique_name
from erpsim.netsuite.store import PO_STATUS_TEXT, NetSuiteStore, Record, ref

# (internal id, ISO 4217 code, display name, display symbol). A currency's `name` is what references
# show as `refName` ("US Dollar"), never the ISO code, which is the record's `symbol` field (the UI's
# "ISO Code", a derived pairing marked UNCERTAIN in docs/netsuite.md 10.3; Oracle help "Currency",
# section_N3201267, reads it with getValue('symbol')).
CURRENCIES = (
    ("1", "USD", "US Dollar", "$"),
    ("2", "EUR", "Euro", "€"),
    ("3", "GBP", "British pound", "£"),
    ("4", "CAD", "Canadian Dollar", "CA$"),
)
SUBSIDIARIES = (("1", "Parent Company", "1"), ("2", "SmartAP Europe B.V.", "2"))
TERMS = (("1", "Net 15"), ("2", "Net 30"), ("3", "Net 60"), ("4", "Due on receipt"))
ACCOUNTS = (
    ("1000", "Operating Checking", "Bank"),
    ("1010", "Payroll Checking", "Bank"),
    ("2000", "Accounts Payable", "AcctPay"),
    ("2010", "Accounts Payable - EUR", "AcctPay"),
    ("1200", "Inventory Asset", "OthCurrAsset"),
    ("5000", "Cost of Goods Sold", "COGS"),
    ("6000", "Office Supplies", "Expense"),
    ("6010", "Rent Expense", "Expense"),
    ("6020", "Utilities", "Expense"),
    ("6030", "Software Subscriptions", "Expense"),
    ("6040", "Travel", "Expense"),
    ("6050", "Professional Fees", "Expense"),
    ("6060", "Repairs and Maintenance", "Expense"),
    ("6070", "Shipping and Freight", "Expense"),
    ("6080", "Telephone and Internet", "Expense"),
    ("6090", "Old Marketing (inactive)", "Expense"),
)
ITEMS = (
    "Copy Paper A4",
    "Toner Cartridge",
    "Laptop Stand",
    "Office Chair",
    "Network Switch",
    "Safety Gloves",
    "Packing Tape",
    "Pallet Wrap",
    "Desk Lamp",
    "USB-C Cable",
)
TAX_CODES = (
    ("CA-SF", "San Francisco sales tax", "8.625"),
    ("TX-AUS", "Austin sales tax", "8.25"),
    ("NY-NYC", "New York City sales tax", "8.875"),
    ("EXEMPT", "Tax exempt", "0"),
    ("EU-VAT-21", "EU VAT 21%", "21"),
)


def seed_account(
    store: NetSuiteStore, data: SeededData, *, vendors: int, purchase_orders: int, bills: int
) -> None:
    """Fill an empty store."""
    _reference_data(store)
    now = store.now()
    # Spread modification times over the past year, oldest first, one per seeded record.
    total = max(1, vendors + purchase_orders + bills)
    stamps = iter(
        now - timedelta(days=365) + timedelta(seconds=int(i * 365 * 86400 / total)) for i in range(total)
    )
    names: set[str] = set()
    for _ in range(vendors):
        store.add("vendor", _vendor(store, data, names, next(stamps)))
    vendor_ids = list(store.records["vendor"])
    for _ in range(purchase_orders if vendor_ids else 0):
        po = new_purchase_order(store, data, data.choice(vendor_ids))
        po["lastModifiedDate"] = next(stamps)
    for _ in range(bills if vendor_ids else 0):
        _bill(store, data, data.choice(vendor_ids), next(stamps))


def _reference_data(store: NetSuiteStore) -> None:
    base_currencies = {currency for _, _, currency in SUBSIDIARIES}
    for cid, code, name, display in CURRENCIES:
        # isBaseCurrency: the base currency of some subsidiary (read-only in REST, Oracle help
        # "Currency" REST record, section_0818023012; that it flags every subsidiary's base currency
        # in OneWorld, not just the root's, is UNCERTAIN).
        store.add(
            "currency",
            {
                "id": cid,
                "name": name,
                "symbol": code,
                "displaySymbol": display,
                "isBaseCurrency": cid in base_currencies,
                "isInactive": False,
            },
        )
    for sid, name, currency in SUBSIDIARIES:
        store.add("subsidiary", {"id": sid, "name": name, "currency": currency})
    for tid, name in TERMS:
        store.add("term", {"id": tid, "name": name, "days": _term_days(name)})
    for number, name, acct_type in ACCOUNTS:
        store.add(
            "account",
            {
                "acctNumber": number,
                "acctName": name,
                "acctType": acct_type,
                "isInactive": "inactive" in name,
                "currency": ref(store.get("currency", "2" if "EUR" in name else "1")),
                "name": f"{number} {name}",
            },
        )
    for name in ITEMS:
        store.add("item", {"itemId": name, "name": name})
    for code, description, rate in TAX_CODES:
        store.add(
            "taxCode",
            {
                "itemId": code,
                "name": code,
                "description": description,
                "rate": Decimal(rate),
                "isInactive": False,
            },
        )


def _term_days(name: str) -> int:
    return int(name.split()[-1]) if name.startswith("Net") else 0


def expense_accounts(store: NetSuiteStore) -> list[Record]:
    return [
        a for a in store.records["account"].values() if a["acctType"] == "Expense" and not a["isInactive"]
    ]


def _vendor(store: NetSuiteStore, data: SeededData, names: set[str], stamp: object) -> Record:
    company = unique_name(data.company_name(), names)
    address = data.address()
    subsidiary = store.get("subsidiary", "2" if data.chance(0.1) else "1")
    assert subsidiary is not None
    currency = store.get("currency", subsidiary["currency"] if data.chance(0.9) else data.choice("234"))
    return {
        "id": store.next_id("vendor"),
        "externalId": None,
        "entityId": company,
        "companyName": company,
        "isPerson": False,
        "email": data.email(company),
        "phone": data.phone(),
        "isInactive": data.chance(0.05),
        "taxIdNum": data.ein(),
        "terms": ref(store.get("term", data.choice("1234"))),
        "currency": ref(currency),
        "subsidiary": ref(subsidiary),
        "address": {
            "addr1": address.line1,
            "addr2": None,
            "city": address.city,
            "state": address.region,
            "zip": address.postal_code,
            "country": address.country,
        },
        "lastModifiedDate": stamp,
    }


def _lines(store: NetSuiteStore, data: SeededData, *, billed: bool = False) -> list[Record]:
    lines: list[Record] = []
    for number in range(1, data.int_between(1, 4) + 1):
        if data.chance(0.6):
            item = data.choice(list(store.records["item"].values()))
            quantity = Decimal(data.int_between(1, 20))
            rate = data.amount("2", "250")
            lines.append(
                {
                    "line": str(number),
                    "sublist": "item",
                    "item": ref(item),
                    "account": None,
                    "description": item["name"],
                    "quantity": quantity,
                    "rate": rate,
                    "amount": quantity * rate,
                    "quantityBilled": quantity if billed else Decimal(0),
                    "isClosed": False,
                    "taxCode": None,
                }
            )
        else:
            account = data.choice(expense_accounts(store))
            lines.append(
                {
                    "line": str(number),
                    "sublist": "expense",
                    "item": None,
                    "account": ref(account),
                    "description": account["acctName"],
                    "quantity": None,
                    "rate": None,
                    "amount": data.amount("25", "2500"),
                    "quantityBilled": None,
                    "isClosed": False,
                    "taxCode": None,
                }
            )
    return lines


def _header(store: NetSuiteStore, data: SeededData, vendor_id: str) -> Record:
    vendor = store.get("vendor", vendor_id)
    assert vendor is not None
    return {
        "entity": ref(vendor, "companyName"),
        "currency": vendor["currency"],
        "subsidiary": vendor["subsidiary"],
        "tranDate": data.date_between(store.today() - timedelta(days=365), store.today()),
        "memo": None,
    }


def new_purchase_order(store: NetSuiteStore, data: SeededData, vendor_id: str) -> Record:
    """A purchase order for `vendor_id`, stamped now; status drawn from the real status list."""
    status = data.choice(list(PO_STATUS_TEXT))
    po = {
        "id": store.next_id("purchaseOrder"),
        **_header(store, data, vendor_id),
        "status": status,
        "lines": _lines(store, data, billed=PO_STATUS_TEXT[status] == "closed"),
    }
    po["tranId"] = f"PO{po['id']}"
    return store.add("purchaseOrder", po)


def _bill(store: NetSuiteStore, data: SeededData, vendor_id: str, stamp: object) -> None:
    header = _header(store, data, vendor_id)
    status = "pendingApproval" if data.chance(0.05) else "open"
    ap = "2010" if header["currency"] and header["currency"]["id"] == "2" else "2000"
    bill = store.add(
        "vendorBill",
        {
            "id": store.next_id("vendorBill"),
            **header,
            "externalId": None,
            "tranId": f"INV-{data.digits(6)}",
            "dueDate": header["tranDate"] + timedelta(days=30),
            "statusRef": status,
            "account": ref(_account_by_number(store, ap), "name"),
            "createdFrom": None,
            "lines": _lines(store, data),
            "lastModifiedDate": stamp,
        },
    )
    if status == "open" and data.chance(0.25):
        total = store.total(bill)
        amount = total if data.chance(0.5) else (total / 2).quantize(Decimal("0.01"))
        pay_bill(store, bill, amount, when=bill["tranDate"] + timedelta(days=20))
        bill["lastModifiedDate"] = stamp


def _account_by_number(store: NetSuiteStore, number: str) -> Record:
    return next(a for a in store.records["account"].values() if a["acctNumber"] == number)


def pay_bill(store: NetSuiteStore, bill: Record, amount: Decimal, *, when: object = None) -> Record:
    """Record a vendor payment of `amount` applied to `bill`; bill status and amounts follow."""
    payment = store.add(
        "vendorPayment",
        {
            "tranDate": when or store.today(),
            "entity": bill["entity"],
            "currency": bill["currency"],
            "subsidiary": bill["subsidiary"],
            "account": ref(_account_by_number(store, "1000"), "name"),
            "apply": [{"doc": bill["id"], "amount": amount}],
            "total": amount,
            "memo": None,
        },
    )
    payment["tranId"] = f"PAY{payment['id']}"
    store.refresh_bill_status(bill)
    store.touch(bill)
    return payment
