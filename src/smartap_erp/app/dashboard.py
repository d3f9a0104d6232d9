"""What the sync dashboard shows, in the application layer: how the runs of each connection and entity
ended over the last 7 and 30 days (`run_counts`: one grouped query over the indexed start time), and
each connection's ERP API usage against its ERP's limits (`api_usage`): the requests its runs sent and
the 429s they met over 24 hours (the recorded HTTP exchanges, plus the ones a run only counted), beside
the limits its provider description applies (`connectors/<erp>/limits.py`, for this connection's
realm, tenant or account) and what is left of a daily quota (Xero's 5,000 calls a day per tenant,
xero.md §Rate limits), counted over the same 24 hours as the limiter's sliding day.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence

from sqlalchemy import Integer, case, func, select

from smartap_erp.app.context import AppContext
from smartap_erp.app.models import AppModel
from smartap_erp.connectors.registry import registry
from smartap_erp.db.connections import read_credentials
from smartap_erp.db.models import ERPConnection, ERPSyncLog, ERPSyncLogExchange
from smartap_erp.errors import SmartAPError
from smartap_erp.http.ratelimit import RateLimitPolicy, Window

WEEK = dt.timedelta(days=7)
MONTH = dt.timedelta(days=30)
USAGE_WINDOW = dt.timedelta(hours=24)
DAY_SECONDS = 86_400.0
OUTCOMES = ("completed", "partial", "failed")  # a run still going counts in `running`


class Tally(AppModel):
    completed: int = 0
    partial: int = 0
    failed: int = 0
    running: int = 0

    @property
    def total(self) -> int:
        return self.completed + self.partial + self.failed + self.running


class RunCounts(AppModel):
    """How the runs of one connection and entity ended, over 7 and 30 days."""

    connection_id: uuid.UUID
    connection: str
    entity: str
    week: Tally
    month: Tally


class QuotaLeft(AppModel):
    name: str  # the window's name ("day")
    limit: int
    left: int


class ConnectionUsage(AppModel):
    """One connection's ERP API use over `USAGE_WINDOW` and the limits its ERP applies to it."""

    connection_id: uuid.UUID
    connection: str
    system: str
    requests: int  # sent by its runs (every retry attempt counts)
    throttled: int  # answered 429
    limits: list[str]  # "500 per minute", "10 at once" ...; [] when the ERP publishes none
    daily: list[QuotaLeft]  # daily quotas and what is left of them
    limits_unknown: str | None = None  # why the limits could not be read (unreadable credentials)


async def run_counts(ctx: AppContext, *, now: dt.datetime) -> list[RunCounts]:
    """Per connection and entity (by name, then entity), the runs started in the last 30 days by how
    they ended, and those of the last 7 days."""
    week = case((ERPSyncLog.started_at >= now - WEEK, 1), else_=0)
    keys = (ERPSyncLog.connection_id, ERPConnection.name, ERPSyncLog.entity_type, ERPSyncLog.status)
    async with ctx.sessions() as session:
        rows = (
            await session.execute(
                select(*keys, func.count(), func.sum(week))
                .join(ERPConnection, ERPConnection.id == ERPSyncLog.connection_id)
                .where(ERPSyncLog.started_at >= now - MONTH, ERPSyncLog.started_at <= now)
                .group_by(*keys)
            )
        ).all()
    tallies: dict[tuple[uuid.UUID, str, str], tuple[dict[str, int], dict[str, int]]] = {}
    for connection_id, name, entity, status, runs, recent in rows:
        key = (connection_id, str(name), str(getattr(entity, "value", entity)))
        week_counts, month_counts = tallies.setdefault(key, ({}, {}))
        outcome = str(getattr(status, "value", status))
        field = outcome if outcome in OUTCOMES else "running"
        month_counts[field] = month_counts.get(field, 0) + int(runs)
        week_counts[field] = week_counts.get(field, 0) + int(recent or 0)
    found = [
        RunCounts(connection_id=cid, connection=name, entity=entity, week=Tally(**week), month=Tally(**month))
        for (cid, name, entity), (week, month) in tallies.items()
    ]
    return sorted(found, key=lambda c: (c.connection.lower(), c.entity))


