"""CSV invoice files: one row per invoice line, rows grouped into invoices, checked row by row.

Rows with the same `invoice_number` and `vendor` (any case) form one invoice, and must agree on every
header field (dates, currency, tax, memo, PO): a row that disagrees with the invoice's first row is
refused rather than merged. A refused row leaves its whole invoice out (a partial invoice would
have a wrong total) and each of that invoice's other rows is reported as left out, so every row of
the file is either imported or named in a problem. Rows are numbered as a spreadsheet shows them:
the header is row 1, a quoted multi-line cell stays one row.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from smartap_erp.invoices.problems import (
    FileProblem,
    InvoiceFileError,
    ParsedFile,
    SourcedInvoice,
    describe,
    shorten,
)
from smartap_erp.invoices.schema import (
    ALL_FIELDS,
    HEADER_FIELDS,
    LINE_FIELDS,
    InvoiceHeader,
    InvoiceInput,
    InvoiceLineInput,
    exactness_problem,
)

REQUIRED_COLUMNS = ("invoice_number", "vendor", "invoice_date", "currency", "amount")
_KEY_FIELDS = ("invoice_number", "vendor")
_COMPARED = tuple(f for f in HEADER_FIELDS if f not in _KEY_FIELDS)


@dataclass
class _Row:
    number: int
    values: dict[str, str]
    problem: str | None = None
    reason: str = "invalid"
    header: InvoiceHeader | None = None
    line: InvoiceLineInput | None = None


@dataclass
class _Group:
    rows: list[_Row] = field(default_factory=list)


def parse_csv(text: str) -> ParsedFile:
    with _field_limit(len(text) + 1):  # cell sizes are checked per field, not by the csv module
        reader = csv.reader(io.StringIO(text, newline=""))
        columns = _header(reader)
        groups = _groups(reader, columns)
    parsed = ParsedFile()
    for group in groups:
        _check_group(group, parsed)
    return parsed


@contextmanager
def _field_limit(limit: int) -> Iterator[None]:
    previous = csv.field_size_limit()
    csv.field_size_limit(max(previous, limit))
    try:
        yield
    finally:
        csv.field_size_limit(previous)


def _header(reader: Any) -> list[str]:
    try:
        columns = [name.strip() for name in next(reader)]
    except StopIteration:
        raise InvoiceFileError("the CSV file is empty; row 1 must be the header") from None
    except csv.Error as exc:
        raise InvoiceFileError(f"the CSV header cannot be read: {exc}") from None
    if any("\x00" in name for name in columns):
        raise InvoiceFileError("the CSV header contains NUL characters (a UTF-16 file?); save it as UTF-8")
    missing = set(REQUIRED_COLUMNS) - set(columns)
    if missing:
        raise InvoiceFileError(f"CSV header lacks the column(s) {', '.join(sorted(missing))}")
    unknown = [name for name in columns if name not in ALL_FIELDS]
    if unknown:
        shown = ", ".join(repr(name[:40]) for name in unknown[:5])
        raise InvoiceFileError(f"CSV header has unknown column(s) {shown}; see docs/invoices.md")
    twice = sorted({name for name in columns if columns.count(name) > 1})
    if twice:
        raise InvoiceFileError(f"CSV header names the column(s) {', '.join(twice)} more than once")
    if "account_code" not in columns and "item_code" not in columns:
        raise InvoiceFileError("CSV header lacks the column account_code or item_code")
    return columns


def _groups(reader: Any, columns: list[str]) -> list[_Group]:
    groups: dict[tuple[str, str] | int, _Group] = {}
    number = 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise InvoiceFileError(f"row {number + 1}: not valid CSV: {exc}") from None
        number += 1
        if not any(cell.strip() for cell in cells):
            continue  # an empty line
        row = _Row(number, {name: cell.strip() for name, cell in zip(columns, cells, strict=False)})
        if len(cells) != len(columns):
            row.problem = f"has {len(cells)} cells but the header has {len(columns)} columns"
            row.reason = "cells"
        invoice_number, vendor = (row.values.get(f, "") for f in _KEY_FIELDS)
        key: tuple[str, str] | int = (
            (invoice_number, vendor.casefold()) if invoice_number and vendor else number
        )
        groups.setdefault(key, _Group()).rows.append(row)
    return list(groups.values())


def _present(values: dict[str, str], names: tuple[str, ...]) -> dict[str, str]:
    return {name: values[name] for name in names if values.get(name)}


def _check_row(row: _Row) -> None:
    """Validate a row's header cells and its line on their own; keep the first reason to count."""
    problems = [(row.problem, row.reason)] if row.problem else []
    try:
        row.header = InvoiceHeader.model_validate(_present(row.values, HEADER_FIELDS))
    except ValidationError as exc:
        problems.append(describe(exc))
    try:
        row.line = InvoiceLineInput.model_validate(_present(row.values, LINE_FIELDS))
    except ValidationError as exc:
        problems.append(describe(exc))
    if row.header and row.line:
        exact = exactness_problem(row.line.amount, row.header.currency)
        if exact:
            problems.append((f"amount: {exact}", "amount"))
    if problems:
        row.problem = "; ".join(message for message, _ in problems)
        row.reason = problems[0][1]


def _check_agreement(row: _Row, first: _Row) -> None:
    assert row.header is not None and first.header is not None
    differing = [name for name in _COMPARED if getattr(row.header, name) != getattr(first.header, name)]
    if differing:
        described = ", ".join(
            f"{name} {_shown(getattr(row.header, name))} differs from {_shown(getattr(first.header, name))}"
            for name in differing
        )
        row.problem = (
            f"{described} on row {first.number}; the rows of invoice {first.header.invoice_number} "
            "must agree on its header fields"
        )
        row.reason = "header differs from the invoice's first row"


def _shown(value: object) -> str:
    return "(blank)" if value is None else repr(shorten(str(value), 40))


def _check_group(group: _Group, parsed: ParsedFile) -> None:
    for row in group.rows:
        _check_row(row)
    first = next((row for row in group.rows if row.header is not None), None)
    for row in group.rows:
        if first is not None and row is not first and not row.problem:
            _check_agreement(row, first)
    invoice, invoice_problem = None, None
    if first is not None and first.header is not None and not any(row.problem for row in group.rows):
        header = first.header.model_dump(exclude_unset=True)
        try:
            invoice = InvoiceInput.model_validate({**header, "lines": [row.line for row in group.rows]})
        except ValidationError as exc:
            invoice_problem = describe(exc)
    if invoice is not None:
        parsed.invoices.append(SourcedInvoice(invoice, tuple(f"row {row.number}" for row in group.rows)))
        return
    _report(group, parsed, invoice_problem)


def _report(group: _Group, parsed: ParsedFile, invoice_problem: tuple[str, str] | None) -> None:
    refused = [row.number for row in group.rows if row.problem]
    for row in group.rows:
        where = f"row {row.number}"
        if invoice_problem is not None:
            message, reason = invoice_problem
            invoice_number = shorten(row.values.get("invoice_number", ""), 64)
            parsed.problems.append(FileProblem(where, f"invoice {invoice_number}: {message}", reason))
        elif row.problem:
            parsed.problems.append(FileProblem(where, row.problem, row.reason))
        else:
            others = ", ".join(str(n) for n in refused[:5]) + (", ..." if len(refused) > 5 else "")
            parsed.problems.append(
                FileProblem(
                    where,
                    f"left out with its invoice {shorten(row.values.get('invoice_number', ''), 64)}, "
                    f"which has a refused row ({others})",
                    "left out with its invoice",
                )
            )
