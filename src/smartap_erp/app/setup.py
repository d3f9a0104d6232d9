"""Setting a connection up step by step, as the web UI's setup wizard does, on top of
`app.connections` and `app.oauth`. A connection being set up is stored from the moment its
credentials (or OAuth tokens) arrive, in status `pending` with automatic syncs off, so an abandoned
setup leaves a connection that is clearly pending and that the scheduler never syncs; `finish`
applies the sync settings chosen and tests it, which makes it `active`. `hold` puts a connection an
OAuth connect just created back to that state (the connect flow stores it active); `check` reaches
the ERP without changing the status; `entered` gives back what a person typed (non-secret credential
values, and only the names of the secret ones stored), so going back a step shows it again;
`discard` deletes a connection still being set up (pending or in error, never synced), nothing else.
"""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import JsonValue, Secret

from smartap_erp.app.connections import (
    ConnectionRemoved,
    ConnectionUpdate,
    ConnectionView,
    PolicyEntity,
    remove_connection,
    test_connection,
    update_connection,
    view,
    with_connector,
)
from smartap_erp.app.context import AppContext, resolve_connection
from smartap_erp.app.models import AppModel
from smartap_erp.app.providers import CredentialFieldInfo, get_provider
from smartap_erp.connectors.models import ConnectionInfo
from smartap_erp.connectors.registry import registry
from smartap_erp.db.connections import read_credentials
from smartap_erp.domain.enums import ConnectionStatus
from smartap_erp.errors import ConflictError
from smartap_erp.sync.imports.planning import Policy

SETUP_STATUSES = frozenset({ConnectionStatus.PENDING, ConnectionStatus.ERROR})
# What an OAuth connect fills in itself (app.oauth): the company of the redirect (QuickBooks' realmId),
# the organisation chosen (Xero's tenant) and the token pair. A person enters only the rest.
OAUTH_FLOW_FIELDS = frozenset({"realm_id", "tenant_id", "access_token", "refresh_token"})


class EnteredValues(AppModel):
    """What was entered for a connection: the non-secret credential values, and which secrets are set."""

    values: dict[str, str]
    secrets_set: list[str]


def fields_to_enter(system: str) -> list[CredentialFieldInfo]:
    """The credential fields a person types for `system`: all of them, or for an OAuth ERP those its
    connect flow does not fill."""
    info = get_provider(system)
    if info.oauth is None:
        return list(info.credential_fields)
    return [spec for spec in info.credential_fields if spec.name not in OAUTH_FLOW_FIELDS]


def in_setup(connection: ConnectionView) -> bool:
    """Still being set up: never synced, and not yet active (pending, or in error after a test)."""
    return connection.status in SETUP_STATUSES and connection.last_sync_at is None


async def hold(ctx: AppContext, name_or_id: str) -> ConnectionView:
    """Back to `pending` with automatic syncs off, until `finish` (after an OAuth connect)."""
    async with ctx.sessions() as session:
        found = await resolve_connection(session, name_or_id)
        found.status, found.auto_sync_enabled = ConnectionStatus.PENDING, False
        await session.commit()
        return view(found)


async def check(ctx: AppContext, name_or_id: str) -> ConnectionInfo:
    """The company behind the stored credentials; the status stays (a refused login still marks the
    connection in error, as every ERP call does)."""
    _, info = await with_connector(ctx, name_or_id, lambda erp: erp.test_connection())
    return info


async def entered(ctx: AppContext, name_or_id: str) -> EnteredValues:
    async with ctx.sessions() as session:
        found = await resolve_connection(session, name_or_id)
        stored = read_credentials(found, vault=ctx.vault)
    provider = registry.provider(found.system_type.value)
    values, secrets_set = {}, []
    for spec in provider.credential_fields:
        value = stored.get(spec.name)
        if value is None or value == "":
            continue
        if spec.secret:
            secrets_set.append(spec.name)
        else:
            values[spec.name] = str(value)
    return EnteredValues(values=values, secrets_set=secrets_set)


async def finish(
    ctx: AppContext,
    name_or_id: str,
    *,
    auto_sync: bool,
    interval_minutes: int,
    policies: dict[PolicyEntity, Policy],
) -> ConnectionInfo:
    """Apply the sync settings and test the connection (which makes it `active`). Automatic syncs
    are switched on only once the test passed: a failed test leaves them off."""
    settings = ConnectionUpdate(interval_minutes=interval_minutes, conflict_policies=policies)
    await update_connection(ctx, name_or_id, settings)
    info = await test_connection(ctx, name_or_id)
    await update_connection(ctx, name_or_id, ConnectionUpdate(auto_sync=auto_sync))
    return info


async def discard(ctx: AppContext, name_or_id: str) -> ConnectionRemoved:
    """Delete a connection that is still being set up; refuse any other."""
    async with ctx.sessions() as session:
        found = view(await resolve_connection(session, name_or_id))
    if not in_setup(found):
        raise ConflictError(
            f"connection {found.name!r} is {found.status.value}, not being set up: "
            "delete it from the connections page"
        )
    return await remove_connection(ctx, str(found.id))


def field_problems(ctx: AppContext, system: str, values: Mapping[str, str]) -> dict[str, str]:
    """What is wrong with each entered credential field, by name (a blank field a setting fills is
    fine). Secret values are never echoed in a message."""
    provider = registry.provider(system)
    filled = provider.with_settings({k: v for k, v in values.items() if v}, ctx.settings)
    problems = {}
    for spec in provider.credential_fields:
        if spec.name in values:
            problem = spec.problem(filled.get(spec.name))
            if problem:
                problems[spec.name] = problem
    return problems


def filled_by_settings(ctx: AppContext, system: str) -> set[str]:
    """The credential fields this installation's settings fill when left blank (QUICKBOOKS_CLIENT_ID ...)."""
    provider = registry.provider(system)
    return {name for name, value in provider.with_settings({}, ctx.settings).items() if value}


def secret_values(values: dict[str, JsonValue]) -> dict[str, Secret[JsonValue]]:
    """Credential values as the connection requests take them (wrapped, never shown)."""
    return {name: Secret(value) for name, value in values.items()}
