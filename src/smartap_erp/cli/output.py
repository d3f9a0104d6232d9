"""How commands print: Rich tables for people, `--json` for scripts, one-line errors on stderr.

Every command that prints data takes `--json` (the `JsonOption` below) and calls `emit`. Exit codes:
0 ok, 1 the operation failed, 2 bad usage or configuration. Tables use the terminal's width and fold
a long cell instead of cutting it; when the output is not a terminal (a pipe, a file) and `COLUMNS`
is not set, nothing is folded or cut at all. Values are shown as text people read: nested objects as
`key: value` lines, lists of objects one JSON object per line, never Python's `repr`.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping, Sequence
from typing import Annotated, Any, TextIO

import typer
from rich.console import Console
from rich.table import Table

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2

JsonOption = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON instead of a table.")]

UNLIMITED_WIDTH = 100_000  # piped output: lines as long as their content


def console_width(stream: TextIO, environ: Mapping[str, str] = os.environ) -> int | None:
    """None (Rich follows the terminal, or `COLUMNS`) unless the stream is not a terminal and no
    `COLUMNS` is set: then wide enough that no table is ever cut at Rich's default of 80."""
    interactive = hasattr(stream, "isatty") and stream.isatty()
    return None if interactive or environ.get("COLUMNS", "").strip() else UNLIMITED_WIDTH


console = Console(width=console_width(sys.stdout))
error_console = Console(stderr=True, width=console_width(sys.stderr))


def emit(data: Any, *, as_json: bool, title: str | None = None, columns: Sequence[str] | None = None) -> None:
    """Print `data` (a dict or a list of dicts) as JSON or as a table/key-value listing."""
    if as_json:
        typer.echo(json.dumps(data, indent=2, default=str, sort_keys=False))
        return
    if isinstance(data, list):
        console.print(rows_table(data, title=title, columns=columns))
    elif isinstance(data, dict):
        table = Table(title=title, show_header=False)
        table.add_column(style="bold", overflow="fold")
        table.add_column(overflow="fold")
        for key, value in data.items():
            table.add_row(str(key), _cell(value))
        console.print(table)
    else:
        console.print(_cell(data), highlight=False)


def rows_table(rows: Sequence[dict[str, Any]], *, title: str | None, columns: Sequence[str] | None) -> Table:
    names = list(columns or (rows[0].keys() if rows else []))
    table = Table(title=title)
    for name in names:
        table.add_column(name.replace("_", " "), overflow="fold")
    for row in rows:
        table.add_row(*(_cell(row.get(name)) for name in names))
    return table


def fail(message: str, code: int = EXIT_FAILURE) -> typer.Exit:
    """Print one red line on stderr (never a quoted SQL statement) and return the Exit to raise."""
    from smartap_erp.db.errors import strip_sql  # deferred: SQLAlchemy stays out of start-up (issue 17)

    error_console.print(f"[red]error:[/red] {strip_sql(message)}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


def _cell(value: Any) -> str:
    """A value as people read it: `-` for nothing, yes/no, objects as `key: value` lines, lists
    comma-separated (a list of objects one JSON object per line); never a Python repr."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Mapping):
        if not value:
            return "-"
        return "\n".join(f"{key}: {_inline(item)}" for key, item in value.items())
    if isinstance(value, list | tuple | set | frozenset):
        if not value:
            return "-"
        nested = any(isinstance(item, Mapping | list | tuple) for item in value)
        return ("\n" if nested else ", ").join(_inline(item) for item in value)
    return str(value)


def _inline(value: Any) -> str:
    if isinstance(value, Mapping | list | tuple):
        return json.dumps(value, default=str, ensure_ascii=False)
    return _cell(value)
