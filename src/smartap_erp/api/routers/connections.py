"""ERP connections over HTTP, at the seed's paths under `/api/v1/erp/connections`: create, list (cursor
and `limit` <= 200), get, update (PATCH: name, credentials, URL, schedule, conflict policies), pause and
resume its scheduled syncs, delete; `POST .../{id}/test` reaches the ERP (company name, country) and
`GET .../{id}/health` says what is wrong with an `errors` list: the connection's state, then its recent
failed runs newest first, each with the kind of error (auth, rate_limit, period_locked ...), when, and
a link to its sync log.

Credentials are write-only: they come in wrapped in pydantic `Secret` (no repr, log line or validation
error shows them) and every response names only the fields set (`credentials_set`). Reading needs a
`read` key, testing a connection `write` (it reaches the ERP and records what it said), every change
to a connection `admin`. Each endpoint calls one `app.connections` (or, for health,
`app.connection_health`) function; none holds SQL.
"""

from __future__ import annotations

import base64
import binascii
import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import AnyHttpUrl, AwareDatetime, BaseModel, TypeAdapter, field_validator

from smartap_erp.api.deps import AdminKey, Ctx, ReadKey, WriteKey
from smartap_erp.app import connection_health, connections
from smartap_erp.app.connections import ConnectionDetail, ConnectionRemoved, ConnectionView
from smartap_erp.app.logs import InvalidCursorError
from smartap_erp.domain.enums import ConnectionStatus
from smartap_erp.errors import ConfigurationError
from smartap_erp.sync.error_kinds import ErrorKind

PREFIX = "/api/v1/erp/connections"
MAX_LIMIT = 200
SYNC_LOGS = "/api/v1/erp/sync-logs"
_HTTP_URL = TypeAdapter(AnyHttpUrl)  # http(s) with a host; the check the CLI makes of --api-url

router = APIRouter(prefix=PREFIX, tags=["connections"])


def _http_url(url: str | None) -> str | None:
    """An http:// or https:// URL with a host (a simulator, a private SAP host), kept as given."""
    if url is not None:
        _HTTP_URL.validate_python(url.strip())
    return None if url is None else url.strip()


class ConnectionIn(connections.ConnectionCreate):
    """A new connection: its ERP, a unique name, the credentials the ERP's provider requires."""

    _url = field_validator("api_url")(_http_url)


class ConnectionPatch(connections.ConnectionUpdate):
    """What to change; fields left out stay. New credentials replace the stored ones whole (and the
    connection waits for a test again); conflict policies merge into the stored ones."""

    _url = field_validator("api_url")(_http_url)


class ConnectionPage(BaseModel):
    items: list[ConnectionView]
    next_cursor: str | None  # None on the last page


class ConnectionTested(BaseModel):
    """The seed's test answer: the company the credentials reach."""

    success: Literal[True] = True
    system: str
    company_name: str
    company_id: str | None
    country: str | None
    base_currency: str | None
    connected_at: AwareDatetime


class HealthError(BaseModel):
    """One thing wrong. `type`: `auth` (the ERP refused the credentials: reconnect; linked to the run
    that met the refusal, if a run did), `credentials` (the stored ones cannot be decrypted with the
    configured keys), `sync` (a recent run failed or partly failed). `kind` is the kind of error
    (auth, rate_limit, period_locked, validation, configuration, unavailable, protocol, internal;
    null for runs logged before kinds were recorded), `at` when the run ended (null for the
    connection's state), `sync_log_id` and `sync_log_url` (the API path of the log) lead to the run's
    per-record errors and HTTP exchanges."""

    type: Literal["auth", "credentials", "sync"]
    kind: ErrorKind | None
    message: str
    at: AwareDatetime | None = None
    sync_log_id: uuid.UUID | None = None
    sync_log_url: str | None = None


class HealthOut(connection_health.ConnectionHealth):
    errors: list[HealthError]


def _cursor(name: str) -> str:
    return base64.urlsafe_b64encode(name.encode()).decode().rstrip("=")


def _after(cursor: str) -> str:
    """The name a cursor names; one this server did not give out (it does not encode back to the
    same text) is refused rather than read as some other name."""
    try:
        name = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (ValueError, binascii.Error, UnicodeDecodeError):
        name = None
    if name is None or _cursor(name) != cursor:
        raise InvalidCursorError(
            f"cursor {cursor[:40]!r} is not one a page of connections gave out; start again without it"
        )
    return name


@router.post("", status_code=201, summary="Create a connection")
async def create(body: ConnectionIn, ctx: Ctx, _: AdminKey) -> ConnectionDetail:
    made = await connections.create_connection(ctx, body)
    return await connections.get_connection(ctx, str(made.id))


