"""`smartap-erp connections ...`: add, list, show, test, update and remove ERP connections, and read
the accounts and tax codes of the ERP behind one.

Credentials come from a JSON file (the object `erpsim credentials SYSTEM` prints) and are stored
encrypted; no command ever prints a credential value, only the key names. Input is checked by
`connection_input` (the four supported systems, http(s) API URLs, the credentials each ERP needs);
the application layer (`app.connections`, `app.reference`) keeps names unique and does the work.
`update` changes a connection in place (name, credentials, API URL, schedule, conflict policies),
keeping its sync logs, mappings and cursors, which `remove` deletes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from smartap_erp.cli.connection_input import (
    SupportedSystem,
    check_api_url,
    check_name,
    credentials_for,
    parse_policies,
    read_credentials_file,
)
from smartap_erp.cli.lazy import lazy
from smartap_erp.cli.output import JsonOption, console, emit, fail
from smartap_erp.cli.runtime import runtime
from smartap_erp.domain.enums import ERPSystem
from smartap_erp.domain.options import ClosedPeriodPolicy
from smartap_erp.errors import ConfigurationError, ERPError

if TYPE_CHECKING:
    from smartap_erp.app import connections as app_connections
    from smartap_erp.app import reference
    from smartap_erp.cli.runtime import Runtime
else:
    app_connections = lazy("smartap_erp.app.connections")
    reference = lazy("smartap_erp.app.reference")


T = TypeVar("T")
app = typer.Typer(
    help="ERP connections: add, list, show, test, update, remove; the ERP's accounts and tax codes.",
    no_args_is_help=True,
)
IntervalOption = typer.Option(min=1, max=10_080, help="Minutes between scheduled syncs (1 to 10080).")
ConnectionArgument = Annotated[str, typer.Argument(help="Name or id.")]


def _summary(connection: app_connections.ConnectionView) -> dict[str, Any]:
    return {
        "id": str(connection.id),
        "name": connection.name,
        "system": connection.system.value,
        "status": connection.status.value,
        "api_url": connection.api_url,
        "last_sync_at": connection.last_sync_at.isoformat() if connection.last_sync_at else None,
        "auto_sync": connection.auto_sync,
        "interval_minutes": connection.interval_minutes,
        "conflict_policies": connection.conflict_policies,
        "closed_period_policy": connection.closed_period_policy,
        "error": connection.error,
    }


@app.command()
def add(
    system: Annotated[SupportedSystem, typer.Option(help="The ERP.")],
    name: Annotated[str, typer.Option(help="A unique name for people, e.g. 'QuickBooks Production'.")],
    credentials_file: Annotated[
        Path | None,
        typer.Option(help="JSON object of credentials; without it each field is asked for at a terminal."),
    ] = None,
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
    request = app_connections.ConnectionCreate(
        system=erp,
        name=check_name(name),
        api_url=check_api_url(api_url) if api_url is not None else None,
        conflict_policies=parse_policies(conflict_policy or []),
        credentials=credentials_for(erp, credentials_file),
        auto_sync=auto_sync,
        interval_minutes=interval_minutes,
    )

    async def run() -> app_connections.ConnectionView:
        async with runtime() as rt:
            return await app_connections.create_connection(rt, request)

    emit(_summary(asyncio.run(run())), as_json=as_json, title="Connection added")


@app.command("list")
def list_(as_json: JsonOption = False) -> None:
    """All connections, with their status and last sync."""

    async def run() -> list[app_connections.ConnectionView]:
        async with runtime() as rt:
            return await app_connections.list_connections(rt)

    emit(
        [_summary(c) for c in asyncio.run(run())],
        as_json=as_json,
        title="Connections",
        columns=["name", "system", "status", "last_sync_at", "auto_sync", "id"],
    )


@app.command()
def show(connection: ConnectionArgument, as_json: JsonOption = False) -> None:
    """One connection; credentials are shown by key name only."""

    async def run() -> app_connections.ConnectionDetail:
        async with runtime() as rt:
            return await app_connections.get_connection(rt, connection)

    found = asyncio.run(run())
    emit({**_summary(found), "credential_keys": found.credentials_set}, as_json=as_json, title="Connection")


@app.command("test")
def check(connection: ConnectionArgument, as_json: JsonOption = False) -> None:
    """Reach the ERP with the stored credentials and show the company behind them."""

    async def run() -> dict[str, Any]:
        async with runtime() as rt:
            return (await app_connections.test_connection(rt, connection)).model_dump(mode="json")

    try:
        emit(asyncio.run(run()), as_json=as_json, title="Connection test: OK")
    except ERPError as exc:
        raise fail(f"connection test failed: {exc}") from None


@app.command()
def update(
    connection: ConnectionArgument,
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
    closed_period_policy: Annotated[
        ClosedPeriodPolicy | None,
        typer.Option(
            help="An invoice dated in a period the ERP closed: review (wait for a person), redate (bill "
            "dated the first open day) or draft (Xero only: a draft bill)."
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Change a connection in place; its sync logs, mappings and cursors stay."""
    new_name = check_name(name) if name is not None else None
    url = check_api_url(api_url) if api_url is not None else None
    policies = parse_policies(conflict_policy or [])
    if (
        all(
            v is None
            for v in (name, credentials_file, api_url, auto_sync, interval_minutes, closed_period_policy)
        )
        and not policies
    ):
        raise ConfigurationError(
            "connections update: nothing to change; give --name, --credentials-file, --api-url, "
            "--auto-sync/--no-auto-sync, --interval-minutes, --conflict-policy or --closed-period-policy"
        )

    async def run() -> app_connections.ConnectionView:
        async with runtime() as rt:
            credentials = None
            if credentials_file is not None:  # read against the stored connection's ERP
                system = (await app_connections.find_connection(rt, connection)).system
                credentials = read_credentials_file(credentials_file, system)
            request = app_connections.ConnectionUpdate(
                name=new_name,
                credentials=credentials,
                api_url=url,
                auto_sync=auto_sync,
                interval_minutes=interval_minutes,
                conflict_policies=policies,
                closed_period_policy=closed_period_policy,
            )
            return await app_connections.update_connection(rt, connection, request)

    emit(_summary(asyncio.run(run())), as_json=as_json, title="Connection updated")


