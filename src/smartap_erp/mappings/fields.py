"""The fields a field mapping may name, per ERP and entity: a small catalogue, until connectors
describe their own fields (a later architecture issue adds provider descriptions).

Mappings work on the standard model, not on ERP payloads. On import (vendor, purchase_order) both
paths are standard-model fields: `erp_field` is read from the connector's `ERPVendor` /
`ERPPurchaseOrder`, `smartap_field` is written to the copy SmartAP stores (identity and sync
bookkeeping — `external_id`, `vendor_id`, `line_id`, `updated_at`, `version` — cannot be
written). On export (invoice) `smartap_field` is read from SmartAP's invoice (`invoice_number`,
`vendor.name`, `lines[0].description`...) and `erp_field` is written to the `ERPInvoice` the
connector sends: only the fields that connector puts in the bill (Xero's bill has no memo or
purchase-order link), and never money (amounts, quantities, currency: the approved invoice's money
is exported as it is) nor the vendor or the idempotency key. A list field is named with an index,
`line_items[3].description`, below `apply.MAX_INDEX + 1`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from smartap_erp.connectors.registry import registry
from smartap_erp.domain.enums import ERPEntity, ERPSystem, SyncDirection
from smartap_erp.mappings.apply import MappingRule, MappingRuleError, parse_path

_ADDRESS = tuple(f"address.{name}" for name in ("line1", "line2", "city", "region", "postal_code", "country"))
_VENDOR_WRITABLE = ("name", "email", "phone", *_ADDRESS, "tax_id", "payment_terms", "currency", "is_active")
_VENDOR_READABLE = ("external_id", *_VENDOR_WRITABLE, "updated_at", "version")
_PO_LINE_WRITABLE = tuple(
    f"line_items[].{name}"
    for name in ("description", "quantity", "unit_price", "amount", "account_code", "item_code", "tax_code")
)
_PO_WRITABLE = ("po_number", "total_amount", "currency", "status", "order_date", *_PO_LINE_WRITABLE)
_PO_READABLE = ("external_id", "vendor_id", *_PO_WRITABLE, "line_items[].line_id", "updated_at", "version")
# What export field mappings read: `export_build.smartap_record` (a test keeps the two in step).
SMARTAP_INVOICE = (
    "id",
    "invoice_number",
    "invoice_date",
    "due_date",
    "currency",
    "subtotal",
    "tax",
    "total",
    "memo",
    "vendor.name",
    "vendor.email",
    "vendor.tax_id",
    *(
        f"lines[].{name}"
        for name in (
            "description",
            "quantity",
            "unit_price",
            "amount",
            "account_code",
            "item_code",
            "tax_code",
        )
    ),
)
MAPPED_ENTITIES = (ERPEntity.VENDOR, ERPEntity.PURCHASE_ORDER, ERPEntity.INVOICE)
_INDEX = re.compile(r"\[\d+\]")


def direction_of(entity: ERPEntity) -> SyncDirection:
    return SyncDirection.EXPORT if entity is ERPEntity.INVOICE else SyncDirection.IMPORT


def allowed_fields(system: ERPSystem, entity: ERPEntity) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(SmartAP-side fields, ERP-side fields) a mapping of `entity` may name on `system`; `[]`
    stands for any list index. Raises MappingRuleError for an entity or ERP mappings do not cover."""
    if entity not in MAPPED_ENTITIES:
        raise MappingRuleError(
            "entity",
            f"field mappings apply to {', '.join(e.value for e in MAPPED_ENTITIES)}, not {entity.value}",
        )
    if entity is ERPEntity.INVOICE:
        provider = registry.find(system)
        if provider is None:
            raise MappingRuleError("erp_field", f"no connector exports invoices to {system}")
        return SMARTAP_INVOICE, provider.bill_fields  # the fields its connector writes into a bill
    if entity is ERPEntity.VENDOR:
        return _VENDOR_WRITABLE, _VENDOR_READABLE
    return _PO_WRITABLE, _PO_READABLE


def check_fields(rule: MappingRule, system: ERPSystem, entity: ERPEntity) -> None:
    """Refuse a rule whose paths are not in the catalogue, naming the field and what is allowed."""
    smartap, erp = allowed_fields(system, entity)
    for name, path, allowed in (
        ("smartap_field", rule.smartap_field, smartap),
        ("erp_field", rule.erp_field, erp),
    ):
        try:
            parse_path(path)  # syntax and bounds first (index below MAX_INDEX + 1, few segments)
        except MappingRuleError as exc:
            raise MappingRuleError(name, str(exc)) from None
        if _INDEX.sub("[]", path) not in allowed:
            raise MappingRuleError(
                name,
                f"{path!r} is not a {entity.value} field a mapping can use on {system.value}; "
                f"allowed: {_listing(allowed)}",
            )


def _listing(fields: Iterable[str]) -> str:
    return ", ".join(field.replace("[]", "[N]") for field in fields)
