"""The syncs application functions on SQLite and PostgreSQL: requesting a sync, an export or a payment
sync as a job (refused with nothing queued when no worker is alive and one is required; an identical
request joins the queued one), job status, retry refusals, the workers alive at an injected time,
a job's outcome and sync logs read from its result, and a job run in this process (issue 13 item 2)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from pydantic import JsonValue, ValidationError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from smartap_erp.app import invoices, syncs
from smartap_erp.app.context import AppContext
from smartap_erp.db.models import Vendor
from smartap_erp.errors import ConfigurationError, ConflictError, NotFoundError
from smartap_erp.invoices.schema import InvoiceInput
from smartap_erp.jobs import heartbeat
from smartap_erp.jobs.workflows import PAYMENTS_WORKFLOW, SYNC_WORKFLOW
from smartap_erp.settings import Settings
from tests.jobs.dbhelpers import add_connection

KEY = Fernet.generate_key()
T0 = dt.datetime(2026, 3, 1, 12, tzinfo=dt.UTC)


@pytest.fixture
async def ctx(engine: AsyncEngine, session_factory: async_sessionmaker[AsyncSession]) -> AppContext:
    settings = Settings(
        database_url=engine.url.render_as_string(hide_password=False),
        smartap_encryption_keys=KEY.decode(),
    )
    await add_connection(session_factory, "qb", key=KEY)
    return AppContext(settings, engine, session_factory)


@pytest.fixture
async def queue(ctx: AppContext) -> AsyncIterator[syncs.JobQueue]:
    opened = syncs.JobQueue(ctx.settings)
    yield opened
    opened.close()


VENDORS = syncs.SyncRequest(entities=["vendor"])


async def test_no_worker_alive_queues_nothing_when_one_is_required(
    ctx: AppContext, queue: syncs.JobQueue
) -> None:
    with pytest.raises(syncs.NoWorkerError) as caught:
        await syncs.request_job(ctx, queue, "qb", VENDORS, require_worker=True)
    assert "no worker is running" in str(caught.value) and "sync vendor of qb" in str(caught.value)

    queued = await syncs.request_job(ctx, queue, "qb", VENDORS)
    assert not queued.joined and not queued.worker_alive  # the refused request had queued nothing
    assert queued.title == "sync vendor of qb"


async def test_an_identical_request_joins_the_queued_job_and_its_status_reads_back(
    ctx: AppContext, queue: syncs.JobQueue
) -> None:
    first = await syncs.request_job(ctx, queue, "qb", VENDORS)
    again = await syncs.request_job(ctx, queue, "qb", syncs.SyncRequest(entities=["vendor"]))
    other = await syncs.request_job(ctx, queue, "qb", syncs.SyncRequest(entities=["vendor"], full=True))

    assert again.job_id == first.job_id and again.joined
    assert other.job_id != first.job_id and not other.joined
    status = await syncs.job_status(ctx, queue, first.job_id)
    assert (status.workflow_id, status.workflow, status.status) == (first.job_id, SYNC_WORKFLOW, "ENQUEUED")
    assert not status.finished and status.sync_log_ids == []
    assert (status.outcome, status.failures) == ("pending", [])  # not judged before it ends
    assert await syncs.job_progress(ctx, queue, first.job_id) == syncs.JobProgress(done=0, total=None)

    await heartbeat.beat(ctx.sessions, "w1", now=dt.datetime.now(dt.UTC), started_at=T0)
    payments = await syncs.request_job(ctx, queue, "qb", syncs.PaymentsRequest(), require_worker=True)
    assert payments.worker_alive and payments.title == "payment statuses of qb"
    assert (await syncs.job_status(ctx, queue, payments.job_id)).workflow == PAYMENTS_WORKFLOW


async def test_unknown_jobs_and_jobs_that_did_not_fail_are_refused(
    ctx: AppContext, queue: syncs.JobQueue
) -> None:
    with pytest.raises(NotFoundError, match="no job with id 'nope'"):
        await syncs.job_status(ctx, queue, "nope")
    with pytest.raises(NotFoundError, match="no job with id 'nope'"):
        await syncs.retry_job(ctx, queue, "nope")
    queued = await syncs.request_job(ctx, queue, "qb", VENDORS)
    with pytest.raises(ConflictError, match=f"job {queued.job_id} is ENQUEUED, not failed: nothing to retry"):
        await syncs.retry_job(ctx, queue, queued.job_id)
    with pytest.raises(ConfigurationError, match="no connection named or with id 'elsewhere'"):
        await syncs.request_job(ctx, queue, "elsewhere", VENDORS)


async def test_an_export_naming_a_shared_number_is_refused_before_anything_is_queued(
    ctx: AppContext, queue: syncs.JobQueue
) -> None:
    async with ctx.sessions() as session:
        session.add_all(Vendor(name=n, normalized_name=n.lower()) for n in ("Acme", "Beta"))
        await session.commit()
    lines = [{"amount": "5.00", "account_code": "6000"}]
    items = [
        InvoiceInput.model_validate(
            {
                "invoice_number": "N-1",
                "vendor": v,
                "invoice_date": "2024-05-01",
                "currency": "USD",
                "lines": lines,
            }
        )
        for v in ("Acme", "Beta")
    ]
    await invoices.import_invoices(ctx, items)

    with pytest.raises(invoices.InvoiceReferenceError, match="N-1 is ambiguous"):
        await syncs.request_job(ctx, queue, "qb", syncs.ExportRequest(invoices=["N-1"]))
    picked = await syncs.request_job(ctx, queue, "qb", syncs.ExportRequest(invoices=["N-1"], vendor="Beta"))
    assert not picked.joined and picked.title == "export to qb"


async def test_workers_alive_at_an_injected_time(ctx: AppContext) -> None:
    await heartbeat.beat(ctx.sessions, "w1", now=T0, started_at=T0)
    seen = await syncs.workers(ctx, now=T0 + heartbeat.ALIVE_WITHIN)
    assert seen.alive and [(w.worker_id, w.seen_at) for w in seen.workers] == [("w1", T0)]
    gone = await syncs.workers(ctx, now=T0 + heartbeat.ALIVE_WITHIN + dt.timedelta(seconds=1))
    assert not gone.alive and gone.workers == []


def test_a_job_result_gives_its_outcome_and_sync_logs() -> None:
    sync = syncs.view(
        {
            "workflow_id": "sync-1",
            "workflow": SYNC_WORKFLOW,
            "status": "SUCCESS",
            "result": {
                "results": {
                    "vendor": {"status": "completed", "total_count": 2, "success_count": 2, "log_id": "L1"},
                    "purchase_order": {
                        "status": "partial",
                        "total_count": 3,
                        "success_count": 2,
                        "error_count": 1,
                        "errors": ["PO-9: vendor unknown"],
                        "log_id": "L2",
                    },
                }
            },
            "error": None,
        }
    )
    assert sync.finished and sync.outcome == "partial" and sync.sync_log_ids == ["L1", "L2"]
    assert sync.failures == ["purchase orders: 1 of 3 records failed: PO-9: vendor unknown (sync log L2)"]
    export = syncs.view(
        {
            "workflow_id": None,
            "status": "SUCCESS",
            "result": {"invoices": 1, "exported": 1, "log_ids": ["E1"]},
        }
    )
    assert export.outcome == "completed" and export.sync_log_ids == ["E1"]
    failed = syncs.view(
        {"workflow_id": "x", "status": "ERROR", "result": None, "error": "connection in error"}
    )
    assert (failed.outcome, failed.failures) == ("failed", ["connection in error"])
    assert syncs.progress_of({"done": ["a", "b"], "total": 3}) == syncs.JobProgress(done=2, total=3)


def test_requests_are_checked_before_anything_runs() -> None:
    with pytest.raises(ValidationError, match="give one"):
        syncs.SyncRequest(entities=["vendor"], full=True, since=T0)
    with pytest.raises(ValidationError):
        syncs.SyncRequest(entities=["vendor"], since=T0.replace(tzinfo=None))  # naive: which zone?
    with pytest.raises(ValidationError):
        syncs.SyncRequest.model_validate({"entities": ["invoice"]})
    with pytest.raises(ValidationError):
        syncs.SyncRequest(entities=[])


async def test_a_job_run_here_goes_through_the_job_code_and_reports_its_outcome(
    ctx: AppContext, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = tmp_path / "ops.jsonl"
    monkeypatch.setenv("SMARTAP_JOBS_OPERATIONS", "tests.jobs.fakes:build")
    monkeypatch.setenv("SMARTAP_FAKE_LOG", str(log))
    steps: list[dict[str, JsonValue]] = []

    run = await syncs.run_here(ctx, "qb", syncs.SyncRequest(entities=["vendor"], limit=5), steps.append)

    assert run.title == "sync vendor of qb" and run.job.workflow_id is None
    assert (run.job.status, run.job.outcome) == ("SUCCESS", "completed")
    assert [json.loads(line)["op"] for line in log.read_text().splitlines()] == ["import:vendor:5"]
    assert steps  # progress was reported while it ran
