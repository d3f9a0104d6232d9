"""The function table field-mapping expressions (CEL; development.md §Glossary) may call, and no other.

Every function is pure, bounded in the size of what it returns, and works on JSON-like values:
money travels as decimal strings (CEL has no decimal type, and doubles would lose cents), dates as
ISO strings. Each one can be called as `f(x, ...)` or `x.f(...)`, so the seed's `value.upper()` works.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

MAX_TEXT = 10_000  # characters any function may return
MAX_ITEMS = 1_000  # list items split() may return
# strftime directives a date_format pattern may use; anything else (locale, %c...) is refused.
_DATE_DIRECTIVES = set("YmdHMSjbBaAyIpzZ%")


class ExpressionFunctionError(ValueError):
    """A mapping function was called with values it cannot handle."""


def _text(value: Any, name: str) -> str:
    if not isinstance(value, str):
        raise ExpressionFunctionError(f"{name}() expects a string, got {type(value).__name__}")
    return value


def _bounded(result: str, name: str) -> str:
    if len(result) > MAX_TEXT:
        raise ExpressionFunctionError(f"{name}() result is longer than {MAX_TEXT} characters")
    return result


def upper(value: Any) -> str:
    return _text(value, "upper").upper()


def lower(value: Any) -> str:
    return _text(value, "lower").lower()


def trim(value: Any) -> str:
    return _text(value, "trim").strip()


def replace(value: Any, old: Any, new: Any) -> str:
    text, old_text, new_text = _text(value, "replace"), _text(old, "replace"), _text(new, "replace")
    if not old_text:
        raise ExpressionFunctionError("replace() needs a non-empty string to replace")
    if text.count(old_text) * max(len(new_text) - len(old_text), 0) + len(text) > MAX_TEXT:
        raise ExpressionFunctionError(f"replace() result would be longer than {MAX_TEXT} characters")
    return text.replace(old_text, new_text)


def split(value: Any, separator: Any) -> list[str]:
    text, sep = _text(value, "split"), _text(separator, "split")
    if not sep:
        raise ExpressionFunctionError("split() needs a non-empty separator")
    parts = text.split(sep, MAX_ITEMS)
    if len(parts) > MAX_ITEMS:
        raise ExpressionFunctionError(f"split() would return more than {MAX_ITEMS} items")
    return parts


def join(values: Any, separator: Any) -> str:
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise ExpressionFunctionError("join() expects a list of strings")
    return _bounded(_text(separator, "join").join(values), "join")


def substring(value: Any, start: Any, end: Any) -> str:
    if not isinstance(start, int) or not isinstance(end, int):
        raise ExpressionFunctionError("substring() expects integer positions")
    return _text(value, "substring")[start:end]


def _decimal(value: Any, name: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ExpressionFunctionError(
            f"{name}() expects a number or a decimal string, got {type(value).__name__}"
        )
    try:
        result = Decimal(str(value).strip())
    except InvalidOperation:
        raise ExpressionFunctionError(f"{name}() expects a decimal number, got {value!r}") from None
    if not result.is_finite() or abs(result.adjusted()) > 30:
        raise ExpressionFunctionError(f"{name}() expects a finite amount of reasonable size, got {value!r}")
    return result


def round_amount(value: Any, places: Any) -> str:
    """Round a decimal half-up (the accountant's rule) to 0-6 places; returns a decimal string."""
    if not isinstance(places, int) or not 0 <= places <= 6:
        raise ExpressionFunctionError("round() expects 0 to 6 decimal places")
    return str(_decimal(value, "round").quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP))


def date_format(value: Any, pattern: Any) -> str:
    """Reformat an ISO date or datetime with a restricted strftime pattern, e.g. '%d/%m/%Y'."""
    text, fmt = _text(value, "date_format"), _text(pattern, "date_format")
    if len(fmt) > 64:
        raise ExpressionFunctionError("date_format() pattern is longer than 64 characters")
    directives = {
        fmt[i + 1] for i, char in enumerate(fmt[:-1]) if char == "%" and (i == 0 or fmt[i - 1] != "%")
    }
    if not directives <= _DATE_DIRECTIVES or (fmt.endswith("%") and not fmt.endswith("%%")):
        raise ExpressionFunctionError(f"date_format() allows only %{' %'.join(sorted(_DATE_DIRECTIVES))}")
    try:
        parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ExpressionFunctionError(f"date_format() expects an ISO date, got {text!r}") from None
    return parsed.strftime(fmt)


def coalesce(*values: Any) -> Any:
    """The first value that is neither null nor an empty string."""
    return next((v for v in values if v is not None and v != ""), None)


def lookup(table: Any, key: Any, default: Any = None) -> Any:
    """`lookup({'NET30': 'Net 30'}, value, 'Due on receipt')`: a value from a map literal."""
    if not isinstance(table, dict):
        raise ExpressionFunctionError("lookup() expects a map as its first argument")
    return table.get(key, default)


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "upper": upper,
    "lower": lower,
    "trim": trim,
    "replace": replace,
    "split": split,
    "join": join,
    "substring": substring,
    "round": round_amount,
    "date_format": date_format,
    "coalesce": coalesce,
    "lookup": lookup,
}
