"""The OData query options the Service Layer understands, applied to in-memory entity lists.

`parse_filter` compiles a `$filter` expression (sap.md §Query options: `eq ne gt ge lt le and or not`,
parentheses, `startswith` / `endswith` / `contains` / `substringof`, string, number, `datetime'…'`,
`true`/`false`/`null` literals) into a predicate over one entity, typed by the entity set's schema:
enums compare by name or by value, date fields accept `'2024-05-01'`, `'20240501'` and
`datetime'2024-05-01T00:00:00'` with the time part ignored, time fields accept `'18:38'`. String
comparisons are case-sensitive (HANA) unless the request sent `B1S-CaseInsensitive: true` (
sap.md §Query options). `parse_orderby` and `parse_select` validate field names. Anything malformed raises
`ODataError`, which the routes turn into the Service Layer's 400 envelope.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from erpsim.sap.schema import DATE, ENUMS, INT, NUMBER, STRING, TIME, EntitySet

Predicate = Callable[[dict[str, Any]], bool]


class ODataError(ValueError):
    """A query option the Service Layer would refuse (bad syntax, unknown property, bad literal)."""


_TOKEN = re.compile(
    r"\s*(?:(?P<dt>datetime'[^']*')|(?P<str>'(?:[^']|'')*')|(?P<num>-?\d+(?:\.\d+)?)"
    r"|(?P<punct>[(),])|(?P<word>[A-Za-z_][A-Za-z0-9_/]*))"
)
_COMPARE = {"eq", "ne", "gt", "ge", "lt", "le"}
_FUNCS = {"startswith", "endswith", "contains", "substringof"}


@dataclass(frozen=True)
class _Tok:
    kind: str
    text: str


@dataclass(frozen=True)
class _Field:
    name: str


@dataclass(frozen=True)
class _Literal:
    kind: str  # "str", "num", "dt", "bool", "null"
    value: Any


def _tokenize(text: str) -> list[_Tok]:
    tokens: list[_Tok] = []
    pos = 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        match = _TOKEN.match(text, pos)
        if not match or match.end() == pos:
            raise ODataError(f"Syntax error at position {pos} in $filter")
        kind = match.lastgroup or ""
        tokens.append(_Tok(kind, match.group(kind)))
        pos = match.end()
    return tokens


class _Parser:
    """Recursive descent: or > and > not > comparison > primary."""

    def __init__(self, text: str, entity: EntitySet, case_insensitive: bool) -> None:
        self.tokens = _tokenize(text)
        self.pos = 0
        self.entity = entity
        self.ci = case_insensitive

    def peek(self) -> _Tok | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self) -> _Tok:
        tok = self.peek()
        if tok is None:
            raise ODataError("Unexpected end of $filter expression")
        self.pos += 1
        return tok

    def expect(self, text: str) -> None:
        tok = self.take()
        if tok.text != text:
            raise ODataError(f"Expected '{text}' but found '{tok.text}' in $filter")

    def parse(self) -> Predicate:
        pred = self.or_expr()
        if self.peek() is not None:
            raise ODataError(f"Unexpected '{self.take().text}' in $filter")
        return pred

    def or_expr(self) -> Predicate:
        parts = [self.and_expr()]
        while self._word("or"):
            parts.append(self.and_expr())
        return parts[0] if len(parts) == 1 else (lambda e: any(p(e) for p in parts))

    def and_expr(self) -> Predicate:
        parts = [self.not_expr()]
        while self._word("and"):
            parts.append(self.not_expr())
        return parts[0] if len(parts) == 1 else (lambda e: all(p(e) for p in parts))

    def not_expr(self) -> Predicate:
        if self._word("not"):
            inner = self.not_expr()
            return lambda e: not inner(e)
        return self.comparison()

    def _word(self, word: str) -> bool:
        tok = self.peek()
        if tok is not None and tok.kind == "word" and tok.text == word:
            self.pos += 1
            return True
        return False

    def comparison(self) -> Predicate:
        tok = self.peek()
        if tok is not None and tok.text == "(":
            self.take()
            inner = self.or_expr()
            self.expect(")")
            return inner
        if tok is not None and tok.kind == "word" and tok.text in _FUNCS:
            return self.function()
        left = self.operand()
        op = self.take()
        if op.kind != "word" or op.text not in _COMPARE:
            raise ODataError(f"Expected a comparison operator but found '{op.text}' in $filter")
        right = self.operand()
        return self._compare(left, op.text, right)

    def operand(self) -> _Field | _Literal:
        tok = self.take()
        if tok.kind == "str":
            return _Literal("str", tok.text[1:-1].replace("''", "'"))
        if tok.kind == "dt":
            return _Literal("dt", tok.text[len("datetime'") : -1])
        if tok.kind == "num":
            return _Literal("num", Decimal(tok.text))
        if tok.kind == "word" and tok.text in ("true", "false"):
            return _Literal("bool", tok.text == "true")
        if tok.kind == "word" and tok.text == "null":
            return _Literal("null", None)
        if tok.kind == "word":
            if self.entity.kind(tok.text) is None:
                raise ODataError(f"Property '{tok.text}' of '{self.entity.name}' is invalid")
            return _Field(tok.text)
        raise ODataError(f"Unexpected '{tok.text}' in $filter")

    def function(self) -> Predicate:
        name = self.take().text
        self.expect("(")
        first = self.operand()
        self.expect(",")
        second = self.operand()
        self.expect(")")
        if name == "substringof":  # substringof('needle', Field)
            first, second = second, first
        if not isinstance(first, _Field) or not isinstance(second, _Literal) or second.kind != "str":
            raise ODataError(f"{name} expects a property and a string literal")
        field, needle = first.name, self._fold(str(second.value))
        test: Callable[[str], bool] = {
            "startswith": lambda s: s.startswith(needle),
            "endswith": lambda s: s.endswith(needle),
        }.get(name, lambda s: needle in s)
        return lambda e: isinstance(e.get(field), str) and test(self._fold(e[field]))

    def _fold(self, text: str) -> str:
        return text.lower() if self.ci else text

    def _compare(self, left: _Field | _Literal, op: str, right: _Field | _Literal) -> Predicate:
        if isinstance(left, _Literal) and isinstance(right, _Field):
            left, right, op = right, left, {"gt": "lt", "lt": "gt", "ge": "le", "le": "ge"}.get(op, op)
        if not isinstance(left, _Field) or not isinstance(right, _Literal):
            raise ODataError("A comparison needs a property on one side and a literal on the other")
        kind = self.entity.kind(left.name) or STRING
        value = _coerce(right, kind, left.name)
        if isinstance(value, str):
            value = self._fold(value)
        field, fold = left.name, self._fold

        def pred(entity: dict[str, Any]) -> bool:
            current = entity.get(field)
            if isinstance(current, str) and kind == STRING:
                current = fold(current)
            return _apply(op, current, value)

        return pred


def _apply(op: str, current: Any, value: Any) -> bool:
    if op == "eq":
        return bool(current == value)
    if op == "ne":
        return bool(current != value)
    if current is None or value is None:
        return False
    try:
        return bool(
            {"gt": current > value, "ge": current >= value, "lt": current < value, "le": current <= value}[op]
        )
    except TypeError:
        return False


def _coerce(literal: _Literal, kind: str, field: str) -> Any:
    """The literal as the stored representation of a field of `kind`."""
    if literal.kind == "null":
        return None
    if kind == DATE:
        return normalize_date(str(literal.value), field)
    if kind == TIME:
        return normalize_time(str(literal.value), field)
    if kind in (INT, NUMBER):
        try:
            number = Decimal(str(literal.value))
        except InvalidOperation:
            raise ODataError(f"'{literal.value}' is not a valid value for property '{field}'") from None
        return int(number) if kind == INT and number == int(number) else number
    if kind in ENUMS:
        names = ENUMS[kind]
        text = str(literal.value)
        if text in names:
            return text
        by_value = {v: n for n, v in names.items()}
        if text in by_value:  # enum given by value: 'S' == 'cSupplier' (sap.md §Query options)
            return by_value[text]
        raise ODataError(f"Enumeration value '{text}' is not valid for property '{field}'")
    if literal.kind != "str":
        raise ODataError(f"Property '{field}' must be compared with a string literal")
    return literal.value


def normalize_date(text: str, field: str = "date") -> str:
    """'2024-05-01', '20240501' or '2024-05-01T10:00:00' -> '2024-05-01' (time part ignored)."""
    raw = text.strip()
    if re.fullmatch(r"\d{8}", raw):
        raw = f"{raw[:4]}-{raw[4:6]}-{raw[6:]}"
    match = re.match(r"(\d{4})-(\d{2})-(\d{2})(?:[T ].*)?$", raw)
    if not match:
        raise ODataError(f"'{text}' is not a valid date for property '{field}'")
    return f"{match.group(1)}-{match.group(2)}-{match.group(3)}"


def normalize_time(text: str, field: str = "time") -> str:
    """'18:38' or '18:38:05' -> '18:38:00' / '18:38:05'."""
    match = re.fullmatch(r"(\d{1,2}):(\d{2})(?::(\d{2}))?", text.strip())
    if not match:
        raise ODataError(f"'{text}' is not a valid time for property '{field}'")
    return f"{int(match.group(1)):02d}:{match.group(2)}:{match.group(3) or '00'}"


def parse_filter(text: str, entity: EntitySet, *, case_insensitive: bool = False) -> Predicate:
    return _Parser(text, entity, case_insensitive).parse()


def parse_select(text: str, entity: EntitySet) -> list[str]:
    fields = [part.strip() for part in text.split(",") if part.strip()]
    for name in fields:
        if entity.kind(name) is None:
            raise ODataError(f"Property '{name}' of '{entity.name}' is invalid")
    return fields


def parse_orderby(text: str, entity: EntitySet) -> list[tuple[str, bool]]:
    """`DocEntry desc, CardCode` -> [("DocEntry", True), ("CardCode", False)]."""
    keys: list[tuple[str, bool]] = []
    for part in (p.strip() for p in text.split(",")):
        words = part.split()
        if not words or len(words) > 2 or (len(words) == 2 and words[1] not in ("asc", "desc")):
            raise ODataError(f"Invalid $orderby clause '{part}'")
        if entity.kind(words[0]) is None:
            raise ODataError(f"Property '{words[0]}' of '{entity.name}' is invalid")
        keys.append((words[0], len(words) == 2 and words[1] == "desc"))
    return keys


def sort_entities(items: list[dict[str, Any]], keys: list[tuple[str, bool]]) -> list[dict[str, Any]]:
    """Stable multi-key sort; nulls first ascending (as SQL Server sorts them)."""
    result = list(items)
    for field, desc in reversed(keys):

        def sort_key(entity: dict[str, Any], name: str = field) -> tuple[bool, Any]:
            value = entity.get(name)
            return (value is not None, value if value is not None else 0)

        result.sort(key=sort_key, reverse=desc)
    return result


def parse_non_negative(text: str, option: str) -> int:
    if not re.fullmatch(r"\d+", text.strip()):
        raise ODataError(f"Invalid value '{text}' for query option {option}")
    return int(text)
