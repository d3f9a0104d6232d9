"""Field-mapping expressions: useful ones work, hostile ones are refused or contained."""

from __future__ import annotations

import pytest

from smartap_erp.mappings.expressions import ExpressionError, compile_expression, evaluate

RECORD = {"email": None, "name": "Acme Paper", "terms": "NET30", "total": "100.005", "date": "2024-05-01"}


@pytest.mark.parametrize(
    ("source", "value", "expected"),
    [
        ("value.upper()", "acme", "ACME"),  # the seed's own example
        ("upper(trim(value))", "  acme ", "ACME"),
        ("lower(value)", "ACME", "acme"),
        ("replace(value, '-', '')", "12-34-56", "123456"),
        ("split(value, ',')", "a,b", ["a", "b"]),
        ("join(split(value, ' '), '_')", "a b c", "a_b_c"),
        ("substring(value, 0, 3)", "SUP-1001", "SUP"),
        ("round(value, 2)", "100.005", "100.01"),  # half-up, exact: no binary floats
        ("round(record.total, 0)", None, "100"),
        ("date_format(value, '%d/%m/%Y')", "2024-05-01", "01/05/2024"),
        ("coalesce(record.email, record.name)", None, "Acme Paper"),
        ("lookup({'NET30': 'Net 30'}, record.terms, 'Due on receipt')", None, "Net 30"),
        ("size(value) > 3 ? value : 'short'", "abc", "short"),
        ("value.matches('^[A-Z]{3}-[0-9]+$')", "SUP-1001", True),
        ("value + ' (' + record.name + ')'", "X", "X (Acme Paper)"),
        ("[1, 2].map(x, x * 2)", None, [2, 4]),
    ],
)
def test_useful_expressions(source: str, value: object, expected: object) -> None:
    assert evaluate(compile_expression(source), value, RECORD) == expected


HOSTILE = [
    "__import__('os').system('id')",
    "value.__class__.__mro__",
    "record.__dict__",
    "open('/etc/passwd')",
    "exec('import os')",
    "eval('1')",
    "getattr(value, 'upper')",
    "http_get('http://169.254.169.254/')",
    "dyn(value)",
    "timestamp('2020-01-01T00:00:00Z')",
    "os.environ",
    "'(' * 2",
    "(" * 200 + "1" + ")" * 200,
    "value + " * 200 + "value",
    "[1,2,3,4,5,6,7,8,9,10].map(a, [1,2,3,4,5,6,7,8,9,10].map(b, [1,2,3,4,5,6,7,8,9,10].map(c, a*b*c)))",
    "replace(replace(replace(value, 'a', 'aaaaaaaaaa'), 'a', 'aaaaaaaaaa'), 'a', 'aaaaaaaaaa')",
    "split(value, 'a')",
    "join(split(value, ''), 'x')",
    "'a' * 1000000000",
    "date_format(value, '%c')",
    "lookup(value, 'x')",
    "round(value, 99)",
    "substring(value, 'a', 'b')",
]


@pytest.mark.parametrize("source", HOSTILE)
def test_hostile_expressions_are_refused_or_contained(source: str) -> None:
    with pytest.raises(ExpressionError):
        evaluate(compile_expression(source), "a" * 5_000, RECORD)


def test_catastrophic_regex_finishes_on_the_linear_engine() -> None:
    # (a+)+$ backtracks exponentially in Python's re; CEL's Rust engine answers at once.
    assert evaluate(compile_expression("value.matches('^(a+)+$')"), "a" * 5_000 + "!", RECORD) is False


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("1 +", "syntax error"),
        ("", "expression is empty"),
        ("x * 2", "unknown name(s) x"),
        ("open('f')", "function(s) open not allowed"),
        ("a" * 1_001, "longer than 1000 characters"),
    ],
)
def test_refusals_say_why(source: str, message: str) -> None:
    with pytest.raises(ExpressionError, match=message.replace("(", r"\(").replace(")", r"\)")):
        compile_expression(source)


def test_syntax_errors_give_line_and_column() -> None:
    with pytest.raises(ExpressionError) as caught:
        compile_expression("value.upper(\n  'x' +")
    assert caught.value.line == 2 and caught.value.column is not None
    assert "at line 2, column" in str(caught.value)


def _nested(depth: int) -> object:
    value: object = "deep"
    for _ in range(depth):
        value = [value]
    return value


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("x" * 200_000, "a text of 200000 characters"),
        (list(range(5_000)), "a list or map of 5000 items"),
        ([["x" * 9_000] * 20], "larger than 100000 characters"),
        (_nested(20), "nested deeper than 16"),
    ],
)
def test_oversized_input_is_refused_before_evaluation(value: object, reason: str) -> None:
    with pytest.raises(ExpressionError, match="input refused before evaluation") as caught:
        evaluate(compile_expression("size(value)"), value)
    assert reason in str(caught.value)
