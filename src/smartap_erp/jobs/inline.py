"""`--inline`: run a sync, export or payment sync in this process, through the same job bodies and
steps a worker runs (`jobs.workflows.run_*` with an `InlineRunner`), so it writes the same sync logs
and gives the same output. Nothing is queued, so it does not join a queued identical request: meant
for when no worker runs (a laptop, a one-off). It holds the connection's lease (`jobs.lease`) for the
whole run, so it never overlaps another run of the connection: if one is going on (a worker's job,
another `--inline`, the demo), it refuses at once, in one line, and runs nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from smartap_erp.errors import SmartAPError
from smartap_erp.jobs import lease
from smartap_erp.jobs.config import JobOptions
from smartap_erp.jobs.operations import JobEnvironment, install
from smartap_erp.settings import Settings
from smartap_erp.sync.logs import this_process

Progress = Callable[[dict[str, Any]], None]


class ConnectionBusyInlineError(SmartAPError):
    """`--inline` met another run of the connection (exit 1)."""


async def run_inline(
    settings: Settings, workflow: str, args: tuple[Any, ...], on_progress: Progress | None = None
) -> dict[str, Any]:
    """Run `workflow` (a name from `jobs.workflows`) with the args a queued job would get; a status
    dict shaped like `JobClient.status` (SUCCESS with the result, or ERROR with the reason);
    `ConnectionBusyInlineError` if another run holds the connection."""
    from smartap_erp.jobs import workflows

    env = JobEnvironment(settings, JobOptions.from_env())
    install(env)
    runner = workflows.InlineRunner(on_progress)
    bodies: dict[str, Callable[..., Awaitable[dict[str, Any]]]] = {
        workflows.SYNC_WORKFLOW: workflows.run_sync,
        workflows.EXPORT_WORKFLOW: workflows.run_export,
        workflows.PAYMENTS_WORKFLOW: workflows.run_payments,
    }
    status: dict[str, Any] = {"workflow_id": None, "workflow": workflow, "result": None, "error": None}
    connection_id = uuid.UUID(str(args[0]))
    try:
        async with lease.holding(env.sessions, connection_id, this_process()):
            result = await bodies[workflow](runner, *args)
        status.update(status="SUCCESS", result=result)
    except lease.ConnectionBusyError as exc:
        raise ConnectionBusyInlineError(f"{exc}; wait for it or run without --inline") from None
    except workflows.JobFailedError as exc:
        status.update(status="ERROR", error=str(exc))
    finally:
        await env.close()
    return status
