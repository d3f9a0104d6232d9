"""What `/metrics` reports about the work itself, read from the database at each scrape, since the
ERP calls and the runs happen in worker processes that expose no endpoint of their own: jobs queued,
live workers, sync runs by outcome (all time), and over a recent window (24 hours by default) the
durations of the finished sync and export runs as histograms per ERP, entity, direction and outcome
(the bucket counts computed in the database: one grouped query returns a row per group and bucket,
never a row per run) and each ERP's requests, 429s and failed answers, counted from the HTTP
exchanges the runs recorded (`http.recorder`; exchanges a run did not keep, past its first 200 and
1000 failures, are not counted). Each figure is one aggregate query over an indexed time column, so
a scrape stays cheap however long the history is.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Row, case, func, literal_column, select

from smartap_erp.app.context import AppContext
from smartap_erp.app.models import AppModel
from smartap_erp.db.models import ERPConnection, ERPSyncLog, ERPSyncLogExchange, ERPSyncRequest
from smartap_erp.jobs import heartbeat

WINDOW = dt.timedelta(hours=24)
# Upper bounds (seconds) of the run-duration buckets: a small incremental import takes seconds, a
# first import of a large ERP tens of minutes (docs/performance.md); +Inf follows.
DURATION_BUCKETS = (1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600)


class RunCount(AppModel):
    entity: str
    direction: str
    status: str
    runs: int


class RunDurations(AppModel):
    """The finished runs of one ERP, entity, direction and outcome in the window, by duration."""

    erp: str
    entity: str
    direction: str
    status: str
    buckets: tuple[int, ...]  # cumulative: runs of at most each `DURATION_BUCKETS` bound, in order
    runs: int  # all of them (the +Inf bucket)
    seconds: int  # their summed durations


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
    durations: tuple[RunDurations, ...]  # finished runs started within the window
    erp: tuple[ERPActivity, ...]  # within the window


def _bucket_of() -> ColumnElement[Any]:
    """The index in `DURATION_BUCKETS` of a run's duration (len for +Inf), as inline SQL constants
    (bound parameters would differ between the select list and GROUP BY on PostgreSQL)."""
    seconds = ERPSyncLog.duration_seconds
    return case(
        *(
            (seconds <= literal_column(str(bound)), literal_column(str(index)))
            for index, bound in enumerate(DURATION_BUCKETS)
        ),
        else_=literal_column(str(len(DURATION_BUCKETS))),
    )


async def snapshot(ctx: AppContext, *, now: dt.datetime, window: dt.timedelta = WINDOW) -> MetricsSnapshot:
    since = now - window
    by_outcome = (ERPSyncLog.entity_type, ERPSyncLog.sync_direction, ERPSyncLog.status)
    bucket = _bucket_of()
    async with ctx.sessions() as session:
        queued = await session.scalar(select(func.count()).select_from(ERPSyncRequest)) or 0
        runs = (await session.execute(select(*by_outcome, func.count()).group_by(*by_outcome))).all()
        by_bucket = (ERPConnection.system_type, *by_outcome, bucket)
        durations = (
            await session.execute(
                select(*by_bucket, func.count(), func.sum(ERPSyncLog.duration_seconds))
                .join(ERPConnection, ERPConnection.id == ERPSyncLog.connection_id)
                .where(ERPSyncLog.started_at >= since, ERPSyncLog.duration_seconds.is_not(None))
                .group_by(*by_bucket)
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
        runs=tuple(
            RunCount(entity=_text(e), direction=_text(d), status=_text(s), runs=n) for e, d, s, n in runs
        ),
        durations=_histograms(durations),
        erp=tuple(
            ERPActivity(system=str(system), requests=n, throttled=int(t or 0), failed=int(f or 0))
            for system, n, t, f in erp
        ),
    )


def _text(value: object) -> str:
    return str(getattr(value, "value", value))


def _histograms(rows: Sequence[Row[Any]]) -> tuple[RunDurations, ...]:
    """Rows of (erp, entity, direction, status, bucket index, runs, seconds) as cumulative histograms."""
    counts: dict[tuple[str, str, str, str], list[int]] = {}
    seconds: dict[tuple[str, str, str, str], int] = {}
    for row in rows:
        erp, entity, direction, status, index, runs, total = tuple(row)
        key = (_text(erp), _text(entity), _text(direction), _text(status))
        counts.setdefault(key, [0] * (len(DURATION_BUCKETS) + 1))[int(index)] += int(runs)
        seconds[key] = seconds.get(key, 0) + int(total or 0)
    found = []
    for key in sorted(counts):
        cumulative = list(itertools.accumulate(counts[key]))
        names = dict(zip(("erp", "entity", "direction", "status"), key, strict=True))
        found.append(
            RunDurations(**names, buckets=tuple(cumulative[:-1]), runs=cumulative[-1], seconds=seconds[key])
        )
    return tuple(found)
