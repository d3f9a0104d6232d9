"""Reading supplier invoices from a CSV or JSON file, validated row by row (CSV) or invoice by invoice.

A file that cannot be read as a whole (missing, too big, not UTF-8, not CSV/JSON, a bad header,
nesting deeper than any invoice) raises `InvoiceFileError`, one line. Everything else is checked
per row or per invoice against `schema`: each problem names its row (CSV, the header is row 1) or
its position (JSON, from 1), the field and what was expected, and the good invoices are kept.
The CSV grouping lives in `csvfile`, the problem and result types in `problems`.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from smartap_erp.invoices.csvfile import parse_csv
from smartap_erp.invoices.problems import (
    FileProblem,
    InvoiceFileError,
    ParsedFile,
    SourcedInvoice,
    describe,
)
from smartap_erp.invoices.schema import InvoiceInput

__all__ = [
    "FileProblem",
    "InvoiceFileError",
    "ParsedFile",
    "SourcedInvoice",
    "parse_csv",
    "parse_json",
    "read_invoice_file",
]

MAX_FILE_BYTES = 100 * 1024 * 1024
_UTF16_32_BOMS = {
    b"\xff\xfe\x00\x00": "UTF-32",
    b"\x00\x00\xfe\xff": "UTF-32",
    b"\xff\xfe": "UTF-16",
    b"\xfe\xff": "UTF-16",
}


def read_invoice_file(path: Path) -> ParsedFile:
    suffix = path.suffix.lower()
    if not path.is_file():
        raise InvoiceFileError(f"{path}: no such file")
    if suffix not in (".csv", ".json"):
        raise InvoiceFileError(f"{path}: expected a .csv or .json file")
    try:
        too_big = path.stat().st_size > MAX_FILE_BYTES
        data = b"" if too_big else path.read_bytes()
    except OSError as exc:
        raise InvoiceFileError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    if too_big:
        raise InvoiceFileError(
            f"{path}: larger than {MAX_FILE_BYTES // 2**20} MiB; split it into smaller files"
        )
    text = decode(data, path.name)
    return parse_json(text) if suffix == ".json" else parse_csv(text)


def decode(data: bytes, name: str) -> str:
    """UTF-8 text (a UTF-8 BOM is dropped); any other encoding is a one-line error saying where."""
    for bom, encoding in _UTF16_32_BOMS.items():
        if data.startswith(bom):
            raise InvoiceFileError(f"{name}: the file is {encoding}; save it as UTF-8 (e.g. 'CSV UTF-8')")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise InvoiceFileError(
            f"{name}: not UTF-8 (byte 0x{data[exc.start]:02X} on line {line}); save it as UTF-8"
        ) from None


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number")


def parse_json(text: str) -> ParsedFile:
    """A JSON list of invoices; numbers are read as exact decimals, NaN/Infinity refused."""
    try:
        data = json.loads(text, parse_float=Decimal, parse_int=Decimal, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise InvoiceFileError(
            f"not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"
        ) from None
    except RecursionError:
        raise InvoiceFileError(
            "not an invoice file: the JSON is nested far deeper than invoices are"
        ) from None
    except ValueError as exc:
        raise InvoiceFileError(f"not valid JSON: {exc}") from None
    if not isinstance(data, list):
        raise InvoiceFileError("expected a JSON list of invoices")
    parsed = ParsedFile()
    for position, item in enumerate(data, start=1):
        where = f"invoice {position}"
        try:
            invoice = InvoiceInput.model_validate(item)
        except ValidationError as exc:
            message, reason = describe(exc)
            parsed.problems.append(FileProblem(where, message, reason))
        except RecursionError:
            parsed.problems.append(FileProblem(where, "nested far deeper than an invoice", "nesting"))
        else:
            parsed.invoices.append(SourcedInvoice(invoice, (where,)))
    return parsed
