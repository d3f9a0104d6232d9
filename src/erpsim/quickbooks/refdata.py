"""The fixed reference data of the simulated QBO company: accounts, terms, tax, items, currencies.

A US company (home currency USD, multicurrency on with EUR and GBP) in the shape QBO returns:
Account (`AccountType`/`AccountSubType`/`Classification`, quickbooks.md §Entities), one Accounts Payable
account per currency (QBO keeps a separate A/P account for each foreign currency), Term (`DueDays`), TaxRate,
TaxCode (US companies have the `TAX` / `NON` pseudo codes; quickbooks.md §Entities marks their use on lines
UNCERTAIN, so both exist here as TaxCode records), non-inventory/service Items for item-based lines, and
CompanyInfo.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from erpsim.quickbooks.store import QboStore, ref

HOME_CURRENCY = "USD"
CURRENCIES = {"USD": "United States Dollar", "EUR": "Euro", "GBP": "British Pound Sterling"}
EXCHANGE_RATES = {"USD": Decimal("1"), "EUR": Decimal("1.08"), "GBP": Decimal("1.27")}

CLASSIFICATION = {
    "Bank": "Asset",
    "Other Current Asset": "Asset",
    "Accounts Payable": "Liability",
    "Credit Card": "Liability",
    "Expense": "Expense",
    "Cost of Goods Sold": "Expense",
    "Income": "Revenue",
}
# (Name, AccountType, AccountSubType, currency, active, AcctNum)
_ACCOUNTS = (
    ("Checking", "Bank", "Checking", "USD", True, "1010"),
    ("Accounts Payable (A/P)", "Accounts Payable", "AccountsPayable", "USD", True, "2000"),
    ("Accounts Payable (A/P) - EUR", "Accounts Payable", "AccountsPayable", "EUR", True, "2001"),
    ("Accounts Payable (A/P) - GBP", "Accounts Payable", "AccountsPayable", "GBP", True, "2002"),
    ("Mastercard", "Credit Card", "CreditCard", "USD", True, "2100"),
    ("Inventory Asset", "Other Current Asset", "Inventory", "USD", True, "1300"),
    ("Advertising", "Expense", "AdvertisingPromotional", "USD", True, "6000"),
    ("Office Expenses", "Expense", "OfficeGeneralAdministrativeExpenses", "USD", True, "6100"),
    ("Supplies", "Expense", "SuppliesMaterials", "USD", True, "6200"),
    ("Rent or Lease", "Expense", "RentOrLeaseOfBuildings", "USD", True, "6300"),
    ("Utilities", "Expense", "Utilities", "USD", True, "6400"),
    ("Travel", "Expense", "Travel", "USD", True, "6500"),
    ("Legal & Professional Fees", "Expense", "LegalProfessionalFees", "USD", True, "6600"),
    ("Repair & Maintenance", "Expense", "RepairMaintenance", "USD", True, "6700"),
    ("Insurance", "Expense", "Insurance", "USD", True, "6800"),
    ("Old Office Expenses", "Expense", "OfficeGeneralAdministrativeExpenses", "USD", False, "6999"),
    ("Cost of Goods Sold", "Cost of Goods Sold", "SuppliesMaterialsCogs", "USD", True, "5000"),
    ("Sales of Product Income", "Income", "SalesOfProductIncome", "USD", True, "4000"),
)
_TERMS = (("Due on receipt", 0), ("Net 15", 15), ("Net 30", 30), ("Net 60", 60))
# (Name, Type, expense account name, PurchaseCost)
_ITEMS = (
    ("Office Supplies", "NonInventory", "Supplies", "12.50"),
    ("Consulting Hours", "Service", "Legal & Professional Fees", "150.00"),
    ("Printer Paper (case)", "NonInventory", "Office Expenses", "42.00"),
    ("Equipment Maintenance", "Service", "Repair & Maintenance", "95.00"),
    ("Raw Materials", "NonInventory", "Cost of Goods Sold", "8.75"),
)


def currency_ref(code: str) -> dict[str, str]:
    return ref(code, CURRENCIES[code])


def seed_reference_data(store: QboStore, *, realm_id: str, created: float) -> None:
    """Accounts, terms, tax rates and codes, items and CompanyInfo, all created at `created`."""
    for name, acct_type, sub_type, currency, active, number in _ACCOUNTS:
        store.insert(
            "Account",
            {
                "Name": name,
                "SubAccount": False,
                "FullyQualifiedName": name,
                "Active": active,
                "Classification": CLASSIFICATION[acct_type],
                "AccountType": acct_type,
                "AccountSubType": sub_type,
                "AcctNum": number,
                "CurrentBalance": Decimal("0"),
                "CurrentBalanceWithSubAccounts": Decimal("0"),
                "CurrencyRef": currency_ref(currency),
            },
            created=created,
        )
    for name, days in _TERMS:
        store.insert(
            "Term", {"Name": name, "Active": True, "Type": "STANDARD", "DueDays": days}, created=created
        )
    _seed_tax(store, created)
    for name, item_type, account_name, cost in _ITEMS:
        account = account_by_name(store, account_name)
        store.insert(
            "Item",
            {
                "Name": name,
                "FullyQualifiedName": name,
                "Active": True,
                "Type": item_type,
                "Taxable": False,
                "PurchaseCost": Decimal(cost),
                "ExpenseAccountRef": ref(account["Id"], account["Name"]),
            },
            created=created,
        )
    store.insert("CompanyInfo", _company_info(realm_id), created=created, ident="1")


def _seed_tax(store: QboStore, created: float) -> None:
    state = store.insert(
        "TaxRate",
        {
            "Name": "California",
            "Description": "California state sales tax",
            "Active": True,
            "RateValue": Decimal("7.25"),
            "AgencyRef": ref("1"),
            "SpecialTaxType": "NONE",
            "DisplayType": "ReadOnly",
        },
        created=created,
    )
    city = store.insert(
        "TaxRate",
        {
            "Name": "San Francisco",
            "Description": "San Francisco district tax",
            "Active": True,
            "RateValue": Decimal("1.375"),
            "AgencyRef": ref("1"),
            "SpecialTaxType": "NONE",
            "DisplayType": "ReadOnly",
        },
        created=created,
    )
    empty: dict[str, Any] = {"TaxRateDetail": []}
    store.insert(
        "TaxCode",
        {
            "Name": "TAX",
            "Description": "TAX",
            "Active": True,
            "Taxable": True,
            "TaxGroup": False,
            "SalesTaxRateList": empty,
            "PurchaseTaxRateList": empty,
        },
        created=created,
        ident="TAX",
    )
    store.insert(
        "TaxCode",
        {
            "Name": "NON",
            "Description": "NON",
            "Active": True,
            "Taxable": False,
            "TaxGroup": False,
            "SalesTaxRateList": empty,
            "PurchaseTaxRateList": empty,
        },
        created=created,
        ident="NON",
    )
    details = [
        {"TaxRateRef": ref(rate["Id"], rate["Name"]), "TaxTypeApplicable": "TaxOnAmount", "TaxOrder": 0}
        for rate in (state, city)
    ]
    store.insert(
        "TaxCode",
        {
            "Name": "San Francisco",
            "Description": "Sales tax for San Francisco",
            "Active": True,
            "Taxable": True,
            "TaxGroup": True,
            "SalesTaxRateList": {"TaxRateDetail": details},
            "PurchaseTaxRateList": empty,
        },
        created=created,
    )


def _company_info(realm_id: str) -> dict[str, Any]:
    address = {
        "Id": "1",
        "Line1": "2500 Garcia Ave",
        "City": "Mountain View",
        "CountrySubDivisionCode": "CA",
        "PostalCode": "94043",
        "Country": "US",
    }
    return {
        "CompanyName": "SmartAP Demo Company",
        "LegalName": "SmartAP Demo Company Inc.",
        "CompanyAddr": address,
        "LegalAddr": address,
        "CustomerCommunicationAddr": address,
        "PrimaryPhone": {"FreeFormNumber": "(650) 555-0100"},
        "CompanyStartDate": "2020-01-01",
        "FiscalYearStartMonth": "January",
        "Country": "US",
        "SupportedLanguages": "en",
        "Email": {"Address": "books@smartap-demo.example.com"},
        "WebAddr": {"URI": "https://smartap-demo.example.com"},
        "NameValue": [
            {"Name": "CompanyType", "Value": "Other"},
            {"Name": "OfferingSku", "Value": "QuickBooks Online Plus"},
            {"Name": "IsQbdtMigrated", "Value": "false"},
            {"Name": "RealmId", "Value": realm_id},
        ],
    }


def account_by_name(store: QboStore, name: str) -> dict[str, Any]:
    return next(a for a in store.records["Account"].values() if a["Name"] == name)


def ap_account_for(store: QboStore, currency: str) -> dict[str, Any]:
    """The (first active) Accounts Payable account in `currency`."""
    return next(
        a
        for a in store.records["Account"].values()
        if a["AccountType"] == "Accounts Payable" and a["CurrencyRef"]["value"] == currency and a["Active"]
    )


def expense_accounts(store: QboStore) -> list[dict[str, Any]]:
    return [a for a in store.records["Account"].values() if a["Classification"] == "Expense" and a["Active"]]
