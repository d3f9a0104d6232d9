"""`smartap-erp api-keys create/list/revoke`: keys for the REST API (`smartap_erp.app.api_keys` does
the work). `create` prints the key once; only its hash is stored, so a lost key is revoked and
replaced, never recovered."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Annotated, Any

import typer

from smartap_erp.cli.lazy import lazy
from smartap_erp.cli.output import JsonOption, console, emit, error_console
from smartap_erp.cli.runtime import runtime
from smartap_erp.domain.options import Scope

if TYPE_CHECKING:
    from smartap_erp.app import api_keys
    from smartap_erp.app.api_keys import APIKeyInfo
else:
    api_keys = lazy("smartap_erp.app.api_keys")

app = typer.Typer(help="API keys for the REST API: create, list, revoke.", no_args_is_help=True)


def _row(key: APIKeyInfo) -> dict[str, Any]:
    return {
        "id": str(key.id),
        "name": key.name,
        "scope": key.scope.value,
        "prefix": key.prefix,
        "created_at": key.created_at.isoformat(timespec="seconds"),
        "last_used_at": key.last_used_at.isoformat(timespec="seconds") if key.last_used_at else None,
        "revoked_at": key.revoked_at.isoformat(timespec="seconds") if key.revoked_at else None,
    }


@app.command()
def create(
    name: Annotated[str, typer.Option(help="Who or what uses the key, e.g. 'smartap production'.")],
    scope: Annotated[Scope, typer.Option(help="read: GET; write: syncs, exports...; admin: everything.")],
    as_json: JsonOption = False,
) -> None:
    """Create a key and print it: this is the only time it is shown."""

    async def run() -> api_keys.CreatedAPIKey:
        async with runtime() as rt:
            return await api_keys.create(rt, api_keys.APIKeyCreate(name=name, scope=scope))

    created = asyncio.run(run())
    if as_json:
        emit({**_row(created), "key": created.key}, as_json=True)
        return
    typer.echo(created.key)  # alone on stdout, so `KEY=$(smartap-erp api-keys create ...)` works
    error_console.print(
        f"[dim]API key {created.prefix}… ({created.scope.value}) for {created.name!r}: shown once, "
        "store it now; send it as `Authorization: Bearer <key>`[/dim]",
        highlight=False,
    )


@app.command("list")
def list_(
    active: Annotated[bool, typer.Option("--active", help="Only keys not revoked.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Every key: name, scope, prefix, last use, revocation (never the key)."""

    async def run() -> list[APIKeyInfo]:
        async with runtime() as rt:
            return await api_keys.list_keys(rt, include_revoked=not active)

    emit([_row(key) for key in asyncio.run(run())], as_json=as_json, title="API keys")


@app.command()
def revoke(key: Annotated[str, typer.Argument(help="The key's id or its prefix (as `list` shows).")]) -> None:
    """Revoke a key: refused from the next request on."""

    async def run() -> APIKeyInfo:
        async with runtime() as rt:
            return await api_keys.revoke(rt, key)

    revoked = asyncio.run(run())
    console.print(f"revoked API key {revoked.prefix}… ({revoked.name!r})", highlight=False)
