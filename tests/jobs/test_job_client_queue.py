"""The CLI's job client leaves the queue as a worker registered it: its polling interval
(`SMARTAP_JOBS_POLLING_SECONDS`) is the worker's, whatever commands ran since (issue 17: each CLI
command reset it to DBOS's 1 s default, so a worker polling every 0.1 s picked jobs up up to 1 s late)."""

from __future__ import annotations

from pathlib import Path

from dbos import DBOSClient

from smartap_erp.jobs.client import JobClient
from smartap_erp.jobs.config import QUEUE_NAME, SYSTEM_SCHEMA, system_database_url
from smartap_erp.settings import Settings


def _polling(url: str) -> float:
    client = DBOSClient(system_database_url=url, dbos_system_schema=SYSTEM_SCHEMA)
    try:
        queue = client.retrieve_queue(QUEUE_NAME)
        assert queue is not None
        return queue._polling_interval_sec
    finally:
        client.destroy()


def test_client_keeps_the_workers_polling_interval(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'app.db'}")
    url = system_database_url(settings)
    JobClient(settings).close()  # no worker yet: the client creates the queue
    worker = DBOSClient(system_database_url=url, dbos_system_schema=SYSTEM_SCHEMA)
    try:  # as a worker registers it (jobs.worker.launch)
        worker.register_queue(
            QUEUE_NAME, partition_concurrency=1, polling_interval_sec=0.1, on_conflict="always_update"
        )
    finally:
        worker.destroy()
    JobClient(settings).close()
    assert _polling(url) == 0.1
