"""`smartap-erp connections ...`: add, list, show, test, update and remove ERP connections.

Credentials come from a JSON file (the object `erpsim credentials SYSTEM` prints) and are stored
encrypted; no command ever prints a credential value, only the key names. Input is checked by
`connection_input` (the four supported systems, unique names, http(s) API URLs). `update` changes a
connection in place (name, credentials, API URL, schedule, conflict policies), keeping its sync
logs, mappings and cursors, which `remove` deletes.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated, Any

import typer
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from smartap_erp.cli.connection_input import (
    SupportedSystem,
    check_api_url,
    check_name,
    check_name_free,
    parse_policies,
    read_credentials_file,
)
from smartap_erp.cli.output import JsonOption, console, emit, fail
from smartap_erp.cli.runtime import Runtime, find_connection, runtime
from smartap_erp.db.connections import create_connection, read_credentials, replace_credentials
from smartap_erp.db.models import ERPConnection
from smartap_erp.domain.enums import ConnectionStatus, ERPSystem
from smartap_erp.errors import ConfigurationError, ERPAuthError, ERPError
from smartap_erp.sync.logs import mark_auth_failure

app = typer.Typer(help="ERP connections: add, list, show, test, update, remove.", no_args_is_help=True)
IntervalOption = typer.Option(min=1, max=10_080, help="Minutes between scheduled syncs (1 to 10080).")


def _summary(connection: ERPConnection) -> dict[str, Any]:
    return {
        "id": str(connection.id),
        "name": connection.name,
        "system": connection.system_type.value,
        "status": connection.status.value,
        "api_url": connection.api_url,
        "last_sync_at": connection.last_sync_at.isoformat() if connection.last_sync_at else None,
        "auto_sync": connection.auto_sync_enabled,
        "interval_minutes": connection.sync_interval_minutes,
        "conflict_policies": dict(connection.conflict_policies or {}),
        "error": connection.connection_error,
    }


@app.command()
def add(
    system: Annotated[SupportedSystem, typer.Option(help="The ERP.")],
    name: Annotated[str, typer.Option(help="A unique name for people, e.g. 'QuickBooks Production'.")],
    credentials_file: Annotated[Path, typer.Option(help="JSON object of credentials.")],
    api_url: Annotated[
        str | None, typer.Option(help="API root (http/https) instead of the ERP's real host.")
    ] = None,
    auto_sync: Annotated[bool, typer.Option(help="Sync on a schedule.")] = True,
    interval_minutes: Annotated[int, IntervalOption] = 60,
    conflict_policy: Annotated[
        list[str] | None,
        typer.Option(help="ENTITY=POLICY, e.g. vendor=erp_wins (repeatable; default manual)."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Store a new connection with its credentials encrypted."""
    erp = ERPSystem(system.value)
    name = check_name(name)
    url = check_api_url(api_url) if api_url is not None else None
    policies = parse_policies(conflict_policy or [])
    credentials = read_credentials_file(credentials_file, erp)

    async def run() -> dict[str, Any]:
        async with runtime() as rt, rt.sessions() as session:
            await check_name_free(session, name)
            connection = await create_connection(
                session,
                vault=rt.vault,
                name=name,
                system_type=erp,
                credentials=credentials,
                api_url=url,
                tenant_id=credentials.get("tenant_id"),
                company_db=credentials.get("company_db"),
                auto_sync_enabled=auto_sync,
                sync_interval_minutes=interval_minutes,
                conflict_policies=policies,
            )
            await _commit(session, name)
            return _summary(connection)

    emit(asyncio.run(run()), as_json=as_json, title="Connection added")


@app.command("list")
def list_(as_json: JsonOption = False) -> None:
    """All connections, with their status and last sync."""

    async def run() -> list[dict[str, Any]]:
        from sqlalchemy import select

        async with runtime() as rt, rt.sessions() as session:
            rows = (await session.scalars(select(ERPConnection).order_by(ERPConnection.name))).all()
            return [_summary(c) for c in rows]

    emit(
        asyncio.run(run()),
        as_json=as_json,
        title="Connections",
        columns=["name", "system", "status", "last_sync_at", "auto_sync", "id"],
    )


@app.command()
def show(connection: Annotated[str, typer.Argument(help="Name or id.")], as_json: JsonOption = False) -> None:
    """One connection; credentials are shown by key name only."""

    async def run() -> dict[str, Any]:
        async with runtime() as rt, rt.sessions() as session:
            found = await find_connection(session, connection)
            return {**_summary(found), "credential_keys": sorted(read_credentials(found, vault=rt.vault))}

    emit(asyncio.run(run()), as_json=as_json, title="Connection")


