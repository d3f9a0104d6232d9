"""`smartap-erp conflicts list/resolve`: records changed on both sides, waiting for a person.

`resolve` applies the chosen side (`--keep`), or a side per field (`--field NAME=smartap|erp`, repeated;
unnamed fields keep the ERP's value), through `app.conflicts`, which calls the sync engine.
"""

from __future__ import annotations

import asyncio
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any

import typer

from smartap_erp.cli.lazy import lazy
from smartap_erp.cli.output import JsonOption, emit
from smartap_erp.cli.runtime import runtime

if TYPE_CHECKING:
    from smartap_erp.app import conflicts as app_conflicts
else:
    app_conflicts = lazy("smartap_erp.app.conflicts")


app = typer.Typer(
    help="Records changed both in SmartAP and in the ERP: list and resolve.", no_args_is_help=True
)


class Choice(StrEnum):
    SMARTAP = "smartap"
    ERP = "erp"


def _row(conflict: app_conflicts.ConflictView) -> dict[str, Any]:
    return {
        "id": str(conflict.id),
        "connection": conflict.connection,
        "entity": conflict.entity.value,
        "erp_record_id": conflict.erp_record_id,
        "status": conflict.status.value,
        "differs_in": conflict.differs_in,
        "resolution": conflict.resolution,
        "smartap_version": conflict.smartap_version,
        "erp_version": conflict.erp_version,
    }


@app.command("list")
def list_(
    connection: Annotated[str | None, typer.Option(help="Only this connection (name or id).")] = None,
    all_: Annotated[bool, typer.Option("--all", help="Include resolved conflicts.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Open conflicts (all with --all), newest first."""
    query = app_conflicts.ConflictFilter(connection=connection, include_resolved=all_)

    async def run() -> list[app_conflicts.ConflictView]:
        async with runtime() as rt:
            return await app_conflicts.list_conflicts(rt, query)

    emit(
        [_row(c) for c in asyncio.run(run())],
        as_json=as_json,
        title="Conflicts",
        columns=["id", "connection", "entity", "erp_record_id", "status", "differs_in"],
    )


@app.command()
def resolve(
    conflict_id: Annotated[str, typer.Argument(help="The conflict's id (see `conflicts list`).")],
    keep: Annotated[Choice | None, typer.Option(help="Which side wins, whole: smartap or erp.")] = None,
    field: Annotated[
        list[str] | None,
        typer.Option(help="A side per field instead, NAME=smartap|erp (repeat); others keep the ERP's."),
    ] = None,
    by: Annotated[str, typer.Option(help="Who resolved it, for the record.")] = "cli",
    as_json: JsonOption = False,
) -> None:
    """Apply one side of a conflict (or a side per field) and close it."""
    if (keep is None) == (not field):
        raise typer.BadParameter("give either --keep or one or more --field NAME=smartap|erp")
    fields: dict[str, str] = {}
    for item in field or []:
        name, _, side = item.partition("=")
        if not name or side not in ("smartap", "erp"):
            raise typer.BadParameter(f"--field {item!r}: expected NAME=smartap or NAME=erp")
        fields[name] = side
    resolution = app_conflicts.ConflictResolution.model_validate(
        {"keep": keep.value if keep else None, "fields": fields or None, "resolved_by": by}
    )

    async def run() -> app_conflicts.ConflictView:
        async with runtime() as rt:
            return await app_conflicts.resolve_conflict(rt, conflict_id, resolution)

    emit(_row(asyncio.run(run())), as_json=as_json, title="Conflict resolved")
