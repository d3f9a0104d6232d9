"""The standard records every connector speaks: vendors, purchase orders, invoices (bills), payments,
accounts and tax codes. Frozen pydantic models, no I/O and no ERP names.

`external_id` is always the ERP's own id; `vendor_id` on a PO or invoice is the ERP's vendor id.
Unknown fields are refused, so a typo in a connector fails loudly instead of losing data.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_FLOOR, Decimal
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from smartap_erp.domain.enums import PaymentStatus, PurchaseOrderStatus
from smartap_erp.domain.money import from_minor_units, to_minor_units
from smartap_erp.domain.types import Amount, CurrencyCode, Quantity, UTCDateTime


class StandardModel(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


class ERPAddress(StandardModel):
    line1: str | None = None
    line2: str | None = None
    city: str | None = None
    region: str | None = None
    postal_code: str | None = None
    country: str | None = None


class ERPVendor(StandardModel):
    """A supplier as the ERP knows it. `is_active=False` is a deactivation to record, not to skip."""

    external_id: str = Field(min_length=1)
    name: str = Field(min_length=1)
    email: str | None = None
    phone: str | None = None
    address: ERPAddress | None = None
    tax_id: str | None = None
    payment_terms: str | None = None
    currency: CurrencyCode | None = None
    is_active: bool = True
    updated_at: UTCDateTime | None = None
    version: str | None = Field(None, description="the ERP's version token (SyncToken, timestamp...)")


class ERPPurchaseOrderLine(StandardModel):
    line_id: str
    description: str | None = None
    quantity: Quantity = Decimal(1)
    unit_price: Amount | None = None
    amount: Amount
    account_code: str | None = None
    item_code: str | None = None
    tax_code: str | None = None


class ERPPurchaseOrder(StandardModel):
    external_id: str = Field(min_length=1)
    po_number: str
    vendor_id: str = Field(min_length=1)
    total_amount: Amount
    currency: CurrencyCode
    status: PurchaseOrderStatus
    order_date: dt.date | None = None
    line_items: tuple[ERPPurchaseOrderLine, ...] = ()
    updated_at: UTCDateTime | None = None
    version: str | None = None


class ERPInvoiceLine(StandardModel):
    description: str | None = None
    quantity: Quantity = Decimal(1)
    unit_price: Amount | None = None
    amount: Amount
    account_code: str | None = Field(None, description="expense account (code or ERP id)")
    item_code: str | None = Field(None, description="item, for item-based lines")
    tax_code: str | None = None
    po_line_id: str | None = Field(None, description="ERP id of the purchase-order line it bills")
    tax_amount: Amount | None = Field(
        None, description="this line's share of the invoice tax (set on export when it carries a tax code)"
    )
    tax_rate: Amount | None = Field(None, description="the tax code's rate in percent, as the ERP reports it")

    @model_validator(mode="after")
    def _needs_account_or_item(self) -> Self:
        if not self.account_code and not self.item_code:
            raise ValueError("an invoice line needs an account_code (expense line) or an item_code")
        if self.tax_amount is not None and not self.tax_code:
            raise ValueError("a line with a tax_amount needs the tax_code it is charged under")
        return self


class ERPInvoice(StandardModel):
    """An approved AP invoice to export as a bill. Lines plus tax must add up to the total, the total
    must be positive (a credit is not a bill) and the tax not negative; when any line carries a
    `tax_amount`, the lines' tax amounts add up to the invoice's `tax_amount`."""

    invoice_number: str = Field(min_length=1)
    vendor_id: str = Field(min_length=1, description="the vendor's ERP id")
    invoice_date: dt.date
    due_date: dt.date | None = None
    currency: CurrencyCode
    total_amount: Amount
    tax_amount: Amount = Decimal(0)
    line_items: tuple[ERPInvoiceLine, ...] = Field(min_length=1)
    purchase_order_id: str | None = Field(None, description="ERP id of the PO this invoice bills")
    memo: str | None = None
    smartap_invoice_id: str | None = Field(None, description="SmartAP's id; the source of idempotency keys")

    @model_validator(mode="after")
    def _totals_add_up(self) -> Self:
        lines = sum((line.amount for line in self.line_items), Decimal(0))
        if lines + self.tax_amount != self.total_amount:
            raise ValueError(
                f"total_amount {self.total_amount} does not equal the line amounts {lines} "
                f"plus tax_amount {self.tax_amount}"
            )
        if self.total_amount <= 0:
            raise ValueError(
                f"total_amount {self.total_amount} is not positive: only a positive bill is exported"
            )
        if self.tax_amount < 0:
            raise ValueError(f"tax_amount {self.tax_amount} is negative")
        shares = [line.tax_amount for line in self.line_items if line.tax_amount is not None]
        if shares and (line_tax := sum(shares, Decimal(0))) != self.tax_amount:
            raise ValueError(f"the lines' tax amounts add up to {line_tax}, not tax_amount {self.tax_amount}")
        if self.due_date is not None and self.due_date < self.invoice_date:
            raise ValueError(f"due_date {self.due_date} is before invoice_date {self.invoice_date}")
        return self

    def line_taxes(self) -> tuple[Decimal | None, ...]:
        """Each line's share of `tax_amount`: its `tax_amount` if the exporter set one, else the tax
        spread over the lines with a tax code in proportion to their amounts; None on untaxed lines."""
        if any(line.tax_amount is not None for line in self.line_items):
            return tuple(line.tax_amount for line in self.line_items)
        taxed = [i for i, line in enumerate(self.line_items) if line.tax_code]
        shares = dict(
            zip(
                taxed,
                allocate_tax(tuple(self.line_items[i].amount for i in taxed), self.tax_amount, self.currency),
                strict=True,
            )
        )
        return tuple(shares.get(i) for i in range(len(self.line_items)))


def allocate_tax(amounts: tuple[Decimal, ...], tax: Decimal, currency: str) -> tuple[Decimal, ...]:
    """`tax` split over `amounts` in proportion, in whole minor units of `currency` (largest
    remainder), so the shares add up to `tax` exactly. Raises ValueError if they cannot carry it."""
    if not amounts:
        if tax:
            raise ValueError(f"tax {tax} {currency} but no line to carry it")
        return ()
    base = sum(amounts, Decimal(0))
    minor = to_minor_units(tax, currency)
    if base <= 0:
        if minor:
            raise ValueError(f"the taxed lines add up to {base}, so the tax {tax} cannot be spread over them")
        return tuple(Decimal(0) for _ in amounts)
    exact = [Decimal(minor) * amount / base for amount in amounts]
    shares = [int(share.to_integral_value(rounding=ROUND_FLOOR)) for share in exact]
    for i in sorted(range(len(exact)), key=lambda i: (shares[i] - exact[i], i))[: minor - sum(shares)]:
        shares[i] += 1
    return tuple(from_minor_units(share, currency) for share in shares)


class ERPPayment(StandardModel):
    """One payment applied to a bill."""

    external_id: str
    amount: Amount
    currency: CurrencyCode
    paid_on: dt.date
    method: str | None = None
    reference: str | None = None


class ERPPaymentStatus(StandardModel):
    """Whether and how much a bill is paid, as read from the ERP."""

    external_invoice_id: str
    status: PaymentStatus
    currency: CurrencyCode
    total_amount: Amount
    amount_paid: Amount
    amount_due: Amount
    payments: tuple[ERPPayment, ...] = ()
    last_payment_date: dt.date | None = None
    checked_at: UTCDateTime

    @model_validator(mode="after")
    def _amounts_consistent(self) -> Self:
        if self.amount_paid + self.amount_due != self.total_amount:
            raise ValueError(
                f"amount_paid {self.amount_paid} + amount_due {self.amount_due} "
                f"!= total_amount {self.total_amount}"
            )
        return self


class ERPAccount(StandardModel):
    external_id: str
    code: str | None = None
    name: str
    account_type: str = Field(description="the ERP's own classification, e.g. Expense, AccountsPayable")
    is_active: bool = True
    currency: CurrencyCode | None = None


class ERPTaxCode(StandardModel):
    external_id: str
    code: str
    name: str
    rate: Amount | None = Field(None, description="percent, e.g. 20 for 20 %")
    is_active: bool = True
