"""A page's rows written in one statement per table (issue 17): `upsert_rows` and `insert_rows`; and
`among`, a page's keys looked up with one parameter.

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

from collections.abc import Callable, Mapping, Sequence
from functools import lru_cache
from typing import Any, cast

from sqlalchemy import JSON, Table, any_, bindparam, insert, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import TextClause

from smartap_erp.sync.records import upsert_statement

Row = Mapping[str, Any]
Processor = Callable[[Any], Any] | None


def among(session: AsyncSession, column: Any, values: Sequence[Any]) -> Any:
    """`column IN (values)`; on PostgreSQL `column = ANY(:values)`, one array parameter however many
    values (an IN list is a parameter per value, and a statement PostgreSQL plans anew each time)."""
    if session.get_bind().dialect.name != "postgresql":
        return column.in_(values)
    return column == any_(bindparam(None, list(values), type_=ARRAY(column.type)))


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
    if not rows:
        return
    dialect = session.get_bind().dialect
    if dialect.name != "postgresql":
        extra = {name: table.c[name] + 1 for name in increment}
        await session.execute(upsert_statement(session, table, keys, update, extra=extra), rows)
        return
    statement, processors = _unnest(
        table, tuple(rows[0]), tuple(keys), tuple(update), tuple(increment), dialect
    )
    await session.execute(statement, _arrays(rows, processors))


async def insert_rows(session: AsyncSession, table: Table, rows: Sequence[Row]) -> None:
    """A plain insert of every row."""
    if not rows:
        return
    dialect = session.get_bind().dialect
    if dialect.name != "postgresql":
        await session.execute(insert(table), rows)
        return
    statement, processors = _unnest(table, tuple(rows[0]), None, (), (), dialect)
    await session.execute(statement, _arrays(rows, processors))


def _arrays(rows: Sequence[Row], processors: Sequence[tuple[str, Processor]]) -> dict[str, list[Any]]:
    params: dict[str, list[Any]] = {}
    for position, (name, process) in enumerate(processors):
        values = [row[name] for row in rows]
        params[f"c{position}"] = [process(v) for v in values] if process is not None else values
    return params


@lru_cache(maxsize=64)
def _unnest(
    table: Table,
    columns: tuple[str, ...],
    keys: tuple[str, ...] | None,
    update: tuple[str, ...],
    increment: tuple[str, ...],
    dialect: Dialect,
) -> tuple[TextClause, list[tuple[str, Processor]]]:
    """The statement for these columns and their bind processors, built once per shape."""
    quote = dialect.identifier_preparer.quote
    names = [quote(c) for c in columns]
    arrays: list[str] = []
    selected: list[str] = []
    processors: list[tuple[str, Processor]] = []
    for position, (column, name) in enumerate(zip(columns, names, strict=True)):
        kind = table.c[column].type
        processors.append((column, cast(Processor, kind.bind_processor(dialect))))
        if isinstance(kind, JSON):  # serialised by its processor: an array of text, cast back per row
            arrays.append(f"CAST(:c{position} AS TEXT[])")
            selected.append(f"CAST(u.{name} AS {kind.compile(dialect=dialect)})")
        else:
            arrays.append(f"CAST(:c{position} AS {kind.compile(dialect=dialect)}[])")
            selected.append(f"u.{name}")
    target = quote(table.name)
    sql = (
        f"INSERT INTO {target} ({', '.join(names)}) SELECT {', '.join(selected)} "  # noqa: S608 - names from the table
        f"FROM unnest({', '.join(arrays)}) AS u({', '.join(names)})"
    )
    if keys is not None:
        sets = [f"{quote(c)} = excluded.{quote(c)}" for c in update]
        sets += [f"{quote(c)} = {target}.{quote(c)} + 1" for c in increment]
        sql += f" ON CONFLICT ({', '.join(quote(k) for k in keys)}) DO UPDATE SET {', '.join(sets)}"
    return text(sql), processors
