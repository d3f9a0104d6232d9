"""Vendors: the seeded-vendor builder, and Vendor create / full or sparse update through the API.

DisplayName must be unique across name lists (6240 Duplicate Name Exists, quickbooks.md §Entities; compared
case-insensitively here); when a create omits it, QBO derives it from the name parts. Balance is
read-only. Vendors are deactivated (`Active: false`), never hard-deleted (quickbooks.md §Entities).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from erpsim.core.seeding import SeededData, unique_name
from erpsim.quickbooks import faults as f
from erpsim.quickbooks.refdata import CURRENCIES, HOME_CURRENCY, currency_ref
from erpsim.quickbooks.store import QboStore, ref
from erpsim.quickbooks.validate import check_length, check_properties, for_update, lookup, merged_body, ref_id

VENDOR_FIELDS = frozenset(
    {
        "DisplayName",
        "Title",
        "GivenName",
        "MiddleName",
        "FamilyName",
        "Suffix",
        "CompanyName",
        "PrintOnCheckName",
        "PrimaryEmailAddr",
        "PrimaryPhone",
        "Mobile",
        "Fax",
        "WebAddr",
        "BillAddr",
        "TermRef",
        "AcctNum",
        "TaxIdentifier",
        "Vendor1099",
        "CurrencyRef",
        "Active",
        "OtherContactInfo",
        "APAccountRef",
    }
)


def taken_names(store: QboStore) -> set[str]:
    return {v["DisplayName"].lower() for v in store.records["Vendor"].values()}


def seeded_vendor(data: SeededData, taken: set[str], term_ids: list[str]) -> dict[str, Any]:
    """A realistic vendor body with a unique DisplayName (adds it to `taken`)."""
    company = unique_name(data.company_name(), taken)
    given, family = data.person()
    addr = data.address()
    currency = "EUR" if data.chance(0.04) else "GBP" if data.chance(0.04) else HOME_CURRENCY
    body: dict[str, Any] = {
        "DisplayName": company,
        "CompanyName": company,
        "PrintOnCheckName": company,
        "GivenName": given,
        "FamilyName": family,
        "PrimaryEmailAddr": {"Address": data.email(company)},
        "PrimaryPhone": {"FreeFormNumber": data.phone()},
        "BillAddr": {
            "Line1": addr.line1,
            "City": addr.city,
            "CountrySubDivisionCode": addr.region,
            "PostalCode": addr.postal_code,
            "Country": addr.country,
        },
        "TermRef": ref(data.choice(term_ids)),
        "Vendor1099": data.chance(0.2),
        "CurrencyRef": currency_ref(currency),
        "Balance": Decimal("0"),
        "Active": True,
    }
    if data.chance(0.6):
        body["AcctNum"] = data.digits(8)
    if data.chance(0.5):
        body["TaxIdentifier"] = data.ein()
    return body


def create_vendor(store: QboStore, body: dict[str, Any]) -> dict[str, Any]:
    fields = _validated(store, body, exclude_id=None)
    fields.setdefault("Balance", Decimal("0"))
    fields.setdefault("Active", True)
    return store.insert("Vendor", fields)


def update_vendor(store: QboStore, body: dict[str, Any]) -> dict[str, Any]:
    vendor = for_update(store, "Vendor", body)
    source = merged_body(vendor, body) if body.get("sparse") is True else body
    fields = _validated(store, source, exclude_id=vendor["Id"])
    balance = vendor.get("Balance", Decimal("0"))
    for key in [k for k in vendor if k not in ("Id", "SyncToken", "domain", "sparse", "MetaData")]:
        del vendor[key]
    vendor.update(fields)
    vendor["Balance"] = balance
    vendor.setdefault("Active", True)
    store.touch("Vendor", vendor)
    return vendor


def _validated(store: QboStore, body: dict[str, Any], *, exclude_id: str | None) -> dict[str, Any]:
    check_properties(body, VENDOR_FIELDS, "Vendor")
    fields = {k: v for k, v in body.items() if k in VENDOR_FIELDS and v is not None}
    parts = [
        str(fields[k]) for k in ("Title", "GivenName", "MiddleName", "FamilyName", "Suffix") if fields.get(k)
    ]
    display = fields.get("DisplayName") or " ".join(parts) or fields.get("CompanyName")
    if not display:
        raise f.required_param("DisplayName")
    fields["DisplayName"] = check_length(display, "DisplayName", 500)
    for vendor in store.records["Vendor"].values():
        if vendor["DisplayName"].lower() == fields["DisplayName"].lower() and vendor["Id"] != exclude_id:
            raise f.duplicate_name(fields["DisplayName"])
    currency = ref_id(fields, "CurrencyRef", required=False) or HOME_CURRENCY
    if currency not in CURRENCIES:
        raise f.invalid_reference("Currency", currency, "CurrencyRef")
    fields["CurrencyRef"] = currency_ref(currency)
    term = ref_id(fields, "TermRef", required=False)
    if term is not None:
        fields["TermRef"] = ref(lookup(store, "Term", term, "TermRef")["Id"])
    if "Active" in fields and not isinstance(fields["Active"], bool):
        raise f.request_error("Active must be true or false", element="Active")
    return fields
