"""ERP connections in the application layer: create, update, list, get, test and remove.

A connection is served as `ConnectionView` (never its credentials: `ConnectionDetail` and
`ConnectionHealth` name the credential fields that are set, nothing more). Names are unique: a
taken name is a `ConflictError`, checked before writing and again by the database's unique index
when two requests race. Credentials come in as `Credentials`, values wrapped in pydantic `Secret`
so no repr, log line or JSON dump of a request shows them; they are stored encrypted through the
vault. Checks that need no database (the name's shape, the URL, the credential fields an ERP
requires) belong to the interface's input parsing; this module enforces what the database knows.
`with_connector` is how every call that reaches the ERP runs: a refused authorisation stops the
connection's syncs (status `error`, with what to do) before the error goes on to the caller.
A connection's health (what is wrong, its last run, its recent failures) is `app.connection_health`.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Literal, TypeVar

from pydantic import AwareDatetime, Field, JsonValue, Secret
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from smartap_erp.app.context import AppContext, resolve_connection
from smartap_erp.app.models import AppModel
from smartap_erp.connectors.base import ERPConnector
from smartap_erp.connectors.models import ConnectionInfo
from smartap_erp.connectors.registry import registry
from smartap_erp.db.connections import create_connection as store_connection
from smartap_erp.db.connections import read_credentials, replace_credentials
from smartap_erp.db.models import ERPConnection
from smartap_erp.domain.enums import (
    ConnectionStatus,
    ERPEntity,
    ERPSystem,
)
from smartap_erp.errors import ConfigurationError, ConflictError, ERPAuthError
from smartap_erp.events import engine as raised
from smartap_erp.sync.export.guards import ClosedPeriodPolicy
from smartap_erp.sync.imports.planning import Policy
from smartap_erp.sync.logs import mark_auth_failure

log = logging.getLogger(__name__)
T = TypeVar("T")

NAME_LENGTH = 255
MIN_INTERVAL, MAX_INTERVAL = 1, 10_080  # minutes between scheduled syncs: one minute to one week
# The entities an import can conflict on, each with its own policy (`vendor=erp_wins`).
PolicyEntity = Literal[ERPEntity.VENDOR, ERPEntity.PURCHASE_ORDER]
Credentials = dict[str, Secret[JsonValue]]


class ConnectionCreate(AppModel):
    system: ERPSystem
    name: str = Field(min_length=1, max_length=NAME_LENGTH)
    credentials: Credentials
    api_url: str | None = None  # the API root instead of the ERP's real host (simulators, private hosts)
    auto_sync: bool = True
    interval_minutes: int = Field(60, ge=MIN_INTERVAL, le=MAX_INTERVAL)
    conflict_policies: dict[PolicyEntity, Policy] = Field(default_factory=dict)
    # An invoice dated in a period the ERP closed: review (default), redate, or draft (Xero only).
    closed_period_policy: ClosedPeriodPolicy = ClosedPeriodPolicy.REVIEW


class ConnectionUpdate(AppModel):
    """What to change; a field left out (None) stays as it is. New credentials replace the stored
    ones whole; conflict policies are merged into the stored ones."""

    name: str | None = Field(None, min_length=1, max_length=NAME_LENGTH)
    credentials: Credentials | None = None
    api_url: str | None = None
    auto_sync: bool | None = None
    interval_minutes: int | None = Field(None, ge=MIN_INTERVAL, le=MAX_INTERVAL)
    conflict_policies: dict[PolicyEntity, Policy] = Field(default_factory=dict)
    closed_period_policy: ClosedPeriodPolicy | None = None

    @property
    def changes_nothing(self) -> bool:
        fields = (
            self.name,
            self.credentials,
            self.api_url,
            self.auto_sync,
            self.interval_minutes,
            self.closed_period_policy,
        )
        return all(value is None for value in fields) and not self.conflict_policies


class ConnectionView(AppModel):
    id: uuid.UUID
    name: str
    system: ERPSystem
    status: ConnectionStatus
    api_url: str | None
    last_sync_at: AwareDatetime | None
    last_connected_at: AwareDatetime | None
    auto_sync: bool
    interval_minutes: int
    conflict_policies: dict[str, str]
    closed_period_policy: str = ClosedPeriodPolicy.REVIEW.value
    error: str | None  # what a person must do when the connection is in error
    is_demo: bool


class ConnectionDetail(ConnectionView):
    credentials_set: list[str]  # the names of the credential fields stored, sorted; never a value


class ConnectionRemoved(AppModel):
    id: uuid.UUID
    name: str


def view(connection: ERPConnection) -> ConnectionView:
    return ConnectionView(
        id=connection.id,
        name=connection.name,
        system=connection.system_type,
        status=connection.status,
        api_url=connection.api_url,
        last_sync_at=connection.last_sync_at,
        last_connected_at=connection.last_connected_at,
        auto_sync=connection.auto_sync_enabled,
        interval_minutes=connection.sync_interval_minutes,
        conflict_policies=dict(connection.conflict_policies or {}),
        closed_period_policy=connection.closed_period_policy or ClosedPeriodPolicy.REVIEW.value,
        error=connection.connection_error,
        is_demo=connection.is_demo,
    )


def _plain(credentials: Credentials) -> dict[str, JsonValue]:
    return {key: value.get_secret_value() for key, value in credentials.items()}


def _checked(ctx: AppContext, system: ERPSystem, credentials: dict[str, JsonValue]) -> dict[str, JsonValue]:
    """Refuse credentials that fail the provider's field checks (settings such as QUICKBOOKS_CLIENT_ID
    may fill a field); they are stored as given, so a setting changed later applies."""
    provider = registry.provider(system.value)
    provider.validate_credentials(provider.with_settings(credentials, ctx.settings), source="credentials")
    return credentials


def _policies(policies: dict[PolicyEntity, Policy]) -> dict[str, str]:
    return {entity.value: policy.value for entity, policy in policies.items()}


async def _check_name_free(session: AsyncSession, name: str, *, other_than: uuid.UUID | None = None) -> None:
    """Refuse a name another connection already has (names address connections everywhere)."""
    query = select(ERPConnection.id).where(ERPConnection.name == name)
    if other_than is not None:
        query = query.where(ERPConnection.id != other_than)
    if await session.scalar(query) is not None:
        raise ConflictError(
            f"--name: a connection named {name!r} already exists; choose another name "
            "(or change that one with `smartap-erp connections update`)"
        )


async def _commit(session: AsyncSession, name: str) -> None:
    try:
        await session.commit()
    except IntegrityError:  # another process took the name between the check and the commit
        await session.rollback()
        raise ConflictError(f"--name: a connection named {name!r} already exists") from None


async def create_connection(ctx: AppContext, request: ConnectionCreate) -> ConnectionView:
    """Store a new connection, its credentials encrypted; it waits (`pending`) for a first test."""
    name = request.name.strip()
    _check_closed_period_policy(request.system, request.closed_period_policy)
    credentials = _checked(ctx, request.system, _plain(request.credentials))
    async with ctx.sessions() as session:
        await _check_name_free(session, name)
        connection = await store_connection(
            session,
            vault=ctx.vault,
            name=name,
            system_type=request.system,
            credentials=credentials,
            api_url=request.api_url,
            **registry.provider(request.system.value).column_values(credentials),
            auto_sync_enabled=request.auto_sync,
            sync_interval_minutes=request.interval_minutes,
            conflict_policies=_policies(request.conflict_policies),
            closed_period_policy=request.closed_period_policy.value,
        )
        await _commit(session, name)
        _log_policy(name, None, request.closed_period_policy)
        return view(connection)


async def update_connection(
    ctx: AppContext, name_or_id: str, request: ConnectionUpdate, *, merge_credentials: bool = False
) -> ConnectionView:
    """Change a connection in place; its sync logs, mappings and cursors stay. With
    `merge_credentials`, the credential fields given replace those stored and the others stay (a form
    where a person types only the fields they change); otherwise the given ones replace them whole."""
    async with ctx.sessions() as session:
        found = await resolve_connection(session, name_or_id)
        if request.name is not None:
            new_name = request.name.strip()
            await _check_name_free(session, new_name, other_than=found.id)
            found.name = new_name
        if request.credentials is not None:
            given = _plain(request.credentials)
            if merge_credentials:  # read in this session: the version replaced is the one merged
                given = {**read_credentials(found, vault=ctx.vault), **given}
            credentials = _checked(ctx, found.system_type, given)
            await _replace_credentials(ctx, session, found, credentials)
        if request.api_url is not None:
            found.api_url = request.api_url
        if request.auto_sync is not None:
            found.auto_sync_enabled = request.auto_sync
        if request.interval_minutes is not None:
            found.sync_interval_minutes = request.interval_minutes
        if request.conflict_policies:
            found.conflict_policies = {
                **(found.conflict_policies or {}),
                **_policies(request.conflict_policies),
            }
        before = found.closed_period_policy
        if request.closed_period_policy is not None:
            _check_closed_period_policy(found.system_type, request.closed_period_policy)
            found.closed_period_policy = request.closed_period_policy.value
        await _commit(session, found.name)
        if request.closed_period_policy is not None and before != request.closed_period_policy.value:
            _log_policy(found.name, before, request.closed_period_policy)
        return view(found)


def _check_closed_period_policy(system: ERPSystem, policy: ClosedPeriodPolicy) -> None:
    """Draft bills are a Xero policy: a Xero DRAFT does not post, so a locked period takes it."""
    if policy is ClosedPeriodPolicy.DRAFT and system is not ERPSystem.XERO:
        raise ConfigurationError(
            f"--closed-period-policy: draft is for Xero connections only ({system.value} has no draft "
            "bill that a closed period accepts); use review or redate"
        )


def _log_policy(name: str, before: str | None, policy: ClosedPeriodPolicy) -> None:
    log.info(
        "connection %r: closed-period policy %s -> %s (an invoice dated in a closed ERP period is %s)",
        name,
        before or "(new)",
        policy.value,
        {"review": "sent to review", "redate": "re-dated to the first open day", "draft": "a Xero draft"}[
            policy.value
        ],
    )


async def _replace_credentials(
    ctx: AppContext, session: AsyncSession, found: ERPConnection, credentials: dict[str, JsonValue]
) -> None:
    """New credentials, whole; a connection waiting for them (auth error) is ready to test again."""
    stored = await replace_credentials(
        session,
        vault=ctx.vault,
        connection_id=found.id,
        expected_version=found.credentials_version,
        credentials=credentials,
    )
    if not stored:
        raise ConflictError(
            f"connection {found.name!r}: its credentials changed while updating (a token refresh?); try again"
        )
    for column, value in registry.provider(found.system_type.value).column_values(credentials).items():
        if value:  # a column the provider keeps beside the credentials (Xero's tenant, SAP's company)
            setattr(found, column, value)
    found.status, found.connection_error = ConnectionStatus.PENDING, None


async def list_connections(ctx: AppContext) -> list[ConnectionView]:
    """Every connection, by name."""
    async with ctx.sessions() as session:
        rows = await session.scalars(select(ERPConnection).order_by(ERPConnection.name))
        return [view(connection) for connection in rows]


async def find_connection(ctx: AppContext, name_or_id: str) -> ConnectionView:
    """One connection by name or id, without reading its credentials."""
    async with ctx.sessions() as session:
        return view(await resolve_connection(session, name_or_id))


async def get_connection(ctx: AppContext, name_or_id: str) -> ConnectionDetail:
    """One connection with the names of its stored credential fields (which needs the keys)."""
    async with ctx.sessions() as session:
        found = await resolve_connection(session, name_or_id)
        keys = sorted(read_credentials(found, vault=ctx.vault))
        return ConnectionDetail(**view(found).model_dump(), credentials_set=keys)


async def _reach(
    ctx: AppContext, session: AsyncSession, found: ERPConnection, call: Callable[[ERPConnector], Awaitable[T]]
) -> T:
    try:
        async with ctx.sync_context().connector(found) as erp:
            return await call(erp)
    except ERPAuthError as exc:
        mark_auth_failure(found, exc)
        await session.commit()
        raise


async def with_connector(
    ctx: AppContext, name_or_id: str, call: Callable[[ERPConnector], Awaitable[T]]
) -> tuple[ConnectionView, T]:
    """Run `call` on a connector of the connection. A refused authorisation marks the connection
    (status `error`, with what to do) and is raised on; any other error is raised as it is."""
    async with ctx.sessions() as session:
        found = await resolve_connection(session, name_or_id)
        result = await _reach(ctx, session, found, call)
        return view(found), result


async def test_connection(ctx: AppContext, name_or_id: str) -> ConnectionInfo:
    """Reach the ERP with the stored credentials; the company behind them. Success makes the
    connection `active` (and clears a recorded error)."""
    async with ctx.sessions() as session:
        found = await resolve_connection(session, name_or_id)
        info = await _reach(ctx, session, found, lambda erp: erp.test_connection())
        previous, found.status, found.connection_error = found.status, ConnectionStatus.ACTIVE, None
        raised.connection_status(found, previous)  # connection.recovered when it was in error
        found.last_connected_at = info.checked_at
        await session.commit()
        return info


async def remove_connection(ctx: AppContext, name_or_id: str) -> ConnectionRemoved:
    """Delete a connection with its logs, mappings, cursors and conflicts (SmartAP's records stay)."""
    async with ctx.sessions() as session:
        found = await resolve_connection(session, name_or_id)
        removed = ConnectionRemoved(id=found.id, name=found.name)
        await session.delete(found)
        await session.commit()
        return removed
