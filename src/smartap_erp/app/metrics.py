"""What `/metrics` reports about the work itself, read from the database at each scrape, since the
ERP calls and the runs happen in worker processes that expose no endpoint of their own: jobs queued,
live workers, sync runs by outcome (all time), and over a recent window (24 hours by default) the
runs' durations and each ERP's requests, 429s and failed answers, counted from the HTTP exchanges the
runs recorded (`http.recorder`; exchanges a run did not keep, past its first 200 and 1000 failures,
are not counted). Each figure is one aggregate query over an indexed time column, so a scrape stays
cheap however long the history is.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import case, func, select

from smartap_erp.app.context import AppContext
from smartap_erp.app.models import AppModel
from smartap_erp.db.models import ERPConnection, ERPSyncLog, ERPSyncLogExchange, ERPSyncRequest
from smartap_erp.jobs import heartbeat

WINDOW = dt.timedelta(hours=24)


class RunCount(AppModel):
    entity: str
    direction: str
    status: str
    runs: int
    seconds: int = 0  # summed durations (window figures only)


class ERPActivity(AppModel):
    system: str
    requests: int
    throttled: int  # answered 429
    failed: int  # answered 5xx, or no answer at all


class MetricsSnapshot(AppModel):
    window_hours: float
    queued_jobs: int
    workers_alive: int
    runs: tuple[RunCount, ...]  # all time
    recent_runs: tuple[RunCount, ...]  # started within the window, with their durations
    erp: tuple[ERPActivity, ...]  # within the window


async def snapshot(ctx: AppContext, *, now: dt.datetime, window: dt.timedelta = WINDOW) -> MetricsSnapshot:
    since = now - window
    by_outcome = (ERPSyncLog.entity_type, ERPSyncLog.sync_direction, ERPSyncLog.status)
    async with ctx.sessions() as session:
        queued = await session.scalar(select(func.count()).select_from(ERPSyncRequest)) or 0
        runs = (await session.execute(select(*by_outcome, func.count()).group_by(*by_outcome))).all()
        recent = (
            await session.execute(
                select(*by_outcome, func.count(), func.coalesce(func.sum(ERPSyncLog.duration_seconds), 0))
                .where(ERPSyncLog.started_at >= since)
                .group_by(*by_outcome)
            )
        ).all()
        status = ERPSyncLogExchange.status
        erp = (
            await session.execute(
                select(
                    ERPConnection.system_type,
                    func.count(),
                    func.sum(case((status == 429, 1), else_=0)),
                    func.sum(case((status.is_(None) | (status >= 500), 1), else_=0)),
                )
                .join(ERPSyncLog, ERPSyncLog.id == ERPSyncLogExchange.sync_log_id)
                .join(ERPConnection, ERPConnection.id == ERPSyncLog.connection_id)
                .where(ERPSyncLogExchange.at >= since)
                .group_by(ERPConnection.system_type)
            )
        ).all()
    return MetricsSnapshot(
        window_hours=window.total_seconds() / 3600,
        queued_jobs=queued,
        workers_alive=len(await heartbeat.alive(ctx.sessions, now=now)),
        runs=tuple(_count(*row) for row in runs),
        recent_runs=tuple(_count(*row[:4], seconds=int(row[4] or 0)) for row in recent),
        erp=tuple(
            ERPActivity(system=str(system), requests=n, throttled=int(t or 0), failed=int(f or 0))
            for system, n, t, f in erp
        ),
    )


def _count(entity: object, direction: object, status: object, runs: int, *, seconds: int = 0) -> RunCount:
    return RunCount(
        entity=str(getattr(entity, "value", entity)),
        direction=str(getattr(direction, "value", direction)),
        status=str(getattr(status, "value", status)),
        runs=runs,
        seconds=seconds,
    )
