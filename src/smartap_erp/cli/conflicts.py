"""`smartap-erp conflicts list/resolve`: records changed on both sides, waiting for a person.

`resolve` applies the chosen side through the sync engine's `resolve_conflict`.
"""

from __future__ import annotations

import asyncio
import uuid
from enum import StrEnum
from typing import Annotated, Any

import typer
from sqlalchemy import select

from smartap_erp.cli.output import JsonOption, emit
from smartap_erp.cli.runtime import find_connection, runtime
from smartap_erp.db.models import ERPConflict, ERPConnection
from smartap_erp.domain.enums import ConflictStatus
from smartap_erp.errors import ConfigurationError

app = typer.Typer(
    help="Records changed both in SmartAP and in the ERP: list and resolve.", no_args_is_help=True
)


class Choice(StrEnum):
    SMARTAP = "smartap"
    ERP = "erp"


def _row(conflict: ERPConflict, connection_name: str) -> dict[str, Any]:
    changed = sorted(
        key
        for key in set(conflict.smartap_version) | set(conflict.erp_version)
        if conflict.smartap_version.get(key) != conflict.erp_version.get(key)
    )
    return {
        "id": str(conflict.id),
        "connection": connection_name,
        "entity": conflict.entity_type.value,
        "erp_record_id": conflict.erp_record_id,
        "status": conflict.status.value,
        "differs_in": changed,
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

    async def run() -> list[dict[str, Any]]:
        async with runtime() as rt, rt.sessions() as session:
            query = (
                select(ERPConflict, ERPConnection.name)
                .join(ERPConnection)
                .order_by(ERPConflict.created_at.desc())
            )
            if connection is not None:
                query = query.where(
                    ERPConflict.connection_id == (await find_connection(session, connection)).id
                )
            if not all_:
                query = query.where(ERPConflict.status == ConflictStatus.OPEN)
            return [_row(c, name) for c, name in (await session.execute(query)).all()]

    emit(
        asyncio.run(run()),
        as_json=as_json,
        title="Conflicts",
        columns=["id", "connection", "entity", "erp_record_id", "status", "differs_in"],
    )


@app.command()
def resolve(
    conflict_id: Annotated[str, typer.Argument(help="The conflict's id (see `conflicts list`).")],
    keep: Annotated[Choice, typer.Option(help="Which side wins: smartap or erp.")],
    by: Annotated[str, typer.Option(help="Who resolved it, for the record.")] = "cli",
    as_json: JsonOption = False,
) -> None:
    """Apply one side of a conflict and close it."""
    try:
        cid = uuid.UUID(conflict_id)
    except ValueError:
        raise ConfigurationError(f"{conflict_id!r} is not a conflict id") from None

    async def run() -> dict[str, Any]:
        from smartap_erp.sync.service import ERPSyncService  # the sync engine (issue 8)

        async with runtime() as rt:
            async with rt.sessions() as session:
                conflict = await session.get(ERPConflict, cid)
                if conflict is None:
                    raise ConfigurationError(f"no conflict with id {conflict_id}")
                if conflict.status != ConflictStatus.OPEN:
                    raise ConfigurationError(f"conflict {conflict_id} is already {conflict.status.value}")
            await ERPSyncService(rt.sync_context()).resolve_conflict(cid, keep.value, resolved_by=by)
            async with rt.sessions() as session:
                resolved = await session.get(ERPConflict, cid)
                assert resolved is not None
                connection = await session.get(ERPConnection, resolved.connection_id)
                return _row(resolved, connection.name if connection else "-")

    emit(asyncio.run(run()), as_json=as_json, title="Conflict resolved")
