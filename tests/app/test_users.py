"""People of the web UI in the application layer (issue 15), on SQLite and PostgreSQL: passwords are
stored as argon2id hashes, never in plain text; sign-in opens a session whose token is stored only as a
hash; failed sign-ins are throttled per username and per client over a window (on an injected clock);
sessions end when idle, at their lifetime, on sign-out and when the user is disabled; roles nest."""

from __future__ import annotations

import datetime as dt

import pytest
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from smartap_erp.app import users
from smartap_erp.app.users import LoginThrottle, Role, SignInRefused, TooManyAttempts, UserCreate
from smartap_erp.db.models import UISession, UIUser
from smartap_erp.errors import ConflictError
from tests.app.simulated import SimulatedApp, simulated_app

PASSWORD = "a long enough password"
T0 = dt.datetime(2026, 12, 4, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def ctx(engine: AsyncEngine, session_factory: async_sessionmaker[AsyncSession]) -> SimulatedApp:
    return simulated_app(engine, session_factory)


async def test_a_password_is_stored_only_as_an_argon2_hash(ctx: SimulatedApp) -> None:
    created = await users.create_user(
        ctx, UserCreate(username=" Ada@Example.com ", password=PASSWORD, role=Role.ADMIN)
    )
    assert created.username == "ada@example.com"
    async with ctx.sessions() as session:
        row = await session.scalar(select(UIUser))
    assert row is not None
    assert row.password_hash.startswith("$argon2id$")
    assert PASSWORD not in row.password_hash
    assert "hash" not in repr(row)
    with pytest.raises(ConflictError, match="already exists"):
        await users.create_user(
            ctx, UserCreate(username="ADA@example.com", password=PASSWORD, role=Role.VIEWER)
        )


def test_short_passwords_and_odd_usernames_are_refused() -> None:
    with pytest.raises(ValidationError, match="at least 12"):
        UserCreate(username="bob", password="short", role=Role.VIEWER)
    with pytest.raises(ValidationError, match="letters, digits"):
        UserCreate(username="bob smith", password=PASSWORD, role=Role.VIEWER)


async def test_a_session_token_is_stored_only_as_a_hash_and_ends_on_sign_out(ctx: SimulatedApp) -> None:
    await users.create_user(ctx, UserCreate(username="op", password=PASSWORD, role=Role.OPERATOR))
    signed_in = await users.sign_in(ctx, "OP", PASSWORD, client="10.0.0.1", now=T0)
    assert signed_in.token not in repr(signed_in)
    async with ctx.sessions() as session:
        stored = await session.scalar(select(UISession))
    assert stored is not None
    assert stored.token_hash == users.hash_token(signed_in.token) != signed_in.token
    found = await users.session_user(ctx, signed_in.token, now=T0 + dt.timedelta(minutes=5))
    assert found is not None
    assert found.role is Role.OPERATOR
    await users.sign_out(ctx, signed_in.token)
    assert await users.session_user(ctx, signed_in.token, now=T0 + dt.timedelta(minutes=6)) is None


async def test_sessions_end_when_idle_and_at_their_lifetime(ctx: SimulatedApp) -> None:
    await users.create_user(ctx, UserCreate(username="v", password=PASSWORD, role=Role.VIEWER))
    idle = await users.sign_in(ctx, "v", PASSWORD, client="c", now=T0)
    assert (
        await users.session_user(ctx, idle.token, now=T0 + users.IDLE - dt.timedelta(seconds=1)) is not None
    )
    later = T0 + users.IDLE - dt.timedelta(seconds=1) + users.IDLE
    assert await users.session_user(ctx, idle.token, now=later) is None
    busy = await users.sign_in(ctx, "v", PASSWORD, client="c", now=T0)
    at = T0
    while at + dt.timedelta(hours=1) < T0 + users.LIFETIME:  # used every hour: never idle
        at += dt.timedelta(hours=1)
        assert await users.session_user(ctx, busy.token, now=at) is not None
    assert await users.session_user(ctx, busy.token, now=T0 + users.LIFETIME) is None


async def test_failed_sign_ins_are_throttled_per_username_and_per_client(ctx: SimulatedApp) -> None:
    await users.create_user(ctx, UserCreate(username="amy", password=PASSWORD, role=Role.VIEWER))
    throttle = LoginThrottle(window=dt.timedelta(minutes=15), per_username=3, per_client=5)
    for minute in range(3):
        with pytest.raises(SignInRefused, match="wrong username or password"):
            await users.sign_in(
                ctx,
                "amy",
                "guess",
                client="1.1.1.1",
                now=T0 + dt.timedelta(minutes=minute),
                throttle=throttle,
            )
    with pytest.raises(TooManyAttempts) as refused:  # even the right password, while throttled
        await users.sign_in(
            ctx, "amy", PASSWORD, client="2.2.2.2", now=T0 + dt.timedelta(minutes=3), throttle=throttle
        )
    assert refused.value.retry_after == dt.timedelta(minutes=12)
    assert "try again in 12 minute" in str(refused.value)
    opened = await users.sign_in(
        ctx,
        "amy",
        PASSWORD,
        client="2.2.2.2",
        now=T0 + dt.timedelta(minutes=15, seconds=1),
        throttle=throttle,
    )
    assert opened.user.username == "amy"
    for name in ("x1", "x2"):  # the same client guessing other usernames
        with pytest.raises(SignInRefused):
            await users.sign_in(
                ctx, name, "guess", client="1.1.1.1", now=T0 + dt.timedelta(minutes=4), throttle=throttle
            )
    with pytest.raises(TooManyAttempts):
        await users.sign_in(
            ctx, "x3", "guess", client="1.1.1.1", now=T0 + dt.timedelta(minutes=5), throttle=throttle
        )
    removed = await users.forget_old_failures(ctx, before=T0 + dt.timedelta(minutes=3, seconds=30))
    assert removed == 3


async def test_disabling_a_user_ends_their_sessions_and_refuses_sign_in(ctx: SimulatedApp) -> None:
    await users.create_user(ctx, UserCreate(username="eve", password=PASSWORD, role=Role.ADMIN))
    signed_in = await users.sign_in(ctx, "eve", PASSWORD, client="c", now=T0)
    disabled = await users.disable_user(ctx, "eve", now=T0 + dt.timedelta(minutes=1))
    assert disabled.disabled_at is not None
    assert await users.session_user(ctx, signed_in.token, now=T0 + dt.timedelta(minutes=2)) is None
    with pytest.raises(SignInRefused, match="disabled"):
        await users.sign_in(ctx, "eve", PASSWORD, client="c", now=T0 + dt.timedelta(minutes=3))


def test_roles_nest_like_api_scopes() -> None:
    assert Role.ADMIN.allows(Role.OPERATOR)
    assert Role.OPERATOR.allows(Role.VIEWER)
    assert not Role.VIEWER.allows(Role.OPERATOR)
    assert not Role.OPERATOR.allows(Role.ADMIN)
    assert [role.scope.value for role in Role] == ["read", "write", "admin"]


async def test_setting_up_the_demo_user_again_gives_a_new_password_and_ends_old_sessions(
    ctx: SimulatedApp,
) -> None:
    first = await users.set_up_user(ctx, UserCreate(username="demo", password=PASSWORD, role=Role.ADMIN))
    old = await users.sign_in(ctx, "demo", PASSWORD, client="c", now=T0)
    await users.disable_user(ctx, "demo", now=T0)
    again = await users.set_up_user(
        ctx, UserCreate(username="demo", password="another long password", role=Role.ADMIN)
    )
    assert again.id == first.id
    assert again.disabled_at is None
    assert await users.session_user(ctx, old.token, now=T0 + dt.timedelta(minutes=1)) is None
    with pytest.raises(SignInRefused):
        await users.sign_in(ctx, "demo", PASSWORD, client="c", now=T0 + dt.timedelta(minutes=1))
    assert (await users.sign_in(ctx, "demo", "another long password", client="c")).user.role is Role.ADMIN
