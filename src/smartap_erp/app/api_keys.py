"""API keys of the REST API in the application layer: create (the key is returned once, only its
SHA-256 hash is stored), list, revoke, and `verify`, which every authenticated request calls.

A key is `sap_` followed by 32 random bytes (URL-safe base64): with that much entropy a single SHA-256
is enough (no salt or slow hash: there is nothing to guess). Verification reads the row on every
request, so a revoked key is refused at once. `last_used_at` is written at most once a minute per key
(a write per request would make every GET a transaction). Scopes nest: admin > write > read.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import uuid

from pydantic import AwareDatetime, Field
from sqlalchemy import or_, select, update

from smartap_erp.app.context import AppContext
from smartap_erp.app.models import AppModel
from smartap_erp.db.base import utcnow
from smartap_erp.db.models import APIKey
from smartap_erp.domain.options import Scope as Scope  # defined light, for the CLI
from smartap_erp.errors import ConflictError, NotFoundError

KEY_PREFIX = "sap_"
PREFIX_LENGTH = 8  # characters shown in lists: enough to tell keys apart, far too few to use one
TOUCH_EVERY = dt.timedelta(minutes=1)


class APIKeyCreate(AppModel):
    name: str = Field(min_length=1, max_length=255)
    scope: Scope


class APIKeyInfo(AppModel):
    """A key as lists show it: never the key, never its hash."""

    id: uuid.UUID
    name: str
    scope: Scope
    prefix: str
    created_at: AwareDatetime
    last_used_at: AwareDatetime | None
    revoked_at: AwareDatetime | None


class CreatedAPIKey(APIKeyInfo):
    key: str  # shown this once; only its hash is stored


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def info(row: APIKey) -> APIKeyInfo:
    return APIKeyInfo(
        id=row.id,
        name=row.name,
        scope=Scope(row.scope),
        prefix=row.prefix,
        created_at=row.created_at,
        last_used_at=row.last_used_at,
        revoked_at=row.revoked_at,
    )


async def create(ctx: AppContext, request: APIKeyCreate, *, now: dt.datetime | None = None) -> CreatedAPIKey:
    """A new key; the returned `key` is the only copy there will ever be."""
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    row = APIKey(
        name=request.name,
        scope=request.scope.value,
        prefix=key[:PREFIX_LENGTH],
        key_hash=hash_key(key),
        created_at=now or utcnow(),
    )
    async with ctx.sessions() as session, session.begin():
        session.add(row)
    return CreatedAPIKey(**info(row).model_dump(), key=key)


async def list_keys(ctx: AppContext, *, include_revoked: bool = True) -> list[APIKeyInfo]:
    """Every key, oldest first."""
    query = select(APIKey).order_by(APIKey.created_at, APIKey.id)
    if not include_revoked:
        query = query.where(APIKey.revoked_at.is_(None))
    async with ctx.sessions() as session:
        return [info(row) for row in await session.scalars(query)]


async def revoke(ctx: AppContext, id_or_prefix: str, *, now: dt.datetime | None = None) -> APIKeyInfo:
    """Revoke a key named by its id or its display prefix; refused from the next request on."""
    try:
        condition = or_(APIKey.id == uuid.UUID(id_or_prefix), APIKey.prefix == id_or_prefix)
    except ValueError:
        condition = APIKey.prefix == id_or_prefix
    async with ctx.sessions() as session, session.begin():
        found = list(await session.scalars(select(APIKey).where(condition)))
        if not found:
            raise NotFoundError(f"no API key with id or prefix {id_or_prefix!r}")
        if len(found) > 1:
            raise ConflictError(f"several API keys start with {id_or_prefix!r}; use the id")
        row = found[0]
        if row.revoked_at is not None:
            raise ConflictError(f"API key {row.prefix} was already revoked")
        row.revoked_at = now or utcnow()
    return info(row)


async def verify(ctx: AppContext, key: str, *, now: dt.datetime | None = None) -> APIKeyInfo | None:
    """The live key `key` is, or None when it is unknown or revoked (the caller answers 401)."""
    if not key.startswith(KEY_PREFIX):
        return None
    now = now or utcnow()
    async with ctx.sessions() as session:
        row = await session.scalar(select(APIKey).where(APIKey.key_hash == hash_key(key)))
        if row is None or row.revoked_at is not None:
            return None
        if row.last_used_at is None or now - row.last_used_at >= TOUCH_EVERY:
            await session.execute(update(APIKey).where(APIKey.id == row.id).values(last_used_at=now))
            await session.commit()
            row.last_used_at = now
        return info(row)
