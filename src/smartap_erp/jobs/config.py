"""Where the DBOS system database lives and how a process is configured to use it.

SQLite: a file `dbos.sqlite` beside the app database. PostgreSQL: the same server and database as
`DATABASE_URL`, in DBOS's own schema `dbos`, through psycopg (DBOS's driver). Also the queue's and the
workflows' names. `JobOptions` gathers the process-level knobs read from the environment (worker id,
time scale and test hooks; docs/operations.md).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import make_url

from smartap_erp import __version__
from smartap_erp.errors import ConfigurationError
from smartap_erp.settings import Settings

APP_NAME = "smartap-erp"
SYSTEM_SCHEMA = "dbos"
QUEUE_NAME = "erp-connections"
# The workflows' names (`jobs.workflows` registers them): here, so queueing one imports no job code.
SYNC_WORKFLOW = "smartap.sync_connection"
EXPORT_WORKFLOW = "smartap.export_invoices"
PAYMENTS_WORKFLOW = "smartap.sync_payment_statuses"
PROGRESS_EVENT = "progress"


def system_database_url(settings: Settings) -> str:
    """The DBOS system database URL for these settings (a sync driver DBOS understands)."""
    if settings.is_sqlite:
        path = settings.sqlite_path
        if path is None:
            raise ConfigurationError("durable jobs need a database file or PostgreSQL, not in-memory SQLite")
        return f"sqlite:///{(path.parent / 'dbos.sqlite').resolve()}"
    url = make_url(settings.database_url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


@dataclass(frozen=True)
class JobOptions:
    """Process knobs from the environment; the defaults are the production behaviour."""

    worker_id: str = "local"
    minute_seconds: float = 60.0  # how long "a minute" of a schedule lasts (tests and demos shrink it)
    retry_base_seconds: float = 30.0
    polling_seconds: float = 1.0
    kill_at: str | None = None  # test hook: "METHOD:N" SIGKILLs the worker after the Nth connector call
    operations: str | None = None  # "module:factory" building the SyncOperations (tests)

    @classmethod
    def from_env(cls) -> JobOptions:
        env = os.environ
        try:
            return cls(
                worker_id=env.get("SMARTAP_WORKER_ID", "local"),
                minute_seconds=float(env.get("SMARTAP_JOBS_MINUTE_SECONDS", "60")),
                retry_base_seconds=float(env.get("SMARTAP_JOBS_RETRY_BASE_SECONDS", "30")),
                polling_seconds=float(env.get("SMARTAP_JOBS_POLLING_SECONDS", "1")),
                kill_at=env.get("SMARTAP_JOBS_TEST_KILL_AT") or None,
                operations=env.get("SMARTAP_JOBS_OPERATIONS") or None,
            )
        except ValueError as exc:
            raise ConfigurationError(f"SMARTAP_JOBS_*: expected a number ({exc})") from None


def dbos_config(settings: Settings, options: JobOptions) -> dict[str, Any]:
    """The DBOSConfig of a worker. Every worker needs its own stable id: on start it recovers the
    workflows that were running under that id when it stopped (docs/operations.md)."""
    return {
        "name": APP_NAME,
        "system_database_url": system_database_url(settings),
        "dbos_system_schema": SYSTEM_SCHEMA,
        "executor_id": options.worker_id,
        "application_version": __version__,
        "log_level": "WARNING",
        "scheduler_polling_interval_sec": min(5.0, options.polling_seconds * 5),
        "notification_listener_polling_interval_sec": options.polling_seconds,
    }
