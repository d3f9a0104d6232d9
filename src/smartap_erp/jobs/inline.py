"""`--inline`: run a sync, export or payment sync in this process, through the same job bodies and
steps a worker runs (`jobs.workflows.run_*` with an `InlineRunner`), so it writes the same sync logs
and gives the same output. Nothing is queued, so it neither joins a queued identical request nor
waits for a running job of the connection: meant for when no worker runs (a laptop, a one-off).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from smartap_erp.jobs.config import JobOptions
from smartap_erp.jobs.operations import JobEnvironment, install
from smartap_erp.settings import Settings

Progress = Callable[[dict[str, Any]], None]


async def run_inline(
    settings: Settings, workflow: str, args: tuple[Any, ...], on_progress: Progress | None = None
) -> dict[str, Any]:
    """Run `workflow` (a name from `jobs.workflows`) with the args a queued job would get; a status
    dict shaped like `JobClient.status` (SUCCESS with the result, or ERROR with the reason)."""
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
    try:
        result = await bodies[workflow](runner, *args)
        status.update(status="SUCCESS", result=result)
    except workflows.JobFailedError as exc:
        status.update(status="ERROR", error=str(exc))
    finally:
        await env.close()
    return status
