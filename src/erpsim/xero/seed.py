"""Seeded Xero organisations: two tenants, a US chart of accounts, tax rates, suppliers, POs and bills.

Everything is drawn from `SeededData(f"xero-{seed}")`, so a seed always gives the same tenants,
GUIDs and records. The first tenant (the one `credentials()` names) holds the configured number of
suppliers, purchase orders and bills (plus a few customers and sales invoices, so `IsSupplier` and
`Type=="ACCPAY"` filters matter, some archived suppliers, and some paid bills with their
`ACCPAYPAYMENT` payments); the second tenant is a small organisation, so tenant selection is real
(xero.md §Tenancy and OAuth 2.0). Purchase orders use the spec's status values (xero.md §Entities,
erp-facts.md §Seed corrections).
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from erpsim.core.seeding import SeededData, unique_name
from erpsim.xero.store import ZERO, Org, Record, contact_ref, recompute_invoice, recompute_totals

# (Code, Name, Type, Class, TaxType, SystemAccount, Status)
_ACCOUNTS = (
    ("090", "Business Bank Account", "BANK", "ASSET", "NONE", None, "ACTIVE"),
    ("200", "Sales", "REVENUE", "REVENUE", "OUTPUT", None, "ACTIVE"),
    ("310", "Cost of Goods Sold", "DIRECTCOSTS", "EXPENSE", "INPUT", None, "ACTIVE"),
    ("400", "Advertising", "EXPENSE", "EXPENSE", "INPUT", None, "ACTIVE"),
    ("429", "General Expenses", "EXPENSE", "EXPENSE", "INPUT", None, "ACTIVE"),
    ("445", "Light, Power, Heating", "EXPENSE", "EXPENSE", "INPUT", None, "ACTIVE"),
    ("453", "Office Expenses", "EXPENSE", "EXPENSE", "INPUT", None, "ACTIVE"),
    ("461", "Printing & Stationery", "EXPENSE", "EXPENSE", "INPUT", None, "ACTIVE"),
    ("489", "Telephone & Internet", "EXPENSE", "EXPENSE", "INPUT", None, "ACTIVE"),
    ("493", "Travel - National", "EXPENSE", "EXPENSE", "INPUT", None, "ACTIVE"),
    ("499", "Old Office Rent", "OVERHEADS", "EXPENSE", "INPUT", None, "ARCHIVED"),
    ("610", "Accounts Receivable", "CURRENT", "ASSET", "NONE", "DEBTORS", "ACTIVE"),
    ("720", "Computer Equipment", "FIXED", "ASSET", "INPUT", None, "ACTIVE"),
    ("800", "Accounts Payable", "CURRLIAB", "LIABILITY", "NONE", "CREDITORS", "ACTIVE"),
    ("820", "Sales Tax", "CURRLIAB", "LIABILITY", "NONE", "GST", "ACTIVE"),
)
# (TaxType, Name, rate %, CanApplyToExpenses, CanApplyToRevenue, Status)
_TAX_RATES = (
    ("NONE", "Tax Exempt", "0", True, True, "ACTIVE"),
    ("INPUT", "Tax on Purchases", "0", True, False, "ACTIVE"),
    ("OUTPUT", "Tax on Sales", "0", False, True, "ACTIVE"),
    ("TAX001", "CA Sales Tax", "8.25", True, True, "ACTIVE"),
    ("TAX002", "NY Sales Tax (old)", "8.875", True, True, "DELETED"),
)
_EXPENSE_CODES = ("310", "400", "429", "445", "453", "461", "489", "493")
_PO_STATUSES = ("AUTHORISED",) * 6 + ("SUBMITTED", "DRAFT", "BILLED", "DELETED")
_BILL_STATUSES = ("AUTHORISED",) * 6 + ("PAID",) * 2 + ("DRAFT", "VOIDED")


def new_guid(data: SeededData) -> str:
    return str(uuid.UUID(int=data.rng.getrandbits(128), version=4))


def seed_orgs(seed: int, now: datetime, vendors: int, purchase_orders: int, bills: int) -> list[Org]:
    """Both tenants of a seed, the primary one first."""
    data = SeededData(f"xero-{seed}")
    primary = _org(data, now, "Sterling Office Group", vendors, purchase_orders, bills)
    secondary = _org(data, now, "Harbor Holdings (Demo)", 5, 2, 2)
    return [primary, secondary]


def tenant_ids(seed: int) -> list[str]:
    """The tenant ids of a seed without building the data (first draws of the same generator)."""
    data = SeededData(f"xero-{seed}")
    first = new_guid(data)
    return [first]


def _org(data: SeededData, now: datetime, name: str, vendors: int, pos: int, bills: int) -> Org:
    tenant_id = new_guid(data)
    created = now - timedelta(days=400)
    org = Org(tenant_id, name, "USD", created, _organisation(data, tenant_id, name, created))
    for row in _ACCOUNTS:
        _add_account(org, data, row, now)
    for tax_type, tax_name, rate, expenses, revenue, status in _TAX_RATES:
        org.tax_rates[tax_type] = _tax_rate(tax_type, tax_name, Decimal(rate), expenses, revenue, status)
    taken: set[str] = set()
    for _ in range(vendors):
        add_contact(org, data, now, taken, supplier=True)
    for _ in range(max(1, vendors // 10)):
        add_contact(org, data, now, taken, supplier=False)
    suppliers = [c for c in org.contacts.values() if c["IsSupplier"]]
    for number in range(1, pos + 1):
        add_purchase_order(org, data, now, data.choice(suppliers), number)
    for number in range(1, bills + 1):
        _add_bill(org, data, now, data.choice(suppliers), number)
    return org


def _organisation(data: SeededData, tenant_id: str, name: str, created: datetime) -> Record:
    address = data.address()
    return {
        "OrganisationID": tenant_id,
        "APIKey": data.token(30).upper(),
        "Name": name,
        "LegalName": f"{name} Inc",
        "PaysTax": True,
        "Version": "US",
        "OrganisationType": "COMPANY",
        "BaseCurrency": "USD",
        "CountryCode": "US",
        "IsDemoCompany": False,
        "OrganisationStatus": "ACTIVE",
        "FinancialYearEndDay": 31,
        "FinancialYearEndMonth": 12,
        "SalesTaxBasis": "ACCRUAL",
        "SalesTaxPeriod": "MONTHLY",
        "DefaultSalesTax": "Tax Exclusive",
        "DefaultPurchasesTax": "Tax Exclusive",
        "CreatedDateUTC": created,
        "Timezone": "PACIFICSTANDARDTIME",
        "OrganisationEntityType": "COMPANY",
        "ShortCode": "!" + data.token(5),
        "Edition": "BUSINESS",
        "Class": "STANDARD",
        "Addresses": [
            {
                "AddressType": "STREET",
                "AddressLine1": address.line1,
                "City": address.city,
                "Region": address.region,
                "PostalCode": address.postal_code,
                "Country": address.country,
            }
        ],
        "Phones": [],
        "ExternalLinks": [],
        "PaymentTerms": {"Bills": {"Day": 30, "Type": "DAYSAFTERBILLDATE"}},
    }


def _add_account(org: Org, data: SeededData, row: tuple[Any, ...], now: datetime) -> None:
    code, name, kind, klass, tax_type, system, status = row
    account_id = new_guid(data)
    org.accounts[account_id] = {
        "AccountID": account_id,
        "Code": code,
        "Name": name,
        "Type": kind,
        "Class": klass,
        "Status": status,
        "TaxType": tax_type,
        "SystemAccount": system,
        "EnablePaymentsToAccount": kind == "BANK",
        "ShowInExpenseClaims": klass == "EXPENSE",
        "BankAccountType": "BANK" if kind == "BANK" else "",
        "BankAccountNumber": data.digits(10) if kind == "BANK" else None,
        "CurrencyCode": "USD",
        "ReportingCode": klass[:3],
        "HasAttachments": False,
        "AddToWatchlist": False,
        "UpdatedDateUTC": now - timedelta(days=300),
    }


def _tax_rate(tax_type: str, name: str, rate: Decimal, expenses: bool, revenue: bool, status: str) -> Record:
    return {
        "Name": name,
        "TaxType": tax_type,
        "Status": status,
        "ReportTaxType": "INPUT" if expenses else "OUTPUT",
        "TaxComponents": [{"Name": name, "Rate": rate, "IsCompound": False, "IsNonRecoverable": False}],
        "CanApplyToAssets": expenses,
        "CanApplyToEquity": False,
        "CanApplyToExpenses": expenses,
        "CanApplyToLiabilities": False,
        "CanApplyToRevenue": revenue,
        "DisplayTaxRate": rate,
        "EffectiveRate": rate,
    }


def add_contact(org: Org, data: SeededData, now: datetime, taken: set[str], *, supplier: bool) -> Record:
    name = unique_name(data.company_name(), taken)
    given, family = data.person()
    address = data.address()
    contact_id = new_guid(data)
    archived = supplier and data.chance(0.03)
    record: Record = {
        "ContactID": contact_id,
        "ContactNumber": f"V{len(org.contacts) + 1:05d}" if supplier else None,
        "AccountNumber": data.digits(6) if data.chance(0.5) else None,
        "ContactStatus": "ARCHIVED" if archived else "ACTIVE",
        "Name": name,
        "FirstName": given,
        "LastName": family,
        "EmailAddress": data.email(name),
        "TaxNumber": data.ein() if supplier else None,
        "Addresses": [
            {
                "AddressType": "POBOX",
                "AddressLine1": address.line1,
                "City": address.city,
                "Region": address.region,
                "PostalCode": address.postal_code,
                "Country": address.country,
            },
            {"AddressType": "STREET"},
        ],
        "Phones": [
            {
                "PhoneType": "DEFAULT",
                "PhoneNumber": data.phone()[6:],
                "PhoneAreaCode": data.phone()[1:4],
                "PhoneCountryCode": "1",
            },
            {"PhoneType": "MOBILE"},
            {"PhoneType": "FAX"},
            {"PhoneType": "DDI"},
        ],
        "IsSupplier": supplier,
        "IsCustomer": not supplier,
        "AccountsPayableTaxType": "INPUT" if supplier else None,
        "PurchasesDefaultAccountCode": data.choice(_EXPENSE_CODES) if supplier else None,
        "PaymentTerms": {"Bills": {"Day": data.choice((15, 30, 45)), "Type": "DAYSAFTERBILLDATE"}}
        if supplier
        else None,
        "DefaultCurrency": "USD",
        "HasAttachments": False,
        "HasValidationErrors": False,
        "UpdatedDateUTC": now - timedelta(days=data.int_between(1, 180), seconds=data.int_between(0, 86399)),
        "ContactGroups": [],
        "ContactPersons": [],
    }
    org.contacts[contact_id] = record
    return record


def _lines(data: SeededData, count: int) -> list[Record]:
    lines: list[Record] = []
    for _ in range(count):
        lines.append(
            {
                "LineItemID": new_guid(data),
                "Description": data.choice(
                    (
                        "Office supplies",
                        "Freight",
                        "Consulting hours",
                        "Printer toner",
                        "Cleaning",
                        "Equipment rental",
                    )
                ),
                "Quantity": Decimal(data.int_between(1, 10)),
                "UnitAmount": data.amount("5", "500"),
                "AccountCode": data.choice(_EXPENSE_CODES),
                "TaxType": data.choice(("INPUT", "TAX001", "NONE")),
                "Tracking": [],
            }
        )
    return lines


def add_purchase_order(
    org: Org, data: SeededData, now: datetime, contact: Record, number: int, status: str | None = None
) -> Record:
    po_id = new_guid(data)
    day = (now - timedelta(days=data.int_between(1, 120))).date()
    po: Record = {
        "PurchaseOrderID": po_id,
        "PurchaseOrderNumber": f"PO-{number:04d}",
        "Contact": contact_ref(contact),
        "Date": day,
        "DeliveryDate": day + timedelta(days=14),
        "Reference": f"REQ-{data.digits(5)}",
        "LineAmountTypes": "Exclusive",
        "CurrencyCode": org.base_currency,
        "CurrencyRate": Decimal("1.000000"),
        "Status": status or data.choice(_PO_STATUSES),
        "SentToContact": data.chance(0.5),
        "LineItems": _lines(data, data.int_between(1, 4)),
        "TotalDiscount": ZERO,
        "HasAttachments": False,
        "UpdatedDateUTC": now - timedelta(days=data.int_between(0, 60), seconds=data.int_between(0, 86399)),
    }
    recompute_totals(org, po)
    org.purchase_orders[po_id] = po
    return po


def _add_bill(org: Org, data: SeededData, now: datetime, contact: Record, number: int) -> None:
    status = data.choice(_BILL_STATUSES)
    invoice = new_invoice_record(data, org, contact, now, "ACCPAY" if number % 8 else "ACCREC", number)
    invoice["Status"] = "AUTHORISED" if status == "PAID" else status
    recompute_invoice(org, invoice)
    org.invoices[invoice["InvoiceID"]] = invoice
    if status == "PAID":
        add_payment(org, data, invoice, invoice["AmountDue"], invoice["UpdatedDateUTC"])


def new_invoice_record(
    data: SeededData, org: Org, contact: Record, now: datetime, kind: str, number: int
) -> Record:
    day = (now - timedelta(days=data.int_between(5, 90))).date()
    return {
        "Type": kind,
        "InvoiceID": new_guid(data),
        "InvoiceNumber": f"SUP-{data.digits(5)}" if kind == "ACCPAY" else f"INV-{number:04d}",
        "Reference": f"Order {data.digits(4)}" if kind == "ACCREC" else None,
        "Contact": contact_ref(contact),
        "Date": day,
        "DueDate": day + timedelta(days=30),
        "LineAmountTypes": "Exclusive",
        "CurrencyCode": org.base_currency,
        "CurrencyRate": Decimal("1.000000"),
        "Status": "AUTHORISED",
        "LineItems": _lines(data, data.int_between(1, 3)),
        "Payments": [],
        "CreditNotes": [],
        "Prepayments": [],
        "Overpayments": [],
        "AmountCredited": ZERO,
        "HasAttachments": False,
        "HasErrors": False,
        "IsDiscounted": False,
        "SentToContact": False,
        "TotalDiscount": ZERO,
        "UpdatedDateUTC": now - timedelta(days=data.int_between(0, 30), seconds=data.int_between(0, 86399)),
    }


def add_payment(org: Org, data: SeededData, invoice: Record, amount: Decimal, when: datetime) -> Record:
    """Record an ACCPAYPAYMENT (or ACCRECPAYMENT) against an invoice and update the invoice."""
    bank = next(a for a in org.accounts.values() if a["Type"] == "BANK")
    payment_id = new_guid(data)
    kind = "ACCPAYPAYMENT" if invoice["Type"] == "ACCPAY" else "ACCRECPAYMENT"
    payment: Record = {
        "PaymentID": payment_id,
        "Date": when.date(),
        "Amount": amount,
        "BankAmount": amount,
        "CurrencyRate": Decimal("1.000000"),
        "Reference": f"EFT {data.digits(6)}",
        "IsReconciled": False,
        "Status": "AUTHORISED",
        "PaymentType": kind,
        "UpdatedDateUTC": when,
        "HasAccount": True,
        "HasValidationErrors": False,
        "Account": {"AccountID": bank["AccountID"], "Code": bank["Code"]},
        "Invoice": {
            "InvoiceID": invoice["InvoiceID"],
            "InvoiceNumber": invoice["InvoiceNumber"],
            "Type": invoice["Type"],
            "Contact": dict(invoice["Contact"]),
            "CurrencyCode": invoice["CurrencyCode"],
        },
    }
    org.payments[payment_id] = payment
    invoice["Payments"].append(
        {
            "PaymentID": payment_id,
            "Date": when.date(),
            "Amount": amount,
            "Reference": payment["Reference"],
            "CurrencyRate": Decimal("1.000000"),
            "HasAccount": True,
            "HasValidationErrors": False,
        }
    )
    recompute_invoice(org, invoice)
    if invoice["Status"] == "PAID":
        invoice["FullyPaidOnDate"] = when.date()
    invoice["UpdatedDateUTC"] = when
    return payment
