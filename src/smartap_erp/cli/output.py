"""How commands print: Rich tables for people, `--json` for scripts, one-line errors on stderr.

Every command that prints data takes `--json` (the `JsonOption` below) and calls `emit`. Exit codes:
0 ok, 1 the operation failed, 2 bad usage or configuration.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2

JsonOption = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON instead of a table.")]

console = Console()
error_console = Console(stderr=True)


def emit(data: Any, *, as_json: bool, title: str | None = None, columns: Sequence[str] | None = None) -> None:
    """Print `data` (a dict or a list of dicts) as JSON or as a table/key-value listing."""
    if as_json:
        typer.echo(json.dumps(data, indent=2, default=str, sort_keys=False))
        return
    if isinstance(data, list):
        console.print(rows_table(data, title=title, columns=columns))
    elif isinstance(data, dict):
        table = Table(title=title, show_header=False)
        table.add_column(style="bold")
        table.add_column()
        for key, value in data.items():
            table.add_row(str(key), _cell(value))
        console.print(table)
    else:
        console.print(str(data))


def rows_table(rows: Sequence[dict[str, Any]], *, title: str | None, columns: Sequence[str] | None) -> Table:
    names = list(columns or (rows[0].keys() if rows else []))
    table = Table(title=title)
    for name in names:
        table.add_column(name.replace("_", " "))
    for row in rows:
        table.add_row(*(_cell(row.get(name)) for name in names))
    return table


def fail(message: str, code: int = EXIT_FAILURE) -> typer.Exit:
    """Print one red line on stderr and return the Exit to raise."""
    error_console.print(f"[red]error:[/red] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, list | tuple):
        return ", ".join(str(item) for item in value)
    return str(value)
