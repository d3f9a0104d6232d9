"""What an imported invoice may contain: field types with their bounds, and the header/line models.

SmartAP has no credit-note document, so every amount is non-negative and an invoice's total is
positive: a supplier's credit is recorded in the ERP, not imported as a negative bill. Amounts are
at most `MAX_AMOUNT` (10^12) units of the invoice's currency and exact in its minor unit, so that
every total fits the 64-bit minor-unit columns with room to add many of them up. Quantities and
unit prices fit their NUMERIC(20, 6) columns. Text is valid Unicode without NUL characters (which
PostgreSQL cannot store; pydantic refuses unpaired surrogates) and no longer than its column.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Self

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, model_validator

from smartap_erp.domain.money import MoneyError, check_iso_currency, to_minor_units
from smartap_erp.domain.types import Amount

MAX_AMOUNT = Decimal(10) ** 12
MAX_PRECISE = Decimal(10) ** 14  # NUMERIC(20, 6): 14 digits before the point
PRECISE_PLACES = 6
MAX_TEXT = 4000  # description and memo
MAX_CODE = 64  # invoice number, PO number, account, item and tax codes (VARCHAR(64))
MAX_VENDOR = 255
NO_CREDIT_NOTES = "SmartAP has no credit notes; record a supplier credit in the ERP"


def _clean_text(value: str) -> str:
    if "\x00" in value:
        raise ValueError("contains a NUL character (\\x00), which cannot be stored")
    return value


_Clean = AfterValidator(_clean_text)
# Stripped strings of bounded length, valid Unicode and NUL-free.
LongText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=MAX_TEXT), _Clean]
Code = Annotated[str, StringConstraints(strip_whitespace=True, max_length=MAX_CODE), _Clean]
Number = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_CODE), _Clean]
VendorKey = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_VENDOR), _Clean
]


def _money(value: Decimal) -> Decimal:
    if value < 0:
        raise ValueError(f"must not be negative, got {value} ({NO_CREDIT_NOTES})")
    if value > MAX_AMOUNT:
        raise ValueError(f"must be at most {MAX_AMOUNT:,}, got {value:.6g}")
    return value


def _precise(value: Decimal) -> Decimal:
    if value < 0:
        raise ValueError(f"must not be negative, got {value} ({NO_CREDIT_NOTES})")
    if value >= MAX_PRECISE:
        raise ValueError(f"must be less than {MAX_PRECISE:,}, got {value:.6g}")
    if value != value.quantize(Decimal(1).scaleb(-PRECISE_PLACES)):
        raise ValueError(f"has more than {PRECISE_PLACES} decimal places, got {value}")
    return value


def _positive(value: Decimal) -> Decimal:
    if value == 0:
        raise ValueError("must be more than 0")
    return value


Money = Annotated[Amount, AfterValidator(_money)]
Precise = Annotated[Amount, AfterValidator(_precise)]
Currency = Annotated[str, AfterValidator(check_iso_currency)]


def exactness_problem(amount: Decimal, currency: str) -> str | None:
    """Why `amount` cannot be stored exactly in `currency` (too many decimal places), or None."""
    try:
        to_minor_units(amount, currency)
    except MoneyError as exc:
        return str(exc)
    return None


class InvoiceLineInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    description: LongText | None = None
    amount: Money
    account_code: Code | None = None
    item_code: Code | None = None
    quantity: Annotated[Precise, AfterValidator(_positive)] = Decimal(1)
    unit_price: Precise | None = None
    tax_code: Code | None = None

    @model_validator(mode="after")
    def _account_or_item(self) -> Self:
        if not self.account_code and not self.item_code:
            raise ValueError("a line needs an account_code or an item_code")
        return self


class InvoiceHeader(BaseModel):
    """The fields an invoice has once, whatever its number of lines."""

    model_config = ConfigDict(extra="forbid")

    invoice_number: Number
    vendor: VendorKey = Field(description="SmartAP vendor name or tax id")
    invoice_date: dt.date
    due_date: dt.date | None = None
    currency: Currency
    tax_amount: Money = Decimal(0)
    memo: LongText | None = None
    po_number: Code | None = None

    @model_validator(mode="after")
    def _dates_and_tax(self) -> Self:
        if self.due_date is not None and self.due_date < self.invoice_date:
            raise ValueError(f"due_date {self.due_date} is before invoice_date {self.invoice_date}")
        problem = exactness_problem(self.tax_amount, self.currency)
        if problem:
            raise ValueError(f"tax_amount: {problem}")
        return self


class InvoiceInput(InvoiceHeader):
    lines: list[InvoiceLineInput] = Field(min_length=1)

    @model_validator(mode="after")
    def _lines_exact_and_total_positive(self) -> Self:
        for number, line in enumerate(self.lines, start=1):
            problem = exactness_problem(line.amount, self.currency)
            if problem:
                raise ValueError(f"line {number}: amount: {problem}")
        total = self.total
        if total <= 0:
            raise ValueError(f"the total (lines plus tax) is {total}; an invoice's total must be more than 0")
        if total > MAX_AMOUNT:
            raise ValueError(f"the total (lines plus tax) is {total}: it must be at most {MAX_AMOUNT:,}")
        return self

    @property
    def total(self) -> Decimal:
        return sum((line.amount for line in self.lines), Decimal(0)) + self.tax_amount


HEADER_FIELDS: tuple[str, ...] = tuple(InvoiceHeader.model_fields)
LINE_FIELDS: tuple[str, ...] = tuple(InvoiceLineInput.model_fields)
ALL_FIELDS = HEADER_FIELDS + LINE_FIELDS