async def logs_of_job(ctx: AppContext, job_id: str) -> list[uuid.UUID]:
    """The sync logs a job's runs wrote, oldest first (a failed job's result does not name them)."""
    async with ctx.sessions() as session:
        found = await session.scalars(
            select(ERPSyncLog.id)
            .where(ERPSyncLog.workflow_id == job_id)
            .order_by(ERPSyncLog.started_at, ERPSyncLog.id)
        )
        return list(found)


def describe(policy: RateLimitPolicy) -> list[str]:
    """A policy's limits as people read them: "500 per minute", "10 at once", "40 per batch-minute
    (/batch$)"."""
    where = f" ({policy.paths})" if policy.paths else ""
    found = [f"{w.limit:,} per {w.name or _period(w)}{where}" for w in policy.windows]
    if policy.concurrency is not None:
        found.append(f"{policy.concurrency} at once{where}")
    return found


def _period(window: Window) -> str:
    named = {1.0: "second", 60.0: "minute", 3600.0: "hour", DAY_SECONDS: "day"}
    return named.get(window.seconds, f"{window.seconds:g} s")


async def _requests_since(ctx: AppContext, since: dt.datetime) -> dict[uuid.UUID, tuple[int, int]]:
    """Per connection: requests (recorded and only counted) and 429s since `since`."""
    status = ERPSyncLogExchange.status
    omitted = ERPSyncLog.sync_params["http_exchanges_omitted"].as_integer()
    async with ctx.sessions() as session:
        recorded = (
            await session.execute(
                select(ERPSyncLog.connection_id, func.count(), func.sum(case((status == 429, 1), else_=0)))
                .select_from(ERPSyncLogExchange)
                .join(ERPSyncLog, ERPSyncLog.id == ERPSyncLogExchange.sync_log_id)
                .where(ERPSyncLogExchange.at >= since)
                .group_by(ERPSyncLog.connection_id)
            )
        ).all()
        counted = (
            await session.execute(
                select(ERPSyncLog.connection_id, func.sum(func.coalesce(omitted, 0).cast(Integer)))
                .where(ERPSyncLog.started_at >= since)
                .group_by(ERPSyncLog.connection_id)
            )
        ).all()
    found = {cid: (int(n), int(t or 0)) for cid, n, t in recorded}
    for cid, extra in counted:
        requests, throttled = found.get(cid, (0, 0))
        found[cid] = (requests + int(extra or 0), throttled)
    return found


def _limits(ctx: AppContext, connection: ERPConnection) -> Sequence[RateLimitPolicy]:
    provider = registry.provider(str(connection.system_type))
    credentials = read_credentials(connection, vault=ctx.vault)  # the keys name realm/tenant; never shown
    return [policy for _key, policy in provider.rate_limits(credentials)]


async def api_usage(ctx: AppContext, *, now: dt.datetime) -> list[ConnectionUsage]:
    """Every connection's requests and 429s over the last 24 hours against its ERP's limits."""
    used = await _requests_since(ctx, now - USAGE_WINDOW)
    async with ctx.sessions() as session:
        connections = list(await session.scalars(select(ERPConnection).order_by(ERPConnection.name)))
    return [_usage(ctx, connection, *used.get(connection.id, (0, 0))) for connection in connections]


def _usage(ctx: AppContext, connection: ERPConnection, requests: int, throttled: int) -> ConnectionUsage:
    limits: list[str] = []
    daily: list[QuotaLeft] = []
    unknown = None
    try:
        policies = _limits(ctx, connection)
    except (SmartAPError, KeyError) as exc:  # unreadable or incomplete credentials, an unknown ERP
        unknown, policies = type(exc).__name__, []
    for policy in policies:
        limits.extend(describe(policy))
        daily.extend(
            QuotaLeft(name=w.name or "day", limit=w.limit, left=max(0, w.limit - requests))
            for w in policy.windows
            if w.seconds == DAY_SECONDS and policy.paths is None
        )
    return ConnectionUsage(
        connection_id=connection.id,
        connection=connection.name,
        system=str(connection.system_type),
        requests=requests,
        throttled=throttled,
        limits=limits,
        daily=daily,
        limits_unknown=unknown,
    )
