"""Turning a SmartAP invoice (rows of `invoices` / `invoice_lines`) into the `ERPInvoice` a connector
exports, or into the record errors that say why it cannot be.

References are resolved here, connector-agnostically: the vendor through `erp_vendor_mappings`, the
purchase order and its lines through `erp_po_mappings` / `purchase_order_lines.erp_line_id`, and
each line's account and tax code against the connector's own `get_accounts()` / `get_tax_codes()`
(read once per export run, only when a line needs them). A SmartAP code matches an ERP record by,
in this order: its ERP id, its code, its name (case-insensitive); the first rule that matches
exactly one record wins, two matches are refused as ambiguous, an inactive record is refused. The
line then carries the ERP's reference form: the tax code's ERP id, and for accounts the field the
connector names in `account_reference` (ERP id by default; Xero lines reference accounts by Code,
xero.md §Entities). The connection's export field mappings (entity `invoice`) are then applied with
`mappings.apply_rules` from the SmartAP record onto the standard `ERPInvoice` fields (`memo`,
`invoice_number`, `line_items[0].description`, ...), and the result is validated again.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from pydantic import ValidationError

from smartap_erp.connectors.base import ERPConnector
from smartap_erp.db.models import Invoice, InvoiceLine
from smartap_erp.domain.enums import SyncDirection
from smartap_erp.domain.models import ERPInvoice, ERPInvoiceLine, ERPTaxCode
from smartap_erp.domain.money import MoneyError, from_minor_units
from smartap_erp.domain.results import RecordError
from smartap_erp.http.call import erp_name
from smartap_erp.mappings.apply import CompiledRule, apply_rules
from smartap_erp.sync.export.refdata import ReferenceCache
from smartap_erp.sync.export.tax import AMOUNTS, TaxRefused, plan_tax

# Fields a field mapping may not change: the idempotency key of the export and the resolved vendor.
PROTECTED_FIELDS = ("smartap_invoice_id", "vendor_id")


class InvoiceRefused(Exception):
    """The invoice cannot be exported as it is; `errors` say why (one per problem found)."""

    def __init__(self, errors: Sequence[RecordError]) -> None:
        super().__init__("; ".join(e.message for e in errors))
        self.errors = list(errors)


class UnresolvedReference(ValueError):
    """A SmartAP account or tax code that names no usable ERP record."""


@dataclass(frozen=True)
class ExportRefs:
    """The SmartAP -> ERP references one batch of invoices needs, read in a few set-based queries."""

    vendors: Mapping[uuid.UUID, str]  # SmartAP vendor id -> ERP vendor id
    purchase_orders: Mapping[uuid.UUID, str]  # SmartAP PO id -> ERP PO id
    po_lines: Mapping[uuid.UUID, str]  # SmartAP PO line id -> ERP line id
    rules: Sequence[CompiledRule]


def _match(
    value: str, records: Sequence[Any], kind: str, keys: Sequence[tuple[str, Callable[[Any], Any]]]
) -> Any:
    for label, key in keys:
        wanted = value.casefold() if label == "name" else value
        found = [
            r
            for r in records
            if key(r) is not None and (str(key(r)).casefold() if label == "name" else str(key(r))) == wanted
        ]
        if len(found) > 1:
            raise UnresolvedReference(
                f"{kind} {value!r} is ambiguous: {len(found)} ERP {kind}s have that {label}"
            )
        if found:
            if not found[0].is_active:
                raise UnresolvedReference(f"{kind} {value!r} is inactive in the ERP")
            return found[0]
    raise UnresolvedReference(f"{kind} {value!r} matches no ERP {kind} by id, code or name")


class ReferenceResolver:
    """Accounts and tax codes of one connector, read lazily through the run's `ReferenceCache` (once
    per run, not per batch), matched as the module docstring says. `bill_tax` is how the ERP takes
    tax on bills (`export_tax.AMOUNTS` or `RATES`, the connector's `bill_tax` attribute)."""

    def __init__(
        self,
        erp: ERPConnector,
        *,
        connection_id: uuid.UUID | None = None,
        cache: ReferenceCache | None = None,
        now: Callable[[], dt.datetime] | None = None,
    ) -> None:
        self._erp = erp
        self._connection_id = connection_id or uuid.uuid4()
        self._cache = cache or ReferenceCache()
        self._now = now or (lambda: dt.datetime.now(dt.UTC))
        self._account_field = str(getattr(erp, "account_reference", "external_id"))
        self.erp_name = erp_name(erp.system)
        self.bill_tax = str(getattr(erp, "bill_tax", AMOUNTS))

    async def account(self, value: str) -> str:
        accounts = await self._cache.accounts(self._connection_id, self._erp, self._now())
        account = _match(
            value,
            accounts,
            "account",
            (("id", lambda a: a.external_id), ("code", lambda a: a.code), ("name", lambda a: a.name)),
        )
        reference = getattr(account, self._account_field, None) or account.external_id
        return str(reference)

    async def tax_code(self, value: str) -> ERPTaxCode:
        codes = await self._cache.tax_codes(self._connection_id, self._erp, self._now())
        tax: ERPTaxCode = _match(
            value,
            codes,
            "tax code",
            (("id", lambda t: t.external_id), ("code", lambda t: t.code), ("name", lambda t: t.name)),
        )
        return tax


def _amount(minor: int, currency: str) -> Decimal:
    return from_minor_units(minor, currency)


def smartap_record(invoice: Invoice) -> dict[str, Any]:
    """The SmartAP side of an invoice as JSON-like data: what export field mappings read."""
    currency = invoice.currency
    vendor = invoice.vendor
    return {
        "id": str(invoice.id),
        "invoice_number": invoice.invoice_number,
        "invoice_date": invoice.invoice_date.isoformat(),
        "due_date": invoice.due_date.isoformat() if invoice.due_date else None,
        "currency": currency,
        "subtotal": str(_amount(invoice.subtotal_minor, currency)),
        "tax": str(_amount(invoice.tax_minor, currency)),
        "total": str(_amount(invoice.total_minor, currency)),
        "memo": invoice.memo,
        "vendor": {"name": vendor.name, "email": vendor.email, "tax_id": vendor.tax_id},
        "lines": [
            {
                "description": line.description,
                "quantity": str(line.quantity),
                "unit_price": None if line.unit_price is None else str(line.unit_price),
                "amount": str(_amount(line.amount_minor, currency)),
                "account_code": line.account_code,
                "item_code": line.item_code,
                "tax_code": line.tax_code,
            }
            for line in invoice.lines
        ],
    }


async def _line(
    line: InvoiceLine, currency: str, refs: ExportRefs, resolver: ReferenceResolver, record_id: str
) -> tuple[ERPInvoiceLine | None, list[RecordError]]:
    errors: list[RecordError] = []
    account: str | None = None
    tax: ERPTaxCode | None = None
    where = f"line {line.line_number}"
    if line.account_code:
        try:
            account = await resolver.account(line.account_code)
        except UnresolvedReference as exc:
            errors.append(RecordError(record_id=record_id, field=f"{where}.account_code", message=str(exc)))
    if line.tax_code:
        try:
            tax = await resolver.tax_code(line.tax_code)
        except UnresolvedReference as exc:
            errors.append(RecordError(record_id=record_id, field=f"{where}.tax_code", message=str(exc)))
    if errors:
        return None, errors
    po_line = refs.po_lines.get(line.purchase_order_line_id) if line.purchase_order_line_id else None
    try:
        built = ERPInvoiceLine(
            description=line.description,
            quantity=line.quantity,
            unit_price=line.unit_price,
            amount=_amount(line.amount_minor, currency),
            account_code=account,
            item_code=line.item_code,
            tax_code=tax.external_id if tax else None,
            tax_rate=tax.rate if tax else None,
            po_line_id=po_line,
        )
    except ValidationError as exc:
        return None, [RecordError(record_id=record_id, field=where, message=_first_error(exc))]
    return built, []


def _first_error(exc: ValidationError) -> str:
    first = exc.errors()[0]
    location = ".".join(str(part) for part in first.get("loc", ()))
    message = str(first.get("msg", "invalid"))
    return f"{location}: {message}" if location else message


async def build_invoice(invoice: Invoice, refs: ExportRefs, resolver: ReferenceResolver) -> ERPInvoice:
    """The `ERPInvoice` for `invoice`, or `InvoiceRefused` listing every problem found."""
    record_id = str(invoice.id)
    vendor_ref = refs.vendors.get(invoice.vendor_id)
    if vendor_ref is None:
        raise InvoiceRefused(
            [
                RecordError(
                    record_id=record_id,
                    field="vendor",
                    code="vendor_not_mapped",
                    message=f"invoice {invoice.invoice_number}: vendor {invoice.vendor.name!r} "
                    f"({invoice.vendor_id}) is not mapped to a vendor of this ERP; import or map it first",
                )
            ]
        )
    if invoice.total_minor <= 0:  # defence in depth: a credit or an empty invoice is never a bill
        raise InvoiceRefused(
            [
                RecordError(
                    record_id=record_id,
                    field="total",
                    code="non_positive_total",
                    message=f"invoice {invoice.invoice_number}: total "
                    f"{_amount(invoice.total_minor, invoice.currency)} {invoice.currency} is not positive; "
                    "only a positive invoice is exported as a bill (a credit needs a vendor credit)",
                )
            ]
        )
    errors: list[RecordError] = []
    lines: list[ERPInvoiceLine] = []
    try:
        for line in invoice.lines:
            built, problems = await _line(line, invoice.currency, refs, resolver, record_id)
            errors.extend(problems)
            if built is not None:
                lines.append(built)
    except MoneyError as exc:
        errors.append(RecordError(record_id=record_id, field="currency", message=str(exc)))
    if errors:
        raise InvoiceRefused(errors)
    try:
        standard = ERPInvoice(
            invoice_number=invoice.invoice_number,
            vendor_id=vendor_ref,
            invoice_date=invoice.invoice_date,
            due_date=invoice.due_date,
            currency=invoice.currency,
            total_amount=_amount(invoice.total_minor, invoice.currency),
            tax_amount=_amount(invoice.tax_minor, invoice.currency),
            line_items=tuple(lines),
            purchase_order_id=refs.purchase_orders.get(invoice.purchase_order_id)
            if invoice.purchase_order_id
            else None,
            memo=invoice.memo,
            smartap_invoice_id=record_id,
        )
    except (ValidationError, MoneyError) as exc:
        message = _first_error(exc) if isinstance(exc, ValidationError) else str(exc)
        raise InvoiceRefused([RecordError(record_id=record_id, message=message)]) from None
    mapped = apply_export_mappings(invoice, standard, refs.rules)
    try:
        return plan_tax(mapped, erp=resolver.erp_name, mode=resolver.bill_tax)
    except (TaxRefused, MoneyError) as exc:
        raise InvoiceRefused(
            [
                RecordError(
                    record_id=record_id, field="tax_amount", code="tax_not_exportable", message=str(exc)
                )
            ]
        ) from None


def apply_export_mappings(
    invoice: Invoice, standard: ERPInvoice, rules: Sequence[CompiledRule]
) -> ERPInvoice:
    """`standard` with the connection's export field mappings applied (issue 8, item 7)."""
    if not rules:
        return standard
    record_id = str(invoice.id)
    target = standard.model_dump(mode="json")
    outcome = apply_rules(
        smartap_record(invoice), rules, direction=SyncDirection.EXPORT, target=target, record_id=record_id
    )
    if outcome.errors:
        raise InvoiceRefused(outcome.errors)
    for name in PROTECTED_FIELDS:  # never let a mapping move the bill to another vendor or key
        target[name] = getattr(standard, name)
    try:
        return ERPInvoice.model_validate(target)
    except ValidationError as exc:
        raise InvoiceRefused(
            [
                RecordError(
                    record_id=record_id,
                    field="field_mappings",
                    message=f"after the field mappings the invoice is invalid: {_first_error(exc)}",
                )
            ]
        ) from None
