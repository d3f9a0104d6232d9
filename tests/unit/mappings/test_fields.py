"""The field catalogue: which fields a mapping may name, per ERP and entity (issue 12, item 8)."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest
from pydantic import BaseModel

from smartap_erp import domain
from smartap_erp.connectors import ERPProvider
from smartap_erp.connectors.registry import registry
from smartap_erp.domain import ERPEntity, ERPInvoice, ERPPurchaseOrder, ERPSystem, ERPVendor
from smartap_erp.mappings.apply import MappingRule, MappingRuleError
from smartap_erp.mappings.fields import SMARTAP_INVOICE, allowed_fields, check_fields
from smartap_erp.sync.export.build import smartap_record

STANDARD: dict[ERPEntity, type[BaseModel]] = {
    ERPEntity.VENDOR: ERPVendor,
    ERPEntity.PURCHASE_ORDER: ERPPurchaseOrder,
    ERPEntity.INVOICE: ERPInvoice,
}


def _refused(rule: MappingRule, system: ERPSystem, entity: ERPEntity) -> MappingRuleError:
    with pytest.raises(MappingRuleError) as caught:
        check_fields(rule, system, entity)
    return caught.value


def test_a_bogus_smartap_field_is_refused_naming_it_and_listing_the_allowed_ones() -> None:
    error = _refused(MappingRule("bogus_field", "memo"), ERPSystem.QUICKBOOKS, ERPEntity.INVOICE)
    assert error.field == "smartap_field"
    assert "'bogus_field' is not a invoice field" in str(error) and "vendor.tax_id" in str(error)
    assert "lines[N].description" in str(error)


@pytest.mark.parametrize(
    "erp_field",
    ["Line[100000000].Amount", "Line[0].Amount", "line_items.description", "vendor_id", "total_amount"],
)
def test_erp_fields_outside_the_catalogue_or_bounds_are_refused(erp_field: str) -> None:
    error = _refused(MappingRule("memo", erp_field), ERPSystem.QUICKBOOKS, ERPEntity.INVOICE)
    assert error.field == "erp_field" and erp_field[:10] in str(error)


def test_the_catalogue_follows_what_each_connector_writes() -> None:
    check_fields(MappingRule("memo", "memo"), ERPSystem.QUICKBOOKS, ERPEntity.INVOICE)
    check_fields(
        MappingRule("lines[2].description", "line_items[2].description"), ERPSystem.XERO, ERPEntity.INVOICE
    )
    error = _refused(MappingRule("memo", "memo"), ERPSystem.XERO, ERPEntity.INVOICE)  # Xero bills have none
    assert "'memo' is not a invoice field a mapping can use on xero" in str(error)


def test_import_mappings_cannot_rewrite_identity_fields() -> None:
    check_fields(MappingRule("address.city", "address.city"), ERPSystem.SAP, ERPEntity.VENDOR)
    check_fields(MappingRule("name", "external_id"), ERPSystem.SAP, ERPEntity.VENDOR)  # reading it is fine
    assert (
        _refused(MappingRule("external_id", "name"), ERPSystem.SAP, ERPEntity.VENDOR).field == "smartap_field"
    )
    assert _refused(MappingRule("vendor_id", "po_number"), ERPSystem.SAP, ERPEntity.PURCHASE_ORDER).field == (
        "smartap_field"
    )


def test_entities_without_mappings_are_refused() -> None:
    error = _refused(MappingRule("a", "b"), ERPSystem.XERO, ERPEntity.PAYMENT)
    assert error.field == "entity" and "vendor, purchase_order, invoice" in str(error)


def _fields(model: type[BaseModel], prefix: str = "") -> set[str]:
    names: set[str] = set()
    for name, info in model.model_fields.items():
        names.add(prefix + name)
        inner = re.findall(r"ERP\w+", str(info.annotation))
        nested = {"ERPAddress", "ERPPurchaseOrderLine", "ERPInvoiceLine"} & set(inner)
        for kind in nested:
            suffix = "[]." if "tuple" in str(info.annotation) else "."
            names |= _fields(getattr(domain, kind), prefix + name + suffix)
    return names


@pytest.mark.parametrize("entity", [ERPEntity.VENDOR, ERPEntity.PURCHASE_ORDER, ERPEntity.INVOICE])
@pytest.mark.parametrize("system", registry.keys())
def test_every_standard_side_field_exists_in_the_standard_model(system: ERPSystem, entity: ERPEntity) -> None:
    smartap, erp = allowed_fields(system, entity)
    model_fields = _fields(STANDARD[entity])
    standard_side = erp if entity is ERPEntity.INVOICE else (*smartap, *erp)
    assert set(standard_side) <= model_fields


def test_the_smartap_invoice_fields_are_what_export_mappings_read() -> None:
    vendor = SimpleNamespace(name="Acme", email=None, tax_id="T1")
    line: Any = SimpleNamespace(
        description="d",
        quantity=Decimal(1),
        unit_price=None,
        amount_minor=100,
        account_code="6000",
        item_code=None,
        tax_code=None,
    )
    invoice: Any = SimpleNamespace(
        id="i",
        invoice_number="N",
        invoice_date=dt.date(2024, 1, 1),
        due_date=None,
        currency="USD",
        subtotal_minor=100,
        tax_minor=0,
        total_minor=100,
        memo=None,
        vendor=vendor,
        lines=[line],
    )
    record = smartap_record(invoice)
    paths = {k for k, v in record.items() if not isinstance(v, dict | list)}
    paths |= {f"vendor.{k}" for k in record["vendor"]} | {f"lines[].{k}" for k in record["lines"][0]}
    assert paths == set(SMARTAP_INVOICE)


def test_an_erp_added_by_its_provider_alone_takes_invoice_mappings_to_its_bill_fields(
    fifth_erp: ERPProvider,
) -> None:
    smartap, erp = allowed_fields(ERPSystem(fifth_erp.system), ERPEntity.INVOICE)
    assert erp == fifth_erp.bill_fields
    assert smartap == SMARTAP_INVOICE
    with pytest.raises(MappingRuleError, match="no connector exports invoices to nowhere"):
        allowed_fields(ERPSystem("nowhere"), ERPEntity.INVOICE)
