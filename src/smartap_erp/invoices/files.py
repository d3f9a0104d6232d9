"""Reading supplier invoices from a CSV or JSON file, validated row by row.

CSV: one row per invoice line; rows with the same `invoice_number` and `vendor` form one invoice.
Columns: invoice_number, vendor (SmartAP vendor name or tax id), invoice_date, due_date, currency,
tax_amount, memo, po_number, description, amount, account_code, item_code, quantity, unit_price,
tax_code. JSON: a list of invoices, each with those header fields and a `lines` list.

Every problem is reported with its row (CSV) or position (JSON), the field and what was expected;
an invoice with any bad row is left out whole, the others are kept.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from smartap_erp.domain.types import Amount, CurrencyCode, Quantity

HEADER_FIELDS = (
    "invoice_number",
    "vendor",
    "invoice_date",
    "due_date",
    "currency",
    "tax_amount",
    "memo",
    "po_number",
)
LINE_FIELDS = ("description", "amount", "account_code", "item_code", "quantity", "unit_price", "tax_code")


class InvoiceLineInput(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    description: str | None = None
    amount: Amount
    account_code: str | None = None
    item_code: str | None = None
    quantity: Quantity = Decimal(1)
    unit_price: Amount | None = None
    tax_code: str | None = None

    @model_validator(mode="after")
    def _account_or_item(self) -> Self:
        if not self.account_code and not self.item_code:
            raise ValueError("a line needs an account_code or an item_code")
        return self


class InvoiceInput(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    invoice_number: str = Field(min_length=1, max_length=64)
    vendor: str = Field(min_length=1, description="SmartAP vendor name or tax id")
    invoice_date: dt.date
    due_date: dt.date | None = None
    currency: CurrencyCode
    tax_amount: Amount = Decimal(0)
    memo: str | None = None
    po_number: str | None = None
    lines: list[InvoiceLineInput] = Field(min_length=1)

    @model_validator(mode="after")
    def _dates(self) -> Self:
        if self.due_date is not None and self.due_date < self.invoice_date:
            raise ValueError("due_date is before invoice_date")
        return self

    @property
    def total(self) -> Decimal:
        return sum((line.amount for line in self.lines), Decimal(0)) + self.tax_amount


@dataclass
class FileProblem:
    where: str  # "row 4" or "invoice 2"
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


@dataclass
class ParsedFile:
    invoices: list[InvoiceInput] = field(default_factory=list)
    problems: list[FileProblem] = field(default_factory=list)


class InvoiceFileError(ValueError):
    """The file as a whole cannot be read (missing, wrong format, no header)."""


def read_invoice_file(path: Path) -> ParsedFile:
    if not path.is_file():
        raise InvoiceFileError(f"{path}: no such file")
    text = path.read_text(encoding="utf-8-sig")
    if path.suffix.lower() == ".json":
        return parse_json(text)
    if path.suffix.lower() == ".csv":
        return parse_csv(text)
    raise InvoiceFileError(f"{path}: expected a .csv or .json file")


def _describe(error: ValidationError) -> str:
    parts = []
    for item in error.errors():
        where = ".".join(str(p) for p in item["loc"]) or "invoice"
        parts.append(f"{where}: {item['msg'].removeprefix('Value error, ')}")
    return "; ".join(parts)


def parse_json(text: str) -> ParsedFile:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvoiceFileError(
            f"not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"
        ) from None
    if not isinstance(data, list):
        raise InvoiceFileError("expected a JSON list of invoices")
    parsed = ParsedFile()
    for position, item in enumerate(data, start=1):
        try:
            parsed.invoices.append(InvoiceInput.model_validate(item))
        except ValidationError as exc:
            parsed.problems.append(FileProblem(f"invoice {position}", _describe(exc)))
    return parsed


def parse_csv(text: str) -> ParsedFile:
    reader = csv.DictReader(io.StringIO(text))
    missing = {"invoice_number", "vendor", "invoice_date", "currency", "amount"} - set(
        reader.fieldnames or []
    )
    if missing:
        raise InvoiceFileError(f"CSV header lacks the column(s) {', '.join(sorted(missing))}")
    groups: dict[tuple[str, str], list[tuple[int, Mapping[str, str]]]] = {}
    for number, row in enumerate(reader, start=2):  # row 1 is the header
        key = ((row.get("invoice_number") or "").strip(), (row.get("vendor") or "").strip())
        groups.setdefault(key, []).append((number, row))
    parsed = ParsedFile()
    for rows in groups.values():
        _add_csv_invoice(parsed, rows)
    return parsed


def _blank_to_none(values: Iterable[tuple[str, str | None]]) -> dict[str, Any]:
    return {k: v for k, v in values if v is not None and v.strip() != ""}


def _add_csv_invoice(parsed: ParsedFile, rows: list[tuple[int, Mapping[str, str]]]) -> None:
    first_number, first = rows[0]
    lines, bad = [], False
    for number, row in rows:
        extra = set(row) - set(HEADER_FIELDS) - set(LINE_FIELDS) - {None}
        if extra:
            parsed.problems.append(
                FileProblem(f"row {number}", f"unknown column(s) {', '.join(sorted(extra))}")
            )
            bad = True
        try:
            lines.append(
                InvoiceLineInput.model_validate(_blank_to_none((f, row.get(f)) for f in LINE_FIELDS))
            )
        except ValidationError as exc:
            parsed.problems.append(FileProblem(f"row {number}", _describe(exc)))
            bad = True
    header = _blank_to_none((f, first.get(f)) for f in HEADER_FIELDS)
    try:
        invoice = InvoiceInput.model_validate(
            {**header, "lines": [line.model_dump() for line in lines] or None}
        )
    except ValidationError as exc:
        parsed.problems.append(FileProblem(f"row {first_number}", _describe(exc)))
        return
    if not bad:
        parsed.invoices.append(invoice)
