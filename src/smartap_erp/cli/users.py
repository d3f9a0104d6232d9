"""`smartap-erp users create/list/disable`: the people who sign in to the web UI
(`smartap_erp.app.users` does the work). The password is asked for twice at a hidden prompt, or read
from standard input with `--password-stdin` (for scripts); it is never an option, so it stays out of
shell history and process lists."""

from __future__ import annotations

import asyncio
import sys
from typing import TYPE_CHECKING, Annotated, Any

import typer
from pydantic import ValidationError

from smartap_erp.cli.lazy import lazy
from smartap_erp.cli.output import JsonOption, console, emit
from smartap_erp.cli.runtime import runtime
from smartap_erp.domain.options import Role
from smartap_erp.errors import ConfigurationError

if TYPE_CHECKING:
    from smartap_erp.app import users
    from smartap_erp.app.users import UserInfo
else:
    users = lazy("smartap_erp.app.users")

app = typer.Typer(help="People who sign in to the web UI: create, list, disable.", no_args_is_help=True)


def _row(user: UserInfo) -> dict[str, Any]:
    return {
        "username": user.username,
        "role": user.role.value,
        "created_at": user.created_at.isoformat(timespec="seconds"),
        "last_login_at": user.last_login_at.isoformat(timespec="seconds") if user.last_login_at else None,
        "disabled_at": user.disabled_at.isoformat(timespec="seconds") if user.disabled_at else None,
    }


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    password: str = typer.prompt(
        f"Password (at least {users.MIN_PASSWORD} characters)", hide_input=True, confirmation_prompt=True
    )
    return password


@app.command()
def create(
    username: Annotated[str, typer.Argument(help="Letters, digits and . _ @ - (case is ignored).")],
    role: Annotated[Role, typer.Option(help="viewer: read; operator: syncs, exports...; admin: everything.")],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Create a user who can sign in to the web UI with the given role."""
    try:
        request = users.UserCreate(username=username, password=_password(password_stdin), role=role)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or "input"
        raise ConfigurationError(f"{field}: {first['msg']}") from None

    async def run() -> UserInfo:
        async with runtime() as rt:
            return await users.create_user(rt, request)

    created = asyncio.run(run())
    if as_json:
        emit(_row(created), as_json=True)
        return
    console.print(f"created user {created.username!r} ({created.role.value})", highlight=False)


@app.command("list")
def list_(as_json: JsonOption = False) -> None:
    """Every user: role, last sign-in, disabled (never a password)."""

    async def run() -> list[UserInfo]:
        async with runtime() as rt:
            return await users.list_users(rt)

    emit([_row(user) for user in asyncio.run(run())], as_json=as_json, title="Users")


@app.command()
def disable(username: Annotated[str, typer.Argument(help="Who to disable.")]) -> None:
    """Disable a user: their sessions end at once and they can no longer sign in."""

    async def run() -> UserInfo:
        async with runtime() as rt:
            return await users.disable_user(rt, username)

    disabled = asyncio.run(run())
    console.print(f"disabled user {disabled.username!r}", highlight=False)
