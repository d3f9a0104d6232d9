"""How `sync`/`export`/`payments sync` follow a queued job (`cli.jobs_view.follow`), on an injected clock
and sleep: a short job's end is seen within a tenth of a second, a long one is looked at four times a
second after the first seconds, its progress is read twice a second and only for a terminal's progress
bar, and the workers' heartbeats are still checked every five seconds."""

from __future__ import annotations

import io
from types import SimpleNamespace
from typing import Any

import pytest
import typer
from rich.console import Console

from smartap_erp.app.syncs import JobProgress, JobView, WorkersView
from smartap_erp.cli import jobs_view
from smartap_erp.errors import NotFoundError


class FakeQueue:
    """Answers `syncs.job_status/job_progress/workers` from a script; counts the reads."""

    def __init__(self, statuses: list[str | None], *, alive: bool = True) -> None:
        self.statuses = statuses  # None: the job is not visible yet
        self.alive = alive
        self.status_reads = 0
        self.progress_reads = 0
        self.worker_reads = 0

    async def job_status(self, _ctx: Any, _queue: Any, job_id: str) -> JobView:
        status = self.statuses[min(self.status_reads, len(self.statuses) - 1)]
        self.status_reads += 1
        if status is None:
            raise NotFoundError(job_id)
        outcome = "completed" if status == "SUCCESS" else "pending"
        return JobView(workflow_id=job_id, workflow="sync", status=status, outcome=outcome)

    async def job_progress(self, _ctx: Any, _queue: Any, _job_id: str) -> JobProgress:
        self.progress_reads += 1
        return JobProgress(done=self.status_reads, total=None)

    async def workers(self, _ctx: Any) -> WorkersView:
        self.worker_reads += 1
        return WorkersView(alive=self.alive, workers=[])


class FakeTime:
    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Any:
    def install(queue: FakeQueue) -> FakeQueue:
        monkeypatch.setattr(jobs_view, "syncs", queue)
        return queue

    return install


async def test_a_short_job_is_seen_ending_within_a_tenth_of_a_second(fake: Any) -> None:
    queue = fake(FakeQueue([None, "ENQUEUED", "PENDING", "SUCCESS"]))
    time = FakeTime()
    view = await jobs_view.follow(
        SimpleNamespace(), SimpleNamespace(), "job-1", "sync", clock=time.clock, sleep=time.sleep
    )
    assert view.status == "SUCCESS" and view.workflow_id == "job-1"
    assert time.sleeps == [0.1, 0.1, 0.1]  # it ended 0.3 s in: seen then, not at the next half second
    assert queue.status_reads == 4


async def test_a_long_job_is_looked_at_less_often_after_the_first_seconds(fake: Any) -> None:
    queue = fake(FakeQueue(["PENDING"] * 60 + ["SUCCESS"]))
    time = FakeTime()
    await jobs_view.follow(
        SimpleNamespace(), SimpleNamespace(), "job-2", "sync", clock=time.clock, sleep=time.sleep
    )
    fast = [s for s in time.sleeps if s == jobs_view.FAST_POLL_SECONDS]
    slow = [s for s in time.sleeps if s == jobs_view.POLL_SECONDS]
    assert len(fast) + len(slow) == len(time.sleeps) == 60
    assert time.sleeps == sorted(time.sleeps)  # fast first, then slow; never back to fast
    assert sum(fast) == pytest.approx(jobs_view.FAST_FOR_SECONDS, abs=0.11)
    waited = time.now - 1000.0
    assert queue.worker_reads == int(waited // jobs_view.WATCH_EVERY)  # heartbeats every 5 s, as before
    assert queue.progress_reads == 0  # stderr is no terminal here: no progress bar to feed


async def test_a_terminal_s_progress_bar_is_read_twice_a_second(
    fake: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(jobs_view, "error_console", Console(file=io.StringIO(), force_terminal=True))
    queue = fake(FakeQueue(["PENDING"] * 60 + ["SUCCESS"]))
    time = FakeTime()
    await jobs_view.follow(
        SimpleNamespace(), SimpleNamespace(), "job-4", "sync", clock=time.clock, sleep=time.sleep
    )
    waited = time.now - 1000.0
    assert queue.status_reads == 61
    assert queue.progress_reads == pytest.approx(waited / jobs_view.PROGRESS_EVERY, abs=1.5)


async def test_no_worker_left_is_noticed_at_the_next_heartbeat_look(fake: Any) -> None:
    queue = fake(FakeQueue(["ENQUEUED"], alive=False))
    time = FakeTime()
    with pytest.raises(typer.Exit) as stopped:
        await jobs_view.follow(
            SimpleNamespace(), SimpleNamespace(), "job-3", "sync", clock=time.clock, sleep=time.sleep
        )
    assert stopped.value.exit_code == 1
    assert queue.worker_reads == 1
    assert time.now - 1000.0 == pytest.approx(jobs_view.WATCH_EVERY, abs=0.51)


def test_poll_delay() -> None:
    assert jobs_view.poll_delay(0.0) == jobs_view.FAST_POLL_SECONDS
    assert jobs_view.poll_delay(jobs_view.FAST_FOR_SECONDS - 0.01) == jobs_view.FAST_POLL_SECONDS
    assert jobs_view.poll_delay(jobs_view.FAST_FOR_SECONDS) == jobs_view.POLL_SECONDS
    assert jobs_view.poll_delay(3600.0) == jobs_view.POLL_SECONDS
