"""Table aliases and joins for the simulator's SuiteQL (suiteql.py): `FROM transaction t LEFT JOIN currency c
ON c.id = t.currency`.

SuiteQL is Oracle SQL over the analytics data source and joins tables with SQL-92 `[INNER] JOIN` / `LEFT
[OUTER] JOIN ... ON` (netsuite-connector.md §SuiteQL). Supported here: one or more joins after the first
table, each `ON` a conjunction of `a.col = b.col` (the joined table against the tables before it) and
`a.col <op> value` conditions on the joined table; a LEFT join keeps a row without a match, its joined
columns null. Once a query names an alias or a join, its columns are written `alias.column` (a table
without an alias is its own alias) and come back under the bare column name unless `AS` renames them.
Join keys compare as strings (SuiteQL answers every value as a string).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

Row = dict[str, Any]
Condition = Callable[[Row], bool]
STOP_WORDS = frozenset({"WHERE", "ORDER", "LEFT", "INNER", "JOIN", "ON", "AND", ""})


class Tokens(Protocol):
    pos: int

    def peek(self) -> str: ...
    def take(self, expected: str | None = None) -> tuple[str, str]: ...
    def name(self) -> str: ...


Table = Callable[[str], tuple[list[Row], set[str]]]  # rows and columns of a table by name
ConditionParser = Callable[[Any, set[str]], Condition]  # suiteql._condition over its own tokens


def alias(tokens: Tokens) -> str | None:
    if tokens.peek() == "AS":
        tokens.take()
        return tokens.name()
    if tokens.peek() not in STOP_WORDS:
        return tokens.name()
    return None


def joins_follow(tokens: Tokens) -> bool:
    return tokens.peek() in ("LEFT", "INNER", "JOIN")


def qualified(rows: list[Row], columns: set[str], name: str) -> tuple[list[Row], set[str]]:
    return (
        [{f"{name}.{key}": value for key, value in row.items()} for row in rows],
        {f"{name}.{column}" for column in columns},
    )


def join(
    tokens: Tokens,
    rows: list[Row],
    columns: set[str],
    table: Table,
    condition: ConditionParser,
    fail: Callable[[str], Exception],
) -> tuple[list[Row], set[str]]:
    """Apply every `JOIN` clause that follows to (rows, columns) of the tables before it."""
    while joins_follow(tokens):
        left = tokens.peek() == "LEFT"
        if tokens.peek() in ("LEFT", "INNER"):
            tokens.take()
            if left and tokens.peek() == "OUTER":
                tokens.take()
        tokens.take("JOIN")
        name = tokens.name()
        joined_rows, joined_columns = qualified(*table(name), alias(tokens) or name)
        tokens.take("ON")
        keys: list[tuple[str, str]] = []  # (column before, joined column)
        filters: list[Condition] = []
        while True:
            _on(tokens, columns, joined_columns, keys, filters, condition, fail)
            if tokens.peek() != "AND":
                break
            tokens.take()
        if not keys:
            raise fail("A JOIN needs an ON condition equating a column of each table.")
        index: dict[tuple[str, ...], list[Row]] = {}
        for row in joined_rows:
            if all(check(row) for check in filters):
                index.setdefault(tuple(str(row.get(j)) for _, j in keys), []).append(row)
        out: list[Row] = []
        for row in rows:
            matches = index.get(tuple(str(row.get(b)) for b, _ in keys), [])
            out += [{**row, **match} for match in matches]
            if left and not matches:
                out.append(dict(row))
        rows, columns = out, columns | joined_columns
    return rows, columns


def _on(
    tokens: Tokens,
    before: set[str],
    joined: set[str],
    keys: list[tuple[str, str]],
    filters: list[Condition],
    condition: ConditionParser,
    fail: Callable[[str], Exception],
) -> None:
    """One ON condition: `x = y` between a column before and one of the joined table, or a condition
    on the joined table's column against a value."""
    start = tokens.pos
    first = tokens.name()
    if tokens.peek() == "=":
        tokens.take()
        following = tokens.peek()
        if following[:1].isalpha() and not following.startswith("TO_"):  # a column, not a value
            second = tokens.name()
            pair = (first, second) if first in before else (second, first)
            if pair[0] not in before or pair[1] not in joined:
                raise fail(f"Field '{first}' or '{second}' was not found.")
            keys.append(pair)
            return
    tokens.pos = start  # a value condition: read it again with the WHERE parser
    if first not in joined:
        raise fail(f"Field '{first}' was not found.")
    filters.append(condition(tokens, joined))
