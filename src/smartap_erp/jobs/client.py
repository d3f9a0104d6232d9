"""`JobClient`: how the CLI (or any process that is not a worker) queues jobs and follows them.

It talks only to the DBOS system database (a `DBOSClient`), so queuing never runs a job in the CLI
process: workers do. Sync requests first go through `jobs.requests.claim`, so an identical request
already queued is joined rather than queued again.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from typing import Any

from dbos import DBOSClient, EnqueueOptions, run_dbos_database_migrations
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from smartap_erp.errors import ConflictError, NotFoundError
from smartap_erp.jobs import requests
from smartap_erp.jobs.config import (
    APP_NAME,
    EXPORT_WORKFLOW,
    PAYMENTS_WORKFLOW,
    PROGRESS_EVENT,
    QUEUE_NAME,
    SYNC_WORKFLOW,
    SYSTEM_SCHEMA,
    system_database_url,
)
from smartap_erp.settings import Settings

FAILED_STATES = ("ERROR", "CANCELLED", "MAX_RECOVERY_ATTEMPTS_EXCEEDED")
DONE_STATES = ("SUCCESS", *FAILED_STATES)


def sync_args(
    connection_id: uuid.UUID,
    entities: list[str],
    *,
    since: str | None,
    limit: int | None,
    full: bool,
    by: str,
) -> tuple[Any, ...]:
    """The inputs of a sync workflow (queued, or run `--inline`)."""
    return (str(connection_id), entities, since, limit, by, full)


def export_args(connection_id: uuid.UUID, invoice_ids: list[str] | None, by: str) -> tuple[Any, ...]:
    return (str(connection_id), invoice_ids, by)


def payments_args(connection_id: uuid.UUID, by: str) -> tuple[Any, ...]:
    return (str(connection_id), by)


@dataclass(frozen=True)
class Queued:
    workflow_id: str
    joined: bool  # an identical request was already queued: this is that one


class JobClient:
    def __init__(self, settings: Settings) -> None:
        url = system_database_url(settings)
        run_dbos_database_migrations(url, schema=SYSTEM_SCHEMA)  # no-op once a worker created it
        self._client = DBOSClient(
            system_database_url=url, dbos_system_schema=SYSTEM_SCHEMA, application_name=APP_NAME
        )
        # Created here if no worker ever ran, but never overwritten: a worker registers it with its
        # polling interval (SMARTAP_JOBS_POLLING_SECONDS), which "always_update" reset to DBOS's 1 s
        # default for every worker at each CLI command (their queue threads reload it every poll).
        self._client.register_queue(QUEUE_NAME, partition_concurrency=1, on_conflict="never_update")

    def close(self) -> None:
        self._client.destroy()

    async def _queue(
        self,
        sessions: async_sessionmaker[AsyncSession],
        connection_id: uuid.UUID,
        workflow: str,
        key: str,
        args: tuple[Any, ...],
    ) -> Queued:
        found, fresh = await requests.claim(
            sessions,
            connection_id,
            key,
            f"{workflow.split('.')[-1]}-{uuid.uuid4()}",
            workflow_exists=self.exists,
            workflow_done=self.done,
        )
        if not fresh:
            return Queued(found, joined=True)
        options = EnqueueOptions(
            workflow_name=workflow,
            queue_name=QUEUE_NAME,
            workflow_id=found,
            queue_partition_key=str(connection_id),
        )
        try:
            # DBOSClient is blocking (a database round trip): keep it off the event loop.
            await asyncio.to_thread(self._client.enqueue, options, *args)
        except Exception:
            await requests.release(sessions, found)
            raise
        return Queued(found, joined=False)

    async def sync(
        self,
        sessions: async_sessionmaker[AsyncSession],
        connection_id: uuid.UUID,
        entities: list[str],
        *,
        since: str | None = None,
        limit: int | None = None,
        full: bool = False,
        triggered_by: str = "cli",
    ) -> Queued:
        key = requests.request_key("sync", entities=entities, since=since, limit=limit, full=full)
        args = sync_args(connection_id, entities, since=since, limit=limit, full=full, by=triggered_by)
        return await self._queue(sessions, connection_id, SYNC_WORKFLOW, key, args)

    async def export(
        self,
        sessions: async_sessionmaker[AsyncSession],
        connection_id: uuid.UUID,
        invoice_ids: list[str] | None,
        triggered_by: str = "cli",
    ) -> Queued:
        key = requests.request_key("export", invoice_ids=invoice_ids)
        args = export_args(connection_id, invoice_ids, triggered_by)
        return await self._queue(sessions, connection_id, EXPORT_WORKFLOW, key, args)

    async def payments(
        self, sessions: async_sessionmaker[AsyncSession], connection_id: uuid.UUID, triggered_by: str = "cli"
    ) -> Queued:
        key = requests.request_key("payments")
        args = payments_args(connection_id, triggered_by)
        return await self._queue(sessions, connection_id, PAYMENTS_WORKFLOW, key, args)

    async def exists(self, workflow_id: str) -> bool:
        return await asyncio.to_thread(self.status, workflow_id) is not None

    async def done(self, workflow_id: str) -> bool:
        """Whether the job has ended (succeeded, failed or cancelled): nothing left to join."""
        status = await asyncio.to_thread(self.status, workflow_id)
        return status is not None and status["status"] in DONE_STATES

    def status(self, workflow_id: str) -> dict[str, Any] | None:
        """Status, output or error, and the last progress event of a workflow; None if unknown."""
        found = self._client.list_workflows(workflow_ids=[workflow_id])
        if not found:
            return None
        wf = found[0]
        return {
            "workflow_id": wf.workflow_id,
            "workflow": wf.name,
            "status": wf.status,
            "inputs": list(wf.input["args"]) if wf.input else [],
            "result": wf.output,
            "error": str(wf.error) if wf.error else None,
        }

    def progress(self, workflow_id: str) -> dict[str, Any] | None:
        value = self._client.get_event(workflow_id, PROGRESS_EVENT, timeout_seconds=0)
        return value if isinstance(value, dict) else None

    async def retry(self, sessions: async_sessionmaker[AsyncSession], workflow_id: str) -> Queued:
        """Queue a failed job again with the same inputs (a new workflow; the old one stays for history)."""
        status = await asyncio.to_thread(self.status, workflow_id)
        if status is None:
            raise NotFoundError(f"no job with id {workflow_id!r}")
        if status["status"] not in FAILED_STATES:
            raise ConflictError(f"job {workflow_id} is {status['status']}, not failed: nothing to retry")
        args = status["inputs"]
        connection_id = uuid.UUID(str(args[0]))
        if status["workflow"] == SYNC_WORKFLOW:
            full = bool(args[5]) if len(args) > 5 else False
            return await self.sync(
                sessions, connection_id, list(args[1]), since=args[2], limit=args[3], full=full
            )
        if status["workflow"] == EXPORT_WORKFLOW:
            return await self.export(sessions, connection_id, args[1])
        return await self.payments(sessions, connection_id)
