"""Deterministic seed data of the simulated company databases.

`seed_company` fills one `Company` from a `SeededData` stream: payment terms, chart of accounts
(title and postable accounts), tax codes for the localisation (US `SalesTaxCodes` or VAT
`VatGroups`, sap.md §Accounts and tax codes), suppliers plus a few customers and leads in `BusinessPartners`
(some frozen or invalid), purchase orders (item and service, some closed), A/P invoices (some linked to PO
lines, some paid in full or in part through `VendorPayments`), and a handful of customer receipts in
`IncomingPayments` whose `DocEntry` links collide with A/P invoice numbers, so a client reading the wrong
entity (erp-facts.md §Seed corrections) gets visibly wrong answers. Dates spread over the months before the
clock.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from erpsim.core.seeding import SeededData, unique_name
from erpsim.sap.company import Company
from erpsim.sap.documents import ITEMS, SERVICE, apply_payment, build_document

TERMS = [(-1, "Cash Basic", 0), (1, "Net 30", 30), (2, "Net 15", 15), (3, "Net 60", 60)]
# (internal code suffix, FormatCode, name, postable, type); US codes are internal `_SYS…` keys.
ACCOUNTS = [
    ("100", "10000", "Assets", False, "at_Other"),
    ("110", "10100", "Bank - Operating", True, "at_Other"),
    ("120", "14000", "Inventory", True, "at_Other"),
    ("200", "20000", "Liabilities", False, "at_Other"),
    ("210", "20100", "Accounts Payable", True, "at_Other"),
    ("500", "50000", "Cost of Sales", False, "at_Expenses"),
    ("510", "50100", "Cost of Goods Sold", True, "at_Expenses"),
    ("600", "60000", "Expenses", False, "at_Expenses"),
    ("610", "61000", "Office Supplies", True, "at_Expenses"),
    ("620", "62000", "Rent", True, "at_Expenses"),
    ("630", "63000", "Utilities", True, "at_Expenses"),
    ("640", "64000", "Professional Fees", True, "at_Expenses"),
    ("650", "65000", "Travel", True, "at_Expenses"),
    ("660", "66000", "Software Subscriptions", True, "at_Expenses"),
    ("670", "67000", "Freight In", True, "at_Expenses"),
    ("680", "68000", "Repairs and Maintenance", True, "at_Expenses"),
]
SALES_TAX = [
    ("EX", "Exempt", "0"),
    ("CA", "California", "8.25"),
    ("TX", "Texas", "6.25"),
    ("NY", "New York", "8.875"),
    ("WA", "Washington", "10.1"),
]
VAT = [
    ("I1", "Input VAT Standard", "bovcInputTax", "20", "tNO"),
    ("I2", "Input VAT Reduced", "bovcInputTax", "5", "tNO"),
    ("I0", "Input VAT Zero", "bovcInputTax", "0", "tNO"),
    ("O1", "Output VAT Standard", "bovcOutputTax", "20", "tNO"),
    ("IX", "Input VAT Old Rate", "bovcInputTax", "17.5", "tYES"),
]
ITEMS_CATALOGUE = [
    ("A00001", "Printer paper A4 (box)"),
    ("A00002", "Toner cartridge"),
    ("A00003", "Desk lamp"),
    ("A00004", "Steel bolts M8 (100)"),
    ("A00005", "Pallet wrap"),
    ("A00006", "Safety gloves"),
]


def account_code(company: Company, suffix: str, format_code: str) -> str:
    return f"_SYS00000000{suffix}" if not company.uses_vat else format_code


def _stamp_past(company: Company, record: dict[str, Any], created: date, updated: datetime) -> None:
    key = "CreateDate" if "CardCode" in record and "DocEntry" not in record else "CreationDate"
    record[key] = created.isoformat()
    company.stamp(record, updated)


def seed_reference(company: Company) -> None:
    for number, name, days in TERMS:
        company.add(
            "PaymentTermsTypes",
            {"GroupNumber": number, "PaymentTermsGroupName": name, "NumberOfAdditionalDays": days},
            "GroupNumber",
        )
    for suffix, fmt, name, postable, kind in ACCOUNTS:
        father = None if not postable else account_code(company, suffix[0] + "00", fmt[0] + "0000")
        company.add(
            "ChartOfAccounts",
            {
                "Code": account_code(company, suffix, fmt),
                "Name": name,
                "FormatCode": fmt,
                "Balance": Decimal("0"),
                "ActiveAccount": "tYES" if postable else "tNO",
                "AccountType": kind,
                "AcctCurrency": company.currency,
                "FatherAccountKey": father,
                "ValidFor": "tYES",
                "FrozenFor": "tNO",
                "DefaultVatGroup": "I1" if company.uses_vat and kind == "at_Expenses" else None,
                "TaxLiableAccount": "tNO",
            },
            "Code",
        )
    if company.uses_vat:
        for code, name, category, rate, inactive in VAT:
            company.add(
                "VatGroups",
                {
                    "Code": code,
                    "Name": name,
                    "Category": category,
                    "TaxAccount": account_code(company, "210", "20100"),
                    "Inactive": inactive,
                    "VatGroups_Lines": [{"Effectivefrom": "2011-01-04", "Rate": Decimal(rate)}],
                },
                "Code",
            )
    else:
        for code, name, rate in SALES_TAX:
            company.add(
                "SalesTaxCodes",
                {
                    "Code": code,
                    "Name": name,
                    "Rate": Decimal(rate),
                    "ValidForAP": "tYES",
                    "ValidForAR": "tYES",
                    "Inactive": "tNO",
                    "SalesTaxCodes_Lines": [{"STACode": code, "STAType": 1, "EffectiveRate": Decimal(rate)}],
                },
                "Code",
            )


def add_partner(
    company: Company,
    data: SeededData,
    taken: set[str],
    code: str,
    card_type: str,
    created: date,
    updated: datetime,
) -> dict[str, Any]:
    name = unique_name(data.company_name(), taken)
    addr = data.address()
    street_block = [
        {
            "AddressName": "Bill To",
            "Street": addr.line1,
            "Block": None,
            "ZipCode": addr.postal_code,
            "City": addr.city,
            "County": None,
            "Country": company.country,
            "State": addr.region if company.country == "US" else None,
            "AddressType": "bo_BillTo",
            "RowNum": 0,
        }
    ]
    if data.chance(0.3):
        street_block.append(
            {**street_block[0], "AddressName": "Ship To", "AddressType": "bo_ShipTo", "RowNum": 1}
        )
    frozen = data.chance(0.04)
    partner = {
        "CardCode": code,
        "CardName": name,
        "CardForeignName": None,
        "CardType": card_type,
        "GroupCode": 101 if card_type == "cSupplier" else 100,
        "FederalTaxID": data.ein(),
        "EmailAddress": data.email(name),
        "Phone1": data.phone(),
        "Phone2": None,
        "Address": addr.line1,
        "ZipCode": addr.postal_code,
        "City": addr.city,
        "Country": company.country,
        "MailAddress": None,
        "BilltoDefault": "Bill To",
        "ShipToDefault": "Ship To" if len(street_block) > 1 else None,
        "PayTermsGrpCode": data.choice([1, 1, 2, 3, -1]),
        "Currency": company.currency,
        "VatGroup": "I1" if company.uses_vat else None,
        "VatLiable": "tYES" if company.uses_vat else "tNO",
        "DebitorAccount": account_code(company, "210", "20100"),
        "Valid": "tNO" if data.chance(0.03) else "tYES",
        "Frozen": "tYES" if frozen else "tNO",
        "CreateTime": updated.strftime("%H:%M:%S"),
        "BPAddresses": street_block,
    }
    _stamp_past(company, partner, created, updated)
    return company.add("BusinessPartners", partner, "CardCode")


def _when(data: SeededData, now: datetime, max_days: int) -> tuple[date, datetime]:
    updated = now - timedelta(days=data.int_between(1, max_days), seconds=data.int_between(0, 86_399))
    created = updated.date() - timedelta(days=data.int_between(0, 400))
    return created, updated


def _lines(company: Company, data: SeededData, doc_type: str) -> list[dict[str, Any]]:
    tax_field, tax = (
        ("VatGroup", data.choice(["I1", "I1", "I2", "I0"]))
        if company.uses_vat
        else ("TaxCode", data.choice(["EX", "CA", "TX", "NY"]))
    )
    lines: list[dict[str, Any]] = []
    for _ in range(data.int_between(1, 4)):
        if doc_type == ITEMS:
            code, text = data.choice(ITEMS_CATALOGUE)
            lines.append(
                {
                    "ItemCode": code,
                    "ItemDescription": text,
                    "Quantity": data.int_between(1, 20),
                    "UnitPrice": data.amount("2", "250"),
                    tax_field: tax,
                }
            )
        else:
            _, fmt, name, _, _ = data.choice([a for a in ACCOUNTS if a[3] and a[4] == "at_Expenses"])
            suffix = next(a[0] for a in ACCOUNTS if a[1] == fmt)
            lines.append(
                {
                    "ItemDescription": name,
                    "AccountCode": account_code(company, suffix, fmt),
                    "LineTotal": data.amount("25", "4000"),
                    tax_field: tax,
                }
            )
    return lines


def add_purchase_order(company: Company, data: SeededData, card_code: str, now: datetime) -> dict[str, Any]:
    doc_type = ITEMS if data.chance(0.7) else SERVICE
    _, updated = _when(data, now, 120)
    po = build_document(
        company,
        "PurchaseOrders",
        {
            "CardCode": card_code,
            "DocType": doc_type,
            "DocDate": updated.date().isoformat(),
            "Comments": f"Seeded PO for {card_code}",
            "DocumentLines": _lines(company, data, doc_type),
        },
    )
    _stamp_past(company, po, updated.date(), updated)
    return po


def seed_company(company: Company, data: SeededData, vendors: int, purchase_orders: int, bills: int) -> None:
    """Fill `company` with reference data, partners, POs, A/P invoices and payments."""
    now = company.clock.now()
    seed_reference(company)
    taken: set[str] = set()
    for i in range(vendors):
        add_partner(company, data, taken, f"V{10000 + i}", "cSupplier", *_when(data, now, 180))
    for i in range(max(3, vendors // 20)):
        add_partner(
            company, data, taken, f"C{20000 + i}", "cCustomer" if i % 4 else "cLid", *_when(data, now, 180)
        )
    active = [
        bp["CardCode"]
        for bp in company.records("BusinessPartners")
        if bp["CardType"] == "cSupplier" and bp["Frozen"] == "tNO" and bp["Valid"] == "tYES"
    ]
    if not active:
        return
    for _ in range(purchase_orders):
        add_purchase_order(company, data, data.choice(active), now)
    for po in company.records("PurchaseOrders"):
        if data.chance(0.2):  # some POs were fully received and closed in the ERP
            po["DocumentStatus"] = "bost_Close"
            for line in po["DocumentLines"]:
                line.update(
                    LineStatus="bost_Close", RemainingOpenQuantity=Decimal("0"), OpenAmount=Decimal("0")
                )
    _seed_bills(company, data, active, bills, now)
    _seed_receipts(company, data, now)


def _seed_bills(company: Company, data: SeededData, active: list[str], bills: int, now: datetime) -> None:
    for n in range(bills):
        _, updated = _when(data, now, 90)
        card = data.choice(active)
        bill = build_document(
            company,
            "PurchaseInvoices",
            {
                "CardCode": card,
                "DocType": SERVICE,
                "DocDate": updated.date().isoformat(),
                "NumAtCard": f"INV-{data.digits(6)}-{n}",
                "DocumentLines": _lines(company, data, SERVICE),
            },
        )
        _stamp_past(company, bill, updated.date(), updated)
        roll = data.rng.random()
        if roll < 0.3:
            apply_payment(company, bill, Decimal(bill["DocTotal"]))
        elif roll < 0.5:
            apply_payment(company, bill, (Decimal(bill["DocTotal"]) / 3).quantize(Decimal("0.01")))


def _seed_receipts(company: Company, data: SeededData, now: datetime) -> None:
    """Customer receipts (ORCT): the wrong entity for vendor payments (sap.md §Entities,
    erp-facts.md §Seed corrections)."""
    customers = [bp for bp in company.records("BusinessPartners") if bp["CardType"] == "cCustomer"]
    for n in range(min(5, len(customers))):
        entry, num = company.allocate("IncomingPayments")
        amount = data.amount("100", "5000")
        company.add(
            "IncomingPayments",
            {
                "DocEntry": entry,
                "DocNum": num,
                "DocType": "rCustomer",
                "DocDate": now.date().isoformat(),
                "DueDate": now.date().isoformat(),
                "TaxDate": now.date().isoformat(),
                "CardCode": customers[n]["CardCode"],
                "CardName": customers[n]["CardName"],
                "DocCurrency": company.currency,
                "CashSum": amount,
                "TransferSum": Decimal("0"),
                "Cancelled": "tNO",
                "DocObjectCode": "bopot_IncomingPayments",
                "PaymentInvoices": [
                    {"LineNum": 0, "DocEntry": n + 1, "InvoiceType": "it_Invoice", "SumApplied": amount}
                ],
            },
            "DocEntry",
        )
