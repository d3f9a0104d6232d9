"""`vendor_from_qbo` validates a QuickBooks vendor in one pydantic call, its address included (issue
17: the worker's CPU per page). It must accept and refuse exactly what building the address and the
vendor separately did, and a refused record must still name its field."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from pydantic import ValidationError

from smartap_erp.connectors.base import ERPConnector
from smartap_erp.connectors.quickbooks.payloads import vendor_from_qbo
from smartap_erp.domain import ERPAddress, ERPVendor

RAW: dict[str, Any] = {
    "Id": "56",
    "SyncToken": "2",
    "DisplayName": "  Acme Supplies ",
    "CompanyName": "Acme Supplies LLC",
    "PrimaryEmailAddr": {"Address": "ap@acme.example"},
    "PrimaryPhone": {"FreeFormNumber": "(512) 555-0100"},
    "BillAddr": {
        "Id": "91",
        "Line1": "1 Main St",
        "City": "Austin",
        "CountrySubDivisionCode": "TX",
        "PostalCode": "78701",
        "Country": "US",
    },
    "TermRef": {"value": "3", "name": "Net 30"},
    "CurrencyRef": {"value": "USD", "name": "United States Dollar"},
    "TaxIdentifier": "12-3456789",
    "Active": False,
    "MetaData": {"LastUpdatedTime": "2024-05-02T10:00:00-07:00"},
}


# BillAddr's fields (quickbooks.md §Entities Vendor) by the ERPAddress field they fill
ADDRESS = {
    "line1": "Line1",
    "line2": "Line2",
    "city": "City",
    "region": "CountrySubDivisionCode",
    "postal_code": "PostalCode",
    "country": "Country",
}


def two_step(raw: dict[str, Any]) -> ERPVendor:
    """What vendor_from_qbo did before: the address built on its own, then the vendor."""
    address = raw.get("BillAddr") or {}
    parsed = vendor_from_qbo({**raw, "BillAddr": None})
    return ERPVendor(
        **{
            **parsed.model_dump(exclude={"address"}),
            "address": ERPAddress(**{ours: address.get(theirs) for ours, theirs in ADDRESS.items()})
            if address
            else None,
        }
    )


def variant(path: tuple[str, ...], value: Any) -> dict[str, Any]:
    raw = copy.deepcopy(RAW)
    target = raw
    for key in path[:-1]:
        target = target[key]
    if value is KeyError:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return raw


GOOD = [
    RAW,
    variant(("BillAddr",), None),
    variant(("BillAddr",), {}),
    variant(("BillAddr", "Line1"), "  padded  "),
    variant(("DisplayName",), KeyError),
    variant(("TermRef", "name"), KeyError),
    variant(("CurrencyRef",), KeyError),
    variant(("MetaData",), KeyError),
]


@pytest.mark.parametrize("raw", GOOD)
def test_same_vendor_as_building_the_address_first(raw: dict[str, Any]) -> None:
    assert vendor_from_qbo(raw) == two_step(raw)


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        (("BillAddr", "City"), 12, "address.city"),
        (("BillAddr", "PostalCode"), ["78701"], "address.postal_code"),
        (("CurrencyRef", "value"), "usd", "currency"),
        (("PrimaryEmailAddr", "Address"), 5, "email"),
    ],
)
def test_a_bad_field_is_a_record_error_naming_it(path: tuple[str, ...], value: Any, field: str) -> None:
    raw = variant(path, value)
    with pytest.raises(ValidationError):
        vendor_from_qbo(raw)
    page = ERPConnector.to_page(None, [raw], vendor_from_qbo, "Id")  # type: ignore[arg-type]
    (error,) = page.errors
    assert error.record_id == "56"
    assert error.field == field
    assert error.code == "invalid_record"


def test_no_name_at_all_is_refused() -> None:
    raw = variant(("DisplayName",), KeyError)
    del raw["CompanyName"]
    with pytest.raises(ValidationError) as refused:
        vendor_from_qbo(raw)
    assert refused.value.errors()[0]["loc"] == ("name",)
