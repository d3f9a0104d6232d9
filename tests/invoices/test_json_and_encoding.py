"""JSON invoice files get the same checks as CSV ones, and a file that cannot be read as a whole (not
UTF-8, UTF-16, nested without end) is one clear error instead of a traceback."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from smartap_erp.invoices.files import InvoiceFileError, parse_json, read_invoice_file


def invoice(number: str = "J-1", **changes: Any) -> dict[str, Any]:
    lines = changes.pop("lines", [{"amount": "12.34", "account_code": "6000"}])
    return {
        "invoice_number": number,
        "vendor": "Acme",
        "invoice_date": "2024-05-01",
        "currency": "USD",
        "lines": lines,
        **changes,
    }


def test_json_numbers_are_read_as_exact_decimals() -> None:
    parsed = parse_json(
        '[{"invoice_number": "J-1", "vendor": "Acme", "invoice_date": "2024-05-01", '
        '"currency": "USD", "tax_amount": 0.1, "lines": [{"amount": 0.2, "item_code": "I"}]}]'
    )
    assert not parsed.problems
    assert parsed.invoices[0].invoice.total == Decimal("0.3")


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"lines": [{"amount": "-50.00", "account_code": "6000"}]}, "line 1: amount: must not be negative"),
        ({"tax_amount": -25}, "tax_amount: must not be negative, got -25"),
        ({"currency": "XYZ"}, "currency: 'XYZ' is not an active ISO 4217 currency code"),
        ({"lines": [{"amount": "0", "account_code": "6000"}]}, "an invoice's total must be more than 0"),
        (
            {"lines": [{"amount": 1e20, "account_code": "6000"}]},
            "line 1: amount: must be at most 1,000,000,000,000",
        ),
        (
            {"lines": [{"amount": "1", "account_code": "1"}, {"amount": "1.001", "account_code": "1"}]},
            "line 2: amount: 1.001 USD has more than 2 decimal places",
        ),
        ({"lines": [{"amount": "9" * 5000, "account_code": "6000"}]}, "must be at most 1,000,000,000,000"),
        ({"memo": "a\u0000b"}, "memo: contains a NUL character"),
        ({"memo": "\ud800"}, "memo: Input should be a valid string, unable to parse raw data"),
        ({"memo": "m" * 4001}, "memo: String should have at most 4000 characters"),
        ({"memo": [[[[[["deep"]]]]]]}, "memo: Input should be a valid string"),
        ({"lines": [{"amount": "NaN", "account_code": "6000"}]}, "expected a finite amount"),
        ({"lines": []}, "lines: List should have at least 1 item"),
        ({"extra": 1}, "extra: Extra inputs are not permitted"),
    ],
)
def test_a_bad_json_invoice_is_refused_with_its_position_and_the_rest_kept(
    changes: dict[str, Any], expected: str
) -> None:
    parsed = parse_json(json.dumps([invoice("J-1"), invoice("J-2", **changes), invoice("J-3")]))
    assert [item.invoice.invoice_number for item in parsed.invoices] == ["J-1", "J-3"]
    [problem] = parsed.problems
    assert problem.where == "invoice 2" and expected in problem.message, problem.message


def test_json_nan_and_infinity_literals_are_refused_as_a_file() -> None:
    with pytest.raises(InvoiceFileError, match="NaN is not a number"):
        parse_json('[{"lines": [{"amount": NaN}]}]')


@pytest.mark.parametrize("depth", [2_000, 200_000])
def test_deeply_nested_json_is_one_error(depth: int) -> None:
    with pytest.raises(InvoiceFileError, match="nested far deeper than invoices are"):
        parse_json("[" * depth + "]" * depth)


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        (
            "u16.csv",
            "invoice_number,vendor\n".encode("utf-16"),
            "u16.csv: the file is UTF-16; save it as UTF-8",
        ),
        ("u16be.json", b"\xfe\xff" + "[]".encode("utf-16-be"), "the file is UTF-16"),
        ("u32.csv", "a".encode("utf-32"), "the file is UTF-32"),
        ("latin.csv", "invoice_number\nCaf\u00e9\n".encode("latin-1"), "not UTF-8 (byte 0xE9 on line 2)"),
        ("u16nobom.csv", "invoice_number,vendor\n".encode("utf-16-le"), "NUL characters (a UTF-16 file?)"),
        ("x.txt", b"", "expected a .csv or .json file"),
    ],
)
def test_a_file_in_another_encoding_is_one_error(
    tmp_path: Path, name: str, data: bytes, message: str
) -> None:
    (tmp_path / name).write_bytes(data)
    with pytest.raises(InvoiceFileError) as caught:
        read_invoice_file(tmp_path / name)
    assert message in str(caught.value) and "\n" not in str(caught.value)


def test_a_utf8_bom_is_fine(tmp_path: Path) -> None:
    (tmp_path / "bom.json").write_bytes(b"\xef\xbb\xbf" + json.dumps([invoice()]).encode())
    assert len(read_invoice_file(tmp_path / "bom.json").invoices) == 1


def test_a_file_over_the_size_limit_is_one_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from smartap_erp.invoices import files

    monkeypatch.setattr(files, "MAX_FILE_BYTES", 10)
    (tmp_path / "big.json").write_text(json.dumps([invoice()]))
    with pytest.raises(InvoiceFileError, match="larger than 0 MiB; split it into smaller files"):
        read_invoice_file(tmp_path / "big.json")
