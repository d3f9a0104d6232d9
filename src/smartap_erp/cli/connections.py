"""`smartap-erp connections ...`: add, list, show, test and remove ERP connections.

Credentials come from a JSON file (the object `erpsim credentials SYSTEM` prints) and are stored
encrypted; no command ever prints a credential value, only the key names.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Annotated, Any

import typer

from smartap_erp.cli.output import JsonOption, console, emit, fail
from smartap_erp.cli.runtime import find_connection, runtime
from smartap_erp.connectors.registry import registry
from smartap_erp.db.connections import create_connection, read_credentials
from smartap_erp.db.models import ERPConnection
from smartap_erp.domain.enums import ConnectionStatus, ERPSystem
from smartap_erp.errors import ConfigurationError, ERPAuthError, ERPError
from smartap_erp.sync.logs import mark_auth_failure

app = typer.Typer(help="ERP connections: add, list, show, test, remove.", no_args_is_help=True)


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
        "error": connection.connection_error,
    }


def _read_credentials_file(path: Path, system: ERPSystem) -> dict[str, Any]:
    if not path.is_file():
        raise ConfigurationError(f"--credentials-file {path}: no such file")
    try:
        data = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise ConfigurationError(
            f"--credentials-file {path}: not JSON ({exc.msg} at line {exc.lineno})"
        ) from None
    if isinstance(data, dict) and isinstance(data.get("credentials"), dict):
        data = data["credentials"]  # the whole `erpsim serve` ready line is accepted too
    if not isinstance(data, dict):
        raise ConfigurationError(f"--credentials-file {path}: expected a JSON object of credentials")
    missing = [key for key in registry.get(system).required_credentials if not data.get(key)]
    if missing:
        raise ConfigurationError(f"--credentials-file {path}: {system.value} needs {', '.join(missing)}")
    return data


@app.command()
def add(
    system: Annotated[ERPSystem, typer.Option(help="quickbooks, xero, sap or netsuite.")],
    name: Annotated[str, typer.Option(help="A name for people, e.g. 'QuickBooks Production'.")],
    credentials_file: Annotated[Path, typer.Option(help="JSON object of credentials.")],
    api_url: Annotated[str | None, typer.Option(help="API root instead of the ERP's real host.")] = None,
    auto_sync: Annotated[bool, typer.Option(help="Sync on a schedule.")] = True,
    interval_minutes: Annotated[int, typer.Option(min=1, max=10_080)] = 60,
    as_json: JsonOption = False,
) -> None:
    """Store a new connection with its credentials encrypted."""
    credentials = _read_credentials_file(credentials_file, system)

    async def run() -> dict[str, Any]:
        async with runtime() as rt, rt.sessions() as session:
            connection = await create_connection(
                session,
                vault=rt.vault,
                name=name,
                system_type=system,
                credentials=credentials,
                api_url=api_url,
                tenant_id=credentials.get("tenant_id"),
                company_db=credentials.get("company_db"),
                auto_sync_enabled=auto_sync,
                sync_interval_minutes=interval_minutes,
            )
            await session.commit()
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
