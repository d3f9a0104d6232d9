"""Xero's `where` / `order` language and date formats, as pure functions."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from erpsim.xero.dates import ms_date, parse_document_date, parse_if_modified_since, parse_ms_date
from erpsim.xero.where import WhereError, apply_order, compile_where

FIELDS = ("Name", "Status", "Date", "Total", "IsSupplier", "Contact", "Type", "EmailAddress")
ROWS = [
    {
        "Name": "Acme Ltd",
        "Status": "AUTHORISED",
        "Date": date(2024, 5, 1),
        "Total": Decimal("10.50"),
        "IsSupplier": True,
        "Type": "ACCPAY",
        "Contact": {"ContactID": "aa-11"},
        "EmailAddress": None,
    },
    {
        "Name": "Beta Inc",
        "Status": "PAID",
        "Date": date(2024, 6, 2),
        "Total": Decimal("99"),
        "IsSupplier": False,
        "Type": "ACCREC",
        "Contact": {"ContactID": "bb-22"},
        "EmailAddress": "b@x.com",
    },
]


def names(expr: str) -> list[str]:
    predicate = compile_where(expr, FIELDS, "Invoice")
    return [r["Name"] for r in ROWS if predicate(r)]


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ('Status=="AUTHORISED"', ["Acme Ltd"]),
        ('Type=="ACCPAY" AND Status=="PAID"', []),
        ('Type=="ACCPAY" || Status=="PAID"', ["Acme Ltd", "Beta Inc"]),
        ("IsSupplier==true", ["Acme Ltd"]),
        ("IsSupplier", ["Acme Ltd"]),
        ("!(IsSupplier==true)", ["Beta Inc"]),
        ("Date>=DateTime(2024, 05, 01) && Date<DateTime(2024, 06, 01)", ["Acme Ltd"]),
        ("Date>DateTime(2024,6,1,23,59,59)", ["Beta Inc"]),
        ('Contact.ContactID==Guid("BB-22")', ["Beta Inc"]),
        ('Name.Contains("me")', ["Acme Ltd"]),
        ('Name.StartsWith("Be") OR Name.EndsWith("Ltd")', ["Acme Ltd", "Beta Inc"]),
        ('Name.ToLower()=="acme ltd"', ["Acme Ltd"]),
        ("EmailAddress!=null", ["Beta Inc"]),
        ("Total>50", ["Beta Inc"]),
        ("Total==10.5", ["Acme Ltd"]),
    ],
)
def test_where_expressions_select_the_right_rows(expr: str, expected: list[str]) -> None:
    assert names(expr) == expected


@pytest.mark.parametrize(
    "expr",
    ['Nope=="x"', 'Status=="A" AND', "Date>=DateTime(2024, 13, 1)", 'Name.Explode("x")', 'Status=="x'],
)
def test_bad_where_expressions_are_refused(expr: str) -> None:
    with pytest.raises(WhereError):
        names(expr)


def test_order_sorts_by_one_or_more_fields_and_refuses_unknown_fields() -> None:
    assert [r["Name"] for r in apply_order(ROWS, "Total DESC", FIELDS, "Invoice")] == ["Beta Inc", "Acme Ltd"]
    assert [r["Name"] for r in apply_order(ROWS, "IsSupplier, Name", FIELDS, "Invoice")] == [
        "Beta Inc",
        "Acme Ltd",
    ]
    with pytest.raises(WhereError):
        apply_order(ROWS, "Bogus ASC", FIELDS, "Invoice")
    with pytest.raises(WhereError):
        apply_order(ROWS, "Name SIDEWAYS", FIELDS, "Invoice")


def test_ms_dates_round_trip_and_iso_forms_parse() -> None:
    moment = datetime(2019, 3, 12, 0, 0, tzinfo=UTC)
    assert ms_date(moment) == "/Date(1552348800000+0000)/"
    assert ms_date(date(2019, 3, 12)) == "/Date(1552348800000+0000)/"
    assert parse_ms_date("/Date(1552348800000+0000)/") == moment
    assert parse_ms_date("/Date(1552348800000)/") == moment
    assert parse_document_date("2024-05-01") == date(2024, 5, 1)
    assert parse_document_date("2024-05-01T00:00:00") == date(2024, 5, 1)
    assert parse_document_date("01/05/2024") is None
    assert parse_if_modified_since("2020-02-06T12:17:43.202-08:00") == datetime(
        2020, 2, 6, 20, 17, 43, 202000, tzinfo=UTC
    )
    assert parse_if_modified_since("Thu, 06 Feb 2020 20:17:43 GMT") == datetime(
        2020, 2, 6, 20, 17, 43, tzinfo=UTC
    )
    assert parse_if_modified_since("yesterday") is None
