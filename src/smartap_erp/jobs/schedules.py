"""Schedules: one DBOS scheduled workflow, the tick, fires every minute (DBOS gives each firing a
deterministic workflow id, so it runs once per minute however many workers run). Each tick enqueues
the jobs that are due: a sync of every connection with `auto_sync_enabled` once per its
`sync_interval_minutes`, a payment-status sync every `ERP_PAYMENT_SYNC_INTERVAL_MINUTES`, and a
reconciliation report once a UTC day (`jobs.reconcile`, raising `reconciliation.drift`). A demo
connection is due only while the demo worker serving its simulators is alive (its heartbeat).

A due job's workflow id is `sched-KIND-CONNECTION-SLOT`, SLOT being the interval number since the
epoch: every tick within one interval names the same workflow, and DBOS returns the existing one
instead of queuing another. `ERP_SYNC_ENABLED=false` makes the tick do nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from dbos import DBOS, Queue, SetEnqueueOptions, SetWorkflowID
from sqlalchemy import or_, select

from smartap_erp.db.models import ERPConnection
from smartap_erp.domain.enums import ConnectionStatus
from smartap_erp.jobs import heartbeat, requests
from smartap_erp.jobs.operations import environment
from smartap_erp.jobs.reconcile import RECONCILE_MINUTES, RECONCILE_WORKFLOW, reconcile
from smartap_erp.jobs.workflows import ENTITIES, PAYMENTS_WORKFLOW, SYNC_WORKFLOW, WORKFLOWS

TICK_SCHEDULE = "smartap.tick"
_queue: Queue | None = None


def set_queue(queue: Queue) -> None:
    global _queue
    _queue = queue


@dataclass(frozen=True)
class DueJob:
    kind: str  # "sync", "payments" or "reconcile"
    connection_id: str
    slot: int

    @property
    def workflow_id(self) -> str:
        return f"sched-{self.kind}-{self.connection_id}-{self.slot}"


def due_jobs(
    connections: Iterable[tuple[str, int]],
    at: dt.datetime,
    *,
    payment_minutes: int,
    minute_seconds: float = 60.0,
) -> list[DueJob]:
    """The jobs of the interval containing `at`, for (connection id, sync interval minutes) pairs."""
    seconds = at.timestamp()
    jobs = []
    for connection_id, interval in connections:
        jobs.append(DueJob("sync", connection_id, int(seconds // (interval * minute_seconds))))
        jobs.append(DueJob("payments", connection_id, int(seconds // (payment_minutes * minute_seconds))))
        jobs.append(DueJob("reconcile", connection_id, int(seconds // (RECONCILE_MINUTES * minute_seconds))))
    return jobs


def tick_cron(minute_seconds: float) -> str:
    """A 6-field cron (seconds first) firing once per (possibly shortened) minute."""
    if minute_seconds >= 60:
        return "0 * * * * *"
    step = max(1, int(minute_seconds))
    return "* * * * * *" if step == 1 else f"*/{step} * * * * *"


@DBOS.step(name="smartap.due_jobs")
async def find_due(at: str) -> list[list[Any]]:
    env = environment()
    demo_workers = await heartbeat.alive_ids(env.sessions, now=dt.datetime.now(dt.UTC))
    async with env.sessions() as session:
        rows = await session.execute(
            select(ERPConnection.id, ERPConnection.sync_interval_minutes).where(
                ERPConnection.auto_sync_enabled.is_(True),
                ERPConnection.status != ConnectionStatus.ERROR,
                or_(
                    ERPConnection.is_demo.is_(False),
                    ERPConnection.demo_worker_id.in_(sorted(demo_workers)),
                ),
            )
        )
        pairs = [(str(cid), int(interval)) for cid, interval in rows]
    jobs = due_jobs(
        pairs,
        dt.datetime.fromisoformat(at),
        payment_minutes=env.settings.erp_payment_sync_interval_minutes,
        minute_seconds=env.options.minute_seconds,
    )
    return [[job.kind, job.connection_id, job.workflow_id] for job in jobs]


@DBOS.step(name="smartap.claim_request")
async def claim_request(connection_id: str, key: str, workflow_id: str) -> list[Any]:
    import uuid

    async def exists(wid: str) -> bool:
        return await DBOS.get_workflow_status_async(wid) is not None

    async def done(wid: str) -> bool:
        status = await DBOS.get_workflow_status_async(wid)
        return status is not None and status.status in ("SUCCESS", "ERROR", "CANCELLED")

    found, fresh = await requests.claim(
        environment().sessions,
        uuid.UUID(connection_id),
        key,
        workflow_id,
        workflow_exists=exists,
        workflow_done=done,
    )
    return [found, fresh]


@DBOS.workflow(name="smartap.schedule_tick")
async def schedule_tick(at: dt.datetime, context: Any) -> int:
    """Enqueue what is due at `at`; returns how many jobs this tick queued."""
    if not environment().settings.erp_sync_enabled or _queue is None:
        return 0
    queued = 0
    for kind, connection_id, workflow_id in await find_due(at.isoformat()):
        status = await DBOS.get_workflow_status_async(workflow_id)
        if status is not None:
            continue  # this interval's job exists already
        if kind == "sync":
            key = requests.request_key("sync", entities=ENTITIES)
            args: tuple[Any, ...] = (connection_id, list(ENTITIES), None, None, "schedule")
            name = SYNC_WORKFLOW
        elif kind == "reconcile":
            key, args, name = (
                requests.request_key("reconcile"),
                (connection_id, "schedule", True),
                RECONCILE_WORKFLOW,
            )
        else:
            key, args, name = requests.request_key("payments"), (connection_id, "schedule"), PAYMENTS_WORKFLOW
        found, fresh = await claim_request(connection_id, key, workflow_id)
        if not fresh:
            continue  # an identical request is queued: it is this interval's run
        with SetWorkflowID(found), SetEnqueueOptions(queue_partition_key=connection_id):
            await _queue.enqueue_async({**WORKFLOWS, RECONCILE_WORKFLOW: reconcile}[name], *args)
        queued += 1
    return queued