@router.get("", summary="List connections by name")
async def list_all(
    ctx: Ctx,
    _: ReadKey,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 50,
    cursor: Annotated[str | None, Query(max_length=1024)] = None,
) -> ConnectionPage:
    # An installation has tens of connections, not thousands: the app layer lists them all by name
    # and the page is cut here. Names are unique, so the last name on a page is a stable cursor.
    found = await connections.list_connections(ctx)
    if cursor is not None:
        after = _after(cursor)
        found = [c for c in found if c.name > after]
    page = found[:limit]
    more = len(found) > limit
    return ConnectionPage(items=page, next_cursor=_cursor(page[-1].name) if more else None)


@router.get("/{connection_id}", summary="A connection, with the names of its credential fields")
async def get(connection_id: str, ctx: Ctx, _: ReadKey) -> ConnectionDetail:
    return await connections.get_connection(ctx, connection_id)


@router.patch("/{connection_id}", summary="Change a connection")
async def update(connection_id: str, body: ConnectionPatch, ctx: Ctx, _: AdminKey) -> ConnectionDetail:
    if body.changes_nothing:
        raise ConfigurationError("nothing to change: give at least one field")
    changed = await connections.update_connection(ctx, connection_id, body)
    return await connections.get_connection(ctx, str(changed.id))


async def _auto_sync(ctx: Ctx, connection_id: str, on: bool) -> ConnectionView:
    return await connections.update_connection(ctx, connection_id, connections.ConnectionUpdate(auto_sync=on))


@router.post("/{connection_id}/pause", summary="Stop the connection's scheduled syncs")
async def pause(connection_id: str, ctx: Ctx, _: AdminKey) -> ConnectionView:
    """Scheduled syncs stop; syncs requested explicitly still run."""
    return await _auto_sync(ctx, connection_id, False)


@router.post("/{connection_id}/resume", summary="Start the connection's scheduled syncs again")
async def resume(connection_id: str, ctx: Ctx, _: AdminKey) -> ConnectionView:
    return await _auto_sync(ctx, connection_id, True)


@router.delete("/{connection_id}", summary="Delete a connection with its logs, mappings and cursors")
async def delete(connection_id: str, ctx: Ctx, _: AdminKey) -> ConnectionRemoved:
    return await connections.remove_connection(ctx, connection_id)


@router.post("/{connection_id}/test", summary="Reach the ERP with the stored credentials")
async def test(connection_id: str, ctx: Ctx, _: WriteKey) -> ConnectionTested:
    """Success makes the connection active; a refused authorisation puts it in error (its syncs
    stop until new credentials come) and answers 502 with the ERP's code and message."""
    info = await connections.test_connection(ctx, connection_id)
    return ConnectionTested(
        system=info.system.value,
        company_name=info.company_name,
        company_id=info.company_id,
        country=info.country,
        base_currency=info.base_currency,
        connected_at=info.checked_at,
    )


@router.get("/{connection_id}/health", summary="What is wrong with a connection, and its last run")
async def health(connection_id: str, ctx: Ctx, _: ReadKey) -> HealthOut:
    found = await connection_health.connection_health(ctx, connection_id)
    return HealthOut(**found.model_dump(), errors=health_errors(found))


def health_errors(found: connection_health.ConnectionHealth) -> list[HealthError]:
    """The connection's state first (it holds now), then its recent failed runs, newest first, at
    most `app.connection_health.RECENT_ERRORS`."""
    errors = []
    runs = list(found.recent_errors)
    if found.connection.status == ConnectionStatus.ERROR:
        cause = next((run for run in runs if run.kind is ErrorKind.AUTH), None)
        if cause is not None:
            runs.remove(cause)  # shown once, as the reason the connection is in error
        message = found.problem or "the ERP refused the credentials"
        errors.append(
            _run_error("auth", cause, message)
            if cause
            else HealthError(type="auth", kind=ErrorKind.AUTH, message=message)
        )
    elif found.problem is not None:  # healthy status, but the stored credentials cannot be read
        errors.append(HealthError(type="credentials", kind=ErrorKind.CONFIGURATION, message=found.problem))
    errors.extend(_run_error("sync", run, run.message) for run in runs)
    return errors


def _run_error(
    type_: Literal["auth", "sync"], run: connection_health.RecentError, message: str
) -> HealthError:
    return HealthError(
        type=type_,
        kind=run.kind,
        message=message,
        at=run.at,
        sync_log_id=run.sync_log_id,
        sync_log_url=f"{SYNC_LOGS}/{run.sync_log_id}",
    )
