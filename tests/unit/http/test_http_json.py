"""`loads` (http/call.py) reads bodies through jiter for speed (issue 17) and must answer exactly what
`json.loads(content, parse_float=Decimal)` answers: the same values of the same types (a `Decimal` with
the number's own digits, ints as int, NaN and Infinity as floats), keys in the same order with the last
duplicate winning, and a ValueError wherever json refuses the bytes. Generated documents and token soups
are held to json.loads; `json_body` turns what cannot be read into the connector's protocol error."""

from __future__ import annotations

import json
import math
from decimal import Decimal
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smartap_erp.domain.enums import ERPSystem
from smartap_erp.errors import ERPProtocolError
from smartap_erp.http.call import json_body, loads


def shape(value: Any) -> Any:
    """A value as comparable data: types, key order, a Decimal's text, NaN equal to NaN."""
    if isinstance(value, dict):
        return ("object", [(key, shape(item)) for key, item in value.items()])
    if isinstance(value, list):
        return ("list", [shape(item) for item in value])
    if isinstance(value, float) and math.isnan(value):
        return ("float", "nan")
    return (type(value).__name__, str(value) if isinstance(value, Decimal) else value)


def reference(content: bytes) -> Any:
    """What json.loads answers: the value's shape, or that it refused."""
    try:
        return shape(json.loads(content, parse_float=Decimal))
    except (ValueError, ArithmeticError, RecursionError):
        return "refused"


def ours(content: bytes) -> Any:
    try:
        return shape(loads(content))
    except ValueError:
        return "refused"


numbers = st.one_of(
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.decimals(allow_nan=False, allow_infinity=False),
)
documents = st.recursive(
    st.one_of(st.none(), st.booleans(), numbers, st.text()),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=5), inner, max_size=5),
    max_leaves=25,
)


def written(value: Any, ascii_only: bool) -> bytes:
    """JSON text of `value`; a Decimal is written as a bare number with its own digits."""
    if isinstance(value, Decimal):
        return str(value).encode()
    if isinstance(value, list):
        return b"[" + b",".join(written(item, ascii_only) for item in value) + b"]"
    if isinstance(value, dict):
        pairs = (json.dumps(key).encode() + b":" + written(item, ascii_only) for key, item in value.items())
        return b"{" + b",".join(pairs) + b"}"
    return json.dumps(value, ensure_ascii=ascii_only).encode()


@settings(max_examples=400, deadline=None)
@given(documents, st.booleans())
def test_documents_read_as_json_loads_reads_them(value: Any, ascii_only: bool) -> None:
    content = written(value, ascii_only)
    assert ours(content) == reference(content)


TOKENS = [
    *("{", "}", "[", "]", ",", ":", " ", "\t", "\n", "\x00", "\\", '"', "\ufeff"),
    *('"a"', '"\\u00e9"', '"\\ud800"', '"\\udc00"', '"\\ud834\\udd1e"', '"\x01"', '"\\x"', '"\xe9"'),
    *("1", "-0", "0.5", "1e5", "1E-3", "-1.0e+2", "01", "1.", ".5", "1e400", "12345678901234567890123"),
    *("NaN", "Infinity", "-Infinity", "true", "false", "null"),
]


@settings(max_examples=600, deadline=None)
@given(st.lists(st.sampled_from(TOKENS), max_size=12), st.sampled_from(["utf-8", "utf-16"]))
def test_token_soups_are_read_or_refused_as_json_loads_does(tokens: list[str], encoding: str) -> None:
    content = "".join(tokens).encode(encoding, "surrogatepass")
    assert ours(content) == reference(content)


@pytest.mark.parametrize(
    "content",
    [
        b'{"a": 1, "b": 2, "a": 3.10}',  # the last duplicate wins, in the first one's place
        b"[NaN, Infinity, -Infinity, 1.5]",  # floats from json, not Decimal('NaN')
        b'\xef\xbb\xbf{"a": 1}',  # a UTF-8 byte-order mark
        b'"\\ud800"',  # a lone surrogate
        b"[" * 300 + b"1" + b"]" * 300,  # deeper than jiter's 200
        b'{"Balance": 0.0, "Rate": 1.0E+2, "Big": 123456789012345678901234567890}',
    ],
)
def test_what_jiter_refuses_or_reads_otherwise_is_json_loads_answer(content: bytes) -> None:
    assert ours(content) == reference(content) != "refused"


@pytest.mark.parametrize("content", [b"[1e999999999999999999999]", b"[" * 100_000 + b"]" * 100_000])
def test_a_number_no_decimal_holds_and_absurd_nesting_are_not_json(content: bytes) -> None:
    with pytest.raises(ValueError, match="unreadable JSON"):
        loads(content)
    response = httpx.Response(200, content=content, request=httpx.Request("GET", "https://q.test/v3/query"))
    with pytest.raises(ERPProtocolError, match="a body that is not JSON"):
        json_body(response, ERPSystem.QUICKBOOKS, shape=(dict, list))