@app.command()
def remove(
    connection: ConnectionArgument,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
) -> None:
    """Delete a connection with its logs, mappings and cursors (SmartAP's own records stay)."""
    if not yes:
        typer.confirm(f"Remove connection {connection!r} and its sync history?", abort=True)

    async def run() -> app_connections.ConnectionRemoved:
        async with runtime() as rt:
            return await app_connections.remove_connection(rt, connection)

    console.print(f"removed connection {asyncio.run(run()).name!r}")


def _read_reference(read: Callable[[Runtime, str], Awaitable[T]], connection: str) -> T:
    async def run() -> T:
        async with runtime() as rt:
            return await read(rt, connection)

    return asyncio.run(run())


@app.command("accounts")
def accounts(connection: ConnectionArgument, as_json: JsonOption = False) -> None:
    """The ERP's chart of accounts, read now through the connection."""
    found = _read_reference(reference.accounts, connection)
    emit(
        [account.model_dump(mode="json") for account in found.accounts],
        as_json=as_json,
        title=f"Accounts of {found.connection}",
        columns=["code", "name", "account_type", "is_active", "currency", "external_id"],
    )


@app.command("tax-codes")
def tax_codes(connection: ConnectionArgument, as_json: JsonOption = False) -> None:
    """The ERP's tax codes (rates in percent), read now through the connection."""
    found = _read_reference(reference.tax_codes, connection)
    emit(
        [code.model_dump(mode="json") for code in found.tax_codes],
        as_json=as_json,
        title=f"Tax codes of {found.connection}",
        columns=["code", "name", "rate", "is_active", "external_id"],
    )
