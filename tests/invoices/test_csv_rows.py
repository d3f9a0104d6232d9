"""CSV invoice files are checked row by row: rows that disagree on an invoice's header, negative or
huge amounts, non-ISO currencies, NUL characters and oversized cells are refused with their row
number, and every other invoice of the file is kept."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from smartap_erp.invoices.csvfile import parse_csv
from smartap_erp.invoices.files import InvoiceFileError, ParsedFile

HEADER = "invoice_number,vendor,invoice_date,due_date,currency,tax_amount,description,amount,account_code\n"
GOOD = "OK-1,Acme,2024-05-01,,USD,1.00,Paper,10.00,6000\n"


def problems(parsed: ParsedFile) -> dict[str, str]:
    return {p.where: p.message for p in parsed.problems}


def numbers(parsed: ParsedFile) -> list[str]:
    return [item.invoice.invoice_number for item in parsed.invoices]


def test_rows_of_one_invoice_that_disagree_on_date_and_currency_are_refused_not_merged() -> None:
    parsed = parse_csv(
        HEADER
        + "NC-2004,Acme,2024-05-01,,USD,,Paper,10.00,6000\n"
        + "NC-2004,ACME,2024-06-01,,EUR,,Toner,20.00,6000\n"
        + GOOD
    )
    assert numbers(parsed) == ["OK-1"]
    found = problems(parsed)
    assert set(found) == {"row 2", "row 3"}
    assert "invoice_date '2024-06-01' differs from '2024-05-01'" in found["row 3"]
    assert "currency 'EUR' differs from 'USD' on row 2" in found["row 3"]
    assert found["row 2"].startswith("left out with its invoice NC-2004") and "(3)" in found["row 2"]


def test_rows_that_agree_form_one_invoice_with_all_lines() -> None:
    parsed = parse_csv(
        HEADER
        + "A-1,Acme,2024-05-01,2024-05-31,USD,10,Paper,100.00,6000\n"
        + "A-1, acme ,2024-05-01,2024-05-31,USD,10.00,Toner,50.50,6000\n"
    )
    assert not parsed.problems
    [item] = parsed.invoices
    assert item.places == ("row 2", "row 3") and item.invoice.total == Decimal("160.50")


def test_a_blank_header_cell_on_a_later_row_is_a_disagreement() -> None:
    parsed = parse_csv(
        HEADER + "A-1,Acme,2024-05-01,2024-05-31,USD,,Paper,1,6000\nA-1,Acme,2024-05-01,,USD,,Toner,2,6000\n"
    )
    assert not parsed.invoices
    assert "due_date (blank) differs from '2024-05-31'" in problems(parsed)["row 3"]


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        ("N-1,Acme,2024-05-01,,USD,,Refund,-25.00,6000", "amount: must not be negative, got -25.00"),
        ("N-2,Acme,2024-05-01,,USD,-25.00,Paper,10,6000", "tax_amount: must not be negative, got -25.00"),
        ("N-3,Acme,2024-05-01,,XYZ,,Paper,10,6000", "currency: 'XYZ' is not an active ISO 4217 currency"),
        ("N-4,Acme,2024-05-01,,usd,,Paper,10,6000", "currency: expected a three-letter ISO 4217"),
        ("N-5,Acme,2024-05-01,,XXX,,Paper,10,6000", "'XXX' is not an active ISO 4217 currency"),
        ("N-6,Acme,2024-05-01,,USD,,Free,0,6000", "an invoice's total must be more than 0"),
        ("N-7,Acme,2024-05-01,,USD,,Paper,1e20,6000", "amount: must be at most 1,000,000,000,000, got 1e+20"),
        ("N-8,Acme,2024-05-01,,USD,,Paper,1e309,6000", "amount: must be at most 1,000,000,000,000"),
        ("N-9,Acme,2024-05-01,,USD,,Paper,NaN,6000", "amount: expected a finite amount"),
        ("N-10,Acme,2024-05-01,,USD,,Paper,10.001,6000", "amount: 10.001 USD has more than 2 decimal places"),
        ("N-11,Acme,2024-05-01,,JPY,,Paper,10.5,6000", "10.5 JPY has more than 0 decimal places"),
        ("N-12,Acme,2024-05-01,,USD,0.001,Paper,1,6000", "tax_amount: 0.001 USD has more than 2 decimal"),
        ("N-13,Acme,2024-05-01,,USD,,Pa\x00per,10,6000", "description: contains a NUL character"),
        ("N-14,Acme,2024-05-01,,USD,,Paper,10," + "6" * 65, "account_code: String should have at most 64"),
        ("N-15,Acme,2024-05-01,2024-04-01,USD,,Paper,10,6000", "due_date 2024-04-01 is before invoice_date"),
    ],
)
def test_a_bad_row_is_refused_with_its_row_number_and_the_good_rows_are_kept(row: str, expected: str) -> None:
    parsed = parse_csv(HEADER + GOOD + row + "\n" + GOOD.replace("OK-1", "OK-2"))
    assert numbers(parsed) == ["OK-1", "OK-2"]
    assert list(problems(parsed)) == ["row 3"]
    assert expected in problems(parsed)["row 3"]


def test_a_cell_over_128_kib_refuses_its_row_only() -> None:
    huge = "x" * (129 * 1024)
    parsed = parse_csv(
        HEADER + GOOD + f'N-1,Acme,2024-05-01,,USD,,"{huge}\n{huge}",10,6000\n' + GOOD.replace("1", "2")
    )
    assert numbers(parsed) == ["OK-1", "OK-2"]
    assert problems(parsed) == {"row 3": "description: String should have at most 4000 characters"}


def test_quantity_and_unit_price_fit_their_numeric_columns() -> None:
    header = "invoice_number,vendor,invoice_date,currency,amount,item_code,quantity,unit_price\n"
    parsed = parse_csv(
        header
        + "Q-1,Acme,2024-05-01,USD,10,I,0,10\n"
        + "Q-2,Acme,2024-05-01,USD,10,I,1.0000001,10\n"
        + "Q-3,Acme,2024-05-01,USD,10,I,1,-10\n"
        + "Q-4,Acme,2024-05-01,USD,10,I,1,1e14\n"
        + "Q-5,Acme,2024-05-01,USD,10,I,2.5,4.000001\n"
    )
    found = problems(parsed)
    assert "quantity: must be more than 0" in found["row 2"]
    assert "quantity: has more than 6 decimal places" in found["row 3"]
    assert "unit_price: must not be negative" in found["row 4"]
    assert "unit_price: must be less than 100,000,000,000,000" in found["row 5"]
    assert numbers(parsed) == ["Q-5"]


def test_every_row_of_an_invoice_with_a_bad_row_is_named() -> None:
    parsed = parse_csv(
        HEADER
        + "A-1,Acme,2024-05-01,,USD,,Paper,10,6000\n"
        + "A-1,Acme,2024-05-01,,USD,,Toner,abc,6000\n"
        + "A-1,Acme,2024-05-01,,USD,,Ink,5,6000\n"
    )
    found = problems(parsed)
    assert found["row 3"] == "amount: expected a decimal number, got 'abc'"
    assert found["row 2"] == found["row 4"] == "left out with its invoice A-1, which has a refused row (3)"
    assert [p.reason for p in parsed.problems] == [
        "left out with its invoice",
        "amount",
        "left out with its invoice",
    ]


def test_a_row_with_too_many_or_too_few_cells_is_refused() -> None:
    parsed = parse_csv(HEADER + GOOD + "N-1,Acme,2024-05-01,,USD,,Paper,10,6000,extra\nN-2,Acme\n")
    assert numbers(parsed) == ["OK-1"]
    assert problems(parsed)["row 3"].startswith("has 10 cells but the header has 9 columns")
    assert problems(parsed)["row 4"].startswith("has 2 cells but the header has 9 columns")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "the CSV file is empty"),
        ("invoice_number,vendor,amount\n", "CSV header lacks the column(s) currency, invoice_date"),
        (HEADER.replace("description", "notes"), "unknown column(s) 'notes'"),
        (HEADER.replace("description", "amount"), "names the column(s) amount more than once"),
        (HEADER.replace(",account_code", ""), "lacks the column account_code or item_code"),
        ("\x00".join(HEADER), "NUL characters (a UTF-16 file?)"),
    ],
)
def test_a_bad_header_refuses_the_file(text: str, message: str) -> None:
    with pytest.raises(InvoiceFileError, match=re.escape(message)):
        parse_csv(text)


def test_a_problem_quotes_at_most_a_little_of_a_huge_cell() -> None:
    parsed = parse_csv(HEADER + "N-1,Acme,2024-05-01,,USD,,Paper," + "9x" * 100_000 + ",6000\n")
    [problem] = parsed.problems
    assert problem.message.startswith("amount: expected a decimal number, got '9x9x")
    assert len(problem.message) <= 220 and problem.message.endswith("…")
