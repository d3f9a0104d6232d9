"""People who sign in to the web UI, in the application layer: create (argon2id password hash), list,
disable, and sign-in sessions: `sign_in` checks a password and opens a session whose token is
returned once (only its SHA-256 is stored, as for API keys), `session_user` finds who a session
cookie belongs to, `sign_out` ends it.

Roles match the REST API's scopes: viewer = read, operator = write, admin = admin. Failed sign-ins
are rate limited per username and per client address over a sliding window (`LoginThrottle`), so a
password cannot be guessed quickly; an unknown username costs the same argon2 work as a known one,
so the answer's timing does not tell which usernames exist. A session ends after `IDLE` without use
or `LIFETIME` after sign-in, whichever comes first, and at once when its user is disabled.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import re
import secrets
import uuid
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from pydantic import AwareDatetime, Field, field_validator
from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from smartap_erp.app.context import AppContext
from smartap_erp.app.models import AppModel
from smartap_erp.db.base import utcnow
from smartap_erp.db.models import UILoginFailure, UISession, UIUser
from smartap_erp.domain.options import Role as Role  # defined light, for the CLI
from smartap_erp.errors import ConfigurationError, ConflictError, NotFoundError

IDLE = dt.timedelta(hours=8)
LIFETIME = dt.timedelta(hours=12)
TOUCH_EVERY = dt.timedelta(minutes=1)
MIN_PASSWORD = 12
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._@-]{0,149}$")

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters


class UserCreate(AppModel):
    username: str = Field(min_length=1, max_length=150)
    password: str = Field(min_length=MIN_PASSWORD, max_length=1024, repr=False)
    role: Role

    @field_validator("username")
    @classmethod
    def _username(cls, value: str) -> str:
        value = value.strip().lower()
        if not USERNAME.match(value):
            raise ValueError("a username is letters, digits and . _ @ - (it starts with a letter or digit)")
        return value


class UserInfo(AppModel):
    """A user as lists and pages show them: never the password hash."""

    id: uuid.UUID
    username: str
    role: Role
    created_at: AwareDatetime
    last_login_at: AwareDatetime | None
    disabled_at: AwareDatetime | None


@dataclass(frozen=True)
class SignedIn:
    """A new session: `token` goes into the cookie and is never shown or stored anywhere else."""

    token: str
    user: UserInfo
    expires_at: dt.datetime

    def __repr__(self) -> str:
        return f"SignedIn(user={self.user.username!r}, expires_at={self.expires_at.isoformat()})"


class SignInRefused(ConfigurationError):
    """Wrong username or password (deliberately not saying which), or a disabled user."""


class TooManyAttempts(ConfigurationError):
    def __init__(self, retry_after: dt.timedelta) -> None:
        self.retry_after = retry_after
        minutes = max(1, round(retry_after.total_seconds() / 60))
        super().__init__(f"too many failed sign-ins; try again in {minutes} minute(s)")


@dataclass(frozen=True)
class LoginThrottle:
    """At most `per_username` failures per username and `per_client` per address within `window`."""

    window: dt.timedelta = dt.timedelta(minutes=15)
    per_username: int = 5
    per_client: int = 20


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def info(row: UIUser) -> UserInfo:
    return UserInfo(
        id=row.id,
        username=row.username,
        role=Role(row.role),
        created_at=row.created_at,
        last_login_at=row.last_login_at,
        disabled_at=row.disabled_at,
    )


async def create_user(ctx: AppContext, request: UserCreate, *, now: dt.datetime | None = None) -> UserInfo:
    row = UIUser(
        username=request.username,
        password_hash=_hasher.hash(request.password),
        role=request.role.value,
        created_at=now or utcnow(),
    )
    async with ctx.sessions() as session, session.begin():
        if await session.scalar(select(UIUser.id).where(UIUser.username == request.username)):
            raise ConflictError(f"a user named {request.username!r} already exists")
        session.add(row)
    return info(row)


async def set_up_user(ctx: AppContext, request: UserCreate) -> UserInfo:
    """Create the user, or give an existing one this password and role and enable it again (the demo's
    user, made anew with a fresh password each time `make run` starts). Their old sessions end."""
    async with ctx.sessions() as session, session.begin():
        row = await session.scalar(select(UIUser).where(UIUser.username == request.username))
        if row is None:
            row = UIUser(username=request.username, password_hash="", role=request.role.value)
            session.add(row)
        else:
            await session.execute(
                update(UISession)
                .where(UISession.user_id == row.id, UISession.revoked_at.is_(None))
                .values(revoked_at=utcnow())
            )
        row.password_hash = _hasher.hash(request.password)
        row.role = request.role.value
        row.disabled_at = None
        await session.flush()
    return info(row)


async def list_users(ctx: AppContext) -> list[UserInfo]:
    async with ctx.sessions() as session:
        return [info(row) for row in await session.scalars(select(UIUser).order_by(UIUser.username))]


async def disable_user(ctx: AppContext, username: str, *, now: dt.datetime | None = None) -> UserInfo:
    """Disable a user and end every session of theirs at once."""
    now = now or utcnow()
    async with ctx.sessions() as session, session.begin():
        row = await _user(session, username)
        row.disabled_at = row.disabled_at or now
        await session.execute(
            update(UISession)
            .where(UISession.user_id == row.id, UISession.revoked_at.is_(None))
            .values(revoked_at=now)
        )
    return info(row)


async def sign_in(
    ctx: AppContext,
    username: str,
    password: str,
    *,
    client: str,
    now: dt.datetime | None = None,
    throttle: LoginThrottle = LoginThrottle(),
) -> SignedIn:
    """Open a session for `username` if `password` is right and the throttle allows an attempt."""
    now = now or utcnow()
    username = username.strip().lower()[:150]
    client = client[:64]
    async with ctx.sessions() as session, session.begin():
        await _check_throttle(session, username, client, now, throttle)
        row = await session.scalar(select(UIUser).where(UIUser.username == username))
        # One argon2 verification either way (against a dummy hash for an unknown username).
        if _password_matches(row.password_hash if row else None, password) and row is not None:
            return await _open_session(session, row, password, now)
    async with ctx.sessions() as session, session.begin():  # its own transaction: kept when we refuse
        session.add(UILoginFailure(username=username, client=client, at=now))
    raise SignInRefused("wrong username or password")


async def _open_session(session: AsyncSession, row: UIUser, password: str, now: dt.datetime) -> SignedIn:
    if row.disabled_at is not None:
        raise SignInRefused("this user is disabled")
    if _hasher.check_needs_rehash(row.password_hash):
        row.password_hash = _hasher.hash(password)
    row.last_login_at = now
    token = secrets.token_urlsafe(32)
    expires = now + LIFETIME
    session.add(
        UISession(
            user_id=row.id, token_hash=hash_token(token), created_at=now, last_seen_at=now, expires_at=expires
        )
    )
    return SignedIn(token=token, user=info(row), expires_at=expires)


async def session_user(ctx: AppContext, token: str, *, now: dt.datetime | None = None) -> UserInfo | None:
    """Who the session `token` belongs to, or None when it is unknown, ended, expired or idle."""
    now = now or utcnow()
    async with ctx.sessions() as session:
        found = (
            await session.execute(
                select(UISession, UIUser)
                .join(UIUser, UIUser.id == UISession.user_id)
                .where(UISession.token_hash == hash_token(token))
            )
        ).first()
        if found is None:
            return None
        row, user = found
        if row.revoked_at is not None or user.disabled_at is not None:
            return None
        if now >= row.expires_at or now - row.last_seen_at >= IDLE:
            return None
        if now - row.last_seen_at >= TOUCH_EVERY:
            await session.execute(update(UISession).where(UISession.id == row.id).values(last_seen_at=now))
            await session.commit()
        return info(user)


async def sign_out(ctx: AppContext, token: str, *, now: dt.datetime | None = None) -> None:
    async with ctx.sessions() as session, session.begin():
        await session.execute(
            update(UISession)
            .where(UISession.token_hash == hash_token(token), UISession.revoked_at.is_(None))
            .values(revoked_at=now or utcnow())
        )


async def forget_old_failures(ctx: AppContext, *, before: dt.datetime) -> int:
    """Delete failed sign-ins older than `before` (the throttle only reads its window)."""
    async with ctx.sessions() as session, session.begin():
        result = await session.execute(delete(UILoginFailure).where(UILoginFailure.at < before))
        return int(getattr(result, "rowcount", 0) or 0)


async def _user(session: AsyncSession, username: str) -> UIUser:
    row = await session.scalar(select(UIUser).where(UIUser.username == username.strip().lower()))
    if row is None:
        raise NotFoundError(f"no user named {username!r} (see `smartap-erp users list`)")
    return row


async def _check_throttle(
    session: AsyncSession, username: str, client: str, now: dt.datetime, throttle: LoginThrottle
) -> None:
    since = now - throttle.window
    for column, value, limit in (
        (UILoginFailure.username, username, throttle.per_username),
        (UILoginFailure.client, client, throttle.per_client),
    ):
        count, oldest = (
            await session.execute(
                select(func.count(), func.min(UILoginFailure.at)).where(
                    column == value, UILoginFailure.at > since
                )
            )
        ).one()
        if count >= limit:
            raise TooManyAttempts(oldest + throttle.window - now)


@functools.cache
def _dummy_hash() -> str:
    """A hash of nothing anyone knows, verified against for unknown usernames (made on first use: an
    argon2 hash costs ~0.1-0.3 s, which every CLI start would otherwise pay at import)."""
    return _hasher.hash(secrets.token_urlsafe(16))


def _password_matches(stored_hash: str | None, password: str) -> bool:
    """Whether `password` matches; with no hash, the same work against a dummy hash, then False."""
    try:
        return _hasher.verify(stored_hash or _dummy_hash(), password) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False