@app.command("test")
def check(
    connection: Annotated[str, typer.Argument(help="Name or id.")], as_json: JsonOption = False
) -> None:
    """Reach the ERP with the stored credentials and show the company behind them."""

    async def run() -> dict[str, Any]:
        async with runtime() as rt, rt.sessions() as session:
            found = await find_connection(session, connection)
            try:
                async with rt.sync_context().connector(found) as erp:
                    info = await erp.test_connection()
            except ERPAuthError as exc:
                mark_auth_failure(found, exc)
                await session.commit()
                raise
            found.status, found.connection_error = ConnectionStatus.ACTIVE, None
            found.last_connected_at = info.checked_at
            await session.commit()
            return info.model_dump(mode="json")

    try:
        emit(asyncio.run(run()), as_json=as_json, title="Connection test: OK")
    except ERPError as exc:
        raise fail(f"connection test failed: {exc}") from None


@app.command()
def update(
    connection: Annotated[str, typer.Argument(help="Name or id.")],
    name: Annotated[str | None, typer.Option(help="A new unique name.")] = None,
    credentials_file: Annotated[
        Path | None, typer.Option(help="JSON object of credentials replacing the stored ones (complete).")
    ] = None,
    api_url: Annotated[str | None, typer.Option(help="A new API root (http/https).")] = None,
    auto_sync: Annotated[bool | None, typer.Option(help="Sync on a schedule, or not.")] = None,
    interval_minutes: Annotated[int | None, IntervalOption] = None,
    conflict_policy: Annotated[
        list[str] | None, typer.Option(help="ENTITY=POLICY, e.g. vendor=erp_wins (repeatable).")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Change a connection in place; its sync logs, mappings and cursors stay."""
    new_name = check_name(name) if name is not None else None
    url = check_api_url(api_url) if api_url is not None else None
    policies = parse_policies(conflict_policy or [])

    async def run() -> dict[str, Any]:
        async with runtime() as rt, rt.sessions() as session:
            found = await find_connection(session, connection)
            if new_name is not None:
                await check_name_free(session, new_name, other_than=found.id)
                found.name = new_name
            if credentials_file is not None:
                await _replace_credentials(rt, session, found, credentials_file)
            if url is not None:
                found.api_url = url
            if auto_sync is not None:
                found.auto_sync_enabled = auto_sync
            if interval_minutes is not None:
                found.sync_interval_minutes = interval_minutes
            if policies:
                found.conflict_policies = {**(found.conflict_policies or {}), **policies}
            await _commit(session, found.name)
            return _summary(found)

    if (
        all(v is None for v in (name, credentials_file, api_url, auto_sync, interval_minutes))
        and not policies
    ):
        raise ConfigurationError(
            "connections update: nothing to change; give --name, --credentials-file, --api-url, "
            "--auto-sync/--no-auto-sync, --interval-minutes or --conflict-policy"
        )
    emit(asyncio.run(run()), as_json=as_json, title="Connection updated")


async def _replace_credentials(rt: Runtime, session: AsyncSession, found: ERPConnection, path: Path) -> None:
    """New credentials, whole; a connection waiting for them (auth error) is ready to test again."""
    credentials = read_credentials_file(path, found.system_type)
    stored = await replace_credentials(
        session,
        vault=rt.vault,
        connection_id=found.id,
        expected_version=found.credentials_version,
        credentials=credentials,
    )
    if not stored:
        raise ConfigurationError(
            f"connection {found.name!r}: its credentials changed while updating (a token refresh?); try again"
        )
    found.tenant_id = credentials.get("tenant_id") or found.tenant_id
    found.company_db = credentials.get("company_db") or found.company_db
    found.status, found.connection_error = ConnectionStatus.PENDING, None


async def _commit(session: AsyncSession, name: str) -> None:
    try:
        await session.commit()
    except IntegrityError:  # another process took the name between the check and the commit
        await session.rollback()
        raise ConfigurationError(f"--name: a connection named {name!r} already exists") from None


@app.command()
def remove(
    connection: Annotated[str, typer.Argument(help="Name or id.")],
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
) -> None:
    """Delete a connection with its logs, mappings and cursors (SmartAP's own records stay)."""
    if not yes:
        typer.confirm(f"Remove connection {connection!r} and its sync history?", abort=True)

    async def run() -> str:
        async with runtime() as rt, rt.sessions() as session:
            found = await find_connection(session, connection)
            await session.delete(found)
            await session.commit()
            return found.name

    console.print(f"removed connection {asyncio.run(run())!r}")
