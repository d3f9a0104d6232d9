"""A page's rows written in one statement per table (issue 17): `upsert_rows` and `insert_rows` (and
their `_columns` forms, rows given as a list per column; `mapping_columns` builds the columns every ERP
mapping row shares); and `among`, a page's keys looked up with one parameter. SQLite takes the rows as
one DBAPI executemany of positional tuples (sqlite3 loops in C), without SQLAlchemy's per-row parameter
dictionaries.

On PostgreSQL the rows travel as one array per column, `INSERT ... SELECT ... FROM unnest($1::uuid[],
$2::varchar[], ...) [ON CONFLICT ... DO UPDATE]`: one statement and one round trip for the page,
encoded by asyncpg in C, where an executemany of the same upsert costs SQLAlchemy's per-row parameter
handling and asyncpg a statement per row (about twice as fast measured, bench/import_ingest.py). Each
value still goes through its column type's bind processor (UTC datetimes checked, enums as their
values, JSON serialised then cast from text), so what is stored is what the ORM would store. Other
databases (SQLite) take the executemany of `records.upsert_statement` / a Core insert. A page holds
each key once (the page writers keep the last of repeated records), as one statement requires.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache, partial
from typing import Any, cast

from sqlalchemy import JSON, Table, Text, any_, bindparam, func, insert, literal_column, select, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import TextClause

from smartap_erp.db.ids import uuid7s
from smartap_erp.sync.records import upsert_statement

Row = Mapping[str, Any]
Columns = Mapping[str, Sequence[Any]]  # column name -> its value in each row, rows in the same order
_NOTHING = object()
Processor = Callable[[Any], Any] | None


def among(session: AsyncSession, column: Any, values: Sequence[Any]) -> Any:
    """`column IN (values)` with one parameter however many values (an IN list is a parameter per
    value, each bound and compiled anew, and a statement PostgreSQL plans anew each time): on
    PostgreSQL `column = ANY(:array)`; on SQLite `column IN (SELECT value FROM json_each(:json))`, the
    values as stored (each through the column type's processor) in one JSON array."""
    dialect = session.get_bind().dialect
    if dialect.name == "postgresql":
        return column == any_(bindparam(None, list(values), type_=ARRAY(column.type)))
    if dialect.name == "sqlite":
        process = column.type.dialect_impl(dialect).bind_processor(dialect)
        stored = [process(v) for v in values] if process is not None else list(values)
        listed = func.json_each(bindparam(None, json.dumps(stored), type_=Text()))
        return column.in_(select(literal_column("value")).select_from(listed))
    return column.in_(values)


async def upsert_rows(
    session: AsyncSession,
    table: Table,
    keys: Sequence[str],
    update: Sequence[str],
    rows: Sequence[Row],
    *,
    increment: Sequence[str] = (),
) -> None:
    """`INSERT ... ON CONFLICT (keys) DO UPDATE SET update = excluded.update, increment = increment + 1`."""
    if rows:
        await upsert_columns(session, table, keys, update, _columns(rows), increment=increment)


async def upsert_columns(
    session: AsyncSession,
    table: Table,
    keys: Sequence[str],
    update: Sequence[str],
    columns: Columns,
    *,
    increment: Sequence[str] = (),
) -> None:
    """`upsert_rows` of rows given as one list of values per column (all of the same length): what a
    page writer can build directly, without a dictionary per row."""
    if any(columns.values()):
        await _write(session, table, columns, tuple(keys), tuple(update), tuple(increment))


async def insert_rows(session: AsyncSession, table: Table, rows: Sequence[Row]) -> None:
    """A plain insert of every row."""
    if rows:
        await _write(session, table, _columns(rows), None, (), ())


async def insert_columns(session: AsyncSession, table: Table, columns: Columns) -> None:
    """`insert_rows` of rows given as one list of values per column."""
    if any(columns.values()):
        await _write(session, table, columns, None, (), ())


def mapping_columns(
    connection_id: uuid.UUID, records: Sequence[Any], hashes: Sequence[str], now: dt.datetime
) -> dict[str, list[Any]]:
    """The columns every ERP mapping row (`erp_vendor_mappings`, `erp_po_mappings`) holds for the
    ERP records `records` (`version`, `updated_at`) on their first sync, a list per column: the caller
    adds its entity's ids and names. An upsert of an existing mapping keeps `first_synced_at` and
    counts `sync_count` up (`increment`)."""
    stamps = [now] * len(records)  # one list for several columns: each column is converted on its own
    return {
        "id": uuid7s(len(records)),
        "connection_id": [connection_id] * len(records),
        "first_synced_at": stamps,
        "last_synced_at": stamps,
        "sync_count": [1] * len(records),
        "erp_version": [(r.version or "")[:64] or None for r in records],
        "erp_updated_at": [r.updated_at for r in records],
        "synced_hash": list(hashes),
        "created_at": stamps,
        "updated_at": stamps,
    }


def _columns(rows: Sequence[Row]) -> dict[str, list[Any]]:
    return {name: [row[name] for row in rows] for name in rows[0]}


async def _write(
    session: AsyncSession,
    table: Table,
    columns: Columns,
    keys: tuple[str, ...] | None,
    update: tuple[str, ...],
    increment: tuple[str, ...],
) -> None:
    dialect = session.get_bind().dialect
    shape = _Shape(table, tuple(columns), keys, update, increment)
    if dialect.name == "postgresql":
        shape = replace(shape, constant=_constant(columns))
        statement, processors = _unnest(shape, dialect)
        await session.execute(statement, _arrays(columns, processors, shape.constant))
    elif dialect.name == "sqlite":
        sql, processors = _values(shape, dialect)
        await (await session.connection()).exec_driver_sql(sql, _tuples(columns, processors))
    else:
        rows = _rows(columns)
        if keys is None:
            await session.execute(insert(table), rows)
        else:
            extra = {name: table.c[name] + 1 for name in increment}
            await session.execute(upsert_statement(session, table, keys, update, extra=extra), rows)


def _rows(columns: Columns) -> list[dict[str, Any]]:
    """Rows for SQLAlchemy's own executemany, whose JSON processor would serialise a `JSONText` again."""
    names = list(columns)
    return [
        {k: json.loads(v) if type(v) is JSONText else v for k, v in zip(names, values, strict=True)}
        for values in zip(*columns.values(), strict=True)
    ]


@dataclass(frozen=True)
class _Shape:
    """What a statement depends on: the table, the rows' columns, and (for an upsert) its conflict."""

    table: Table
    columns: tuple[str, ...]
    keys: tuple[str, ...] | None
    update: tuple[str, ...]
    increment: tuple[str, ...]
    constant: tuple[str, ...] = ()  # PostgreSQL: columns with one value for every row, sent once

    def processors(self, dialect: Dialect) -> list[tuple[str, Processor]]:
        """Each column's bind processor for the dialect's own implementation of its type, as a
        compiled statement would use: the generic type's is not it (a UTC datetime would reach
        sqlite3's default adapter and be stored in another text format than the ORM's, and a Numeric
        would be turned into a float on PostgreSQL, losing digits of a quantity or a price)."""
        return [(c, self._processor(c, dialect)) for c in self.columns]

    def _processor(self, column: str, dialect: Dialect) -> Processor:
        kind = self.table.c[column].type
        process = cast(Processor, kind.dialect_impl(dialect).bind_processor(dialect))
        if isinstance(kind, JSON) and process is not None:
            return partial(_json_value, process)
        return process

    def on_conflict(self, dialect: Dialect) -> str:
        if self.keys is None:
            return ""
        quote = dialect.identifier_preparer.quote
        target = quote(self.table.name)
        sets = [f"{quote(c)} = excluded.{quote(c)}" for c in self.update]
        sets += [f"{quote(c)} = {target}.{quote(c)} + 1" for c in self.increment]
        return f" ON CONFLICT ({', '.join(quote(k) for k in self.keys)}) DO UPDATE SET {', '.join(sets)}"


class JSONText(str):
    """A JSON column's value the caller has already serialised (a vendor's address, whose canonical
    JSON is built for its hash anyway): written as it is instead of serialised again."""

    __slots__ = ()


def _json_value(process: Callable[[Any], Any], value: Any) -> Any:
    return str.__str__(value) if type(value) is JSONText else process(value)


def _converted(columns: Columns, processors: Sequence[tuple[str, Processor]]) -> list[list[Any]]:
    """Each column's values through its type's bind processor (once per run of the same object: a
    page's rows share their `now`, and a processor's result depends on its value only)."""
    converted = []
    for name, process in processors:
        values = list(columns[name])
        converted.append(_processed(values, process) if process is not None else values)
    return converted


def _processed(values: list[Any], process: Callable[[Any], Any]) -> list[Any]:
    out: list[Any] = []
    last: Any = _NOTHING
    done: Any = None
    for value in values:
        if value is not last:
            last, done = value, process(value)
        out.append(done)
    return out


def _constant(columns: Columns) -> tuple[str, ...]:
    """The columns holding the very same object in every row (a page's `now`, its connection id):
    PostgreSQL gets their value once instead of an array of copies, each encoded (5 timestamps a
    mapping row). Never every column: the statement unnests at least one array."""
    found = tuple(name for name, values in columns.items() if len(values) > 1 and _same(values))
    return found if len(found) < len(columns) else ()


def _same(values: Sequence[Any]) -> bool:
    first = values[0]
    return all(value is first for value in values)


def _arrays(
    columns: Columns, processors: Sequence[tuple[str, Processor]], constant: tuple[str, ...] = ()
) -> dict[str, Any]:
    converted = _converted(columns, processors)
    return {
        f"c{position}": values[0] if name in constant else values
        for position, ((name, _), values) in enumerate(zip(processors, converted, strict=True))
    }


def _tuples(columns: Columns, processors: Sequence[tuple[str, Processor]]) -> list[tuple[Any, ...]]:
    return list(zip(*_converted(columns, processors), strict=True))


@lru_cache(maxsize=64)
def _values(shape: _Shape, dialect: Dialect) -> tuple[str, list[tuple[str, Processor]]]:
    """SQLite: `INSERT ... VALUES (?, ...) [ON CONFLICT ...]` for an executemany, built once per shape."""
    quote = dialect.identifier_preparer.quote
    names = ", ".join(quote(c) for c in shape.columns)
    marks = ", ".join("?" for _ in shape.columns)
    sql = f"INSERT INTO {quote(shape.table.name)} ({names}) VALUES ({marks})"  # noqa: S608 - table's names
    return sql + shape.on_conflict(dialect), shape.processors(dialect)


@lru_cache(maxsize=64)
def _unnest(shape: _Shape, dialect: Dialect) -> tuple[TextClause, list[tuple[str, Processor]]]:
    """PostgreSQL: `INSERT ... SELECT ... FROM unnest(arrays) [ON CONFLICT ...]`, built once per shape."""
    quote = dialect.identifier_preparer.quote
    names = [quote(c) for c in shape.columns]
    arrays: list[str] = []
    selected: list[str] = []
    unnested: list[str] = []
    for position, (column, name) in enumerate(zip(shape.columns, names, strict=True)):
        kind = shape.table.c[column].type
        sql_type = kind.compile(dialect=dialect)
        json = isinstance(kind, JSON)  # serialised by its processor: text, cast back per row
        if column in shape.constant:
            value = f"CAST(:c{position} AS TEXT)" if json else f":c{position}"
            selected.append(f"CAST({value} AS {sql_type})")
            continue
        arrays.append(f"CAST(:c{position} AS {'TEXT' if json else sql_type}[])")
        selected.append(f"CAST(u.{name} AS {sql_type})" if json else f"u.{name}")
        unnested.append(name)
    sql = (
        f"INSERT INTO {quote(shape.table.name)} ({', '.join(names)}) SELECT {', '.join(selected)} "  # noqa: S608
        f"FROM unnest({', '.join(arrays)}) AS u({', '.join(unnested)})"
    )
    return text(sql + shape.on_conflict(dialect)), shape.processors(dialect)
