"""The standard records every connector speaks: vendors, purchase orders, invoices (bills), payments,
accounts and tax codes. Frozen pydantic models, no I/O and no ERP names.

`external_id` is always the ERP's own id; `vendor_id` on a PO or invoice is the ERP's vendor id.
Unknown fields are refused, so a typo in a connector fails loudly instead of losing data.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from smartap_erp.domain.enums import PaymentStatus, PurchaseOrderStatus
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

    @model_validator(mode="after")
    def _needs_account_or_item(self) -> Self:
        if not self.account_code and not self.item_code:
            raise ValueError("an invoice line needs an account_code (expense line) or an item_code")
        return self


class ERPInvoice(StandardModel):
    """An approved AP invoice to export as a bill. Lines plus tax must add up to the total."""

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
        if self.due_date is not None and self.due_date < self.invoice_date:
            raise ValueError(f"due_date {self.due_date} is before invoice_date {self.invoice_date}")
        return self


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
