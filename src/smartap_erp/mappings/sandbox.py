"""A small pool of worker processes that evaluate mapping expressions under a real deadline.

CEL is non-Turing-complete but not cheap: two nested comprehensions over a 1,000-item list run for
seconds, and the Rust evaluator holds the interpreter while it runs, so a thread cannot be stopped
(nor even time out). Each expression therefore runs in a worker process (`worker.py`); the parent
waits at most `deadline` seconds for each job's answer, and when it does not come (or the worker
dies, e.g. on its memory cap) the worker is killed, that job fails with the reason, and the jobs
after it go to a fresh worker. A whole page of jobs is one message, each answer one small message,
so the vendor import keeps its pace. At most `size` batches run at once; idle workers are reused.
"""

from __future__ import annotations

import mmap
import os
import select
import struct
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from multiprocessing.connection import Connection
from typing import Any

from smartap_erp.mappings.worker import Job

DEADLINE_SECONDS = 0.25
START_SECONDS = 30.0  # a new worker's start-up (imports) is not part of any job's deadline
POOL_SIZE = 2
TICK_SECONDS = 0.02  # how often a waiting parent looks at which job the worker is running
PROGRESS_BYTES = 8


class SandboxError(RuntimeError):
    """No worker could be started: expressions cannot be evaluated at all."""


class _Worker:
    """One worker process: two pipes and a shared 8-byte word holding the job it is running."""

    def __init__(self) -> None:
        self._progress_file = tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as the worker
        self._progress_file.truncate(PROGRESS_BYTES)
        self.progress = mmap.mmap(self._progress_file.fileno(), PROGRESS_BYTES)
        parent_read, child_write = os.pipe()
        child_read, parent_write = os.pipe()
        shared = self._progress_file.fileno()
        command = [sys.executable, "-m", "smartap_erp.mappings.worker", str(child_read), str(child_write)]
        try:
            self.process = subprocess.Popen(  # noqa: S603 - our own module, fixed arguments
                [*command, str(shared)],
                pass_fds=(child_read, child_write, shared),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        finally:
            os.close(child_read)
            os.close(child_write)
        self.inbox = Connection(parent_read, writable=False)
        self.outbox = Connection(parent_write, readable=False)
        self._poller = select.poll()  # one registration for the worker's life (Connection.poll
        self._poller.register(parent_read, select.POLLIN)  # builds a selector on every call)
        if not self.ready(START_SECONDS) or self.recv() != "ready":
            self.kill()
            raise SandboxError("the expression worker process did not start")

    def ready(self, timeout: float) -> bool:
        """Whether an answer (or the end of the pipe) can be read within `timeout` seconds."""
        return bool(self._poller.poll(max(int(timeout * 1000), 0)))

    def recv(self) -> Any:
        try:
            return self.inbox.recv()
        except (EOFError, OSError):
            return None

    def running(self) -> int:
        """The index (in the current batch) of the job the worker started last."""
        return int(struct.unpack_from("<q", self.progress, 0)[0])

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        self.inbox.close()
        self.outbox.close()
        self.progress.close()
        self._progress_file.close()

    def alive(self) -> bool:
        return self.process.poll() is None


class EvaluationPool:
    """Run batches of expression jobs in worker processes; see the module docstring."""

    def __init__(self, *, size: int = POOL_SIZE, deadline: float = DEADLINE_SECONDS) -> None:
        self.deadline = deadline
        self._tick = min(TICK_SECONDS, deadline / 5)
        self._slots = threading.BoundedSemaphore(size)
        self._idle: list[_Worker] = []
        self._lock = threading.Lock()
        self.killed = 0  # workers stopped for a deadline or a crash (for tests and diagnostics)

    def run(
        self, sources: Sequence[str], records: Sequence[Any], jobs: Sequence[Job]
    ) -> list[tuple[bool, Any]]:
        """One `(True, result)` or `(False, reason)` per job, in order."""
        answers: dict[int, tuple[bool, Any]] = {}
        with self._slots:
            worker: _Worker | None = self._take()
            try:
                for _ in range(len(jobs) + 2):  # each round settles one job at least, or gives up
                    pending = [i for i in range(len(jobs)) if i not in answers]
                    if not pending:
                        break
                    if worker is not None and not worker.alive():  # died while idle
                        self._discard(worker)
                    worker = worker if worker is not None and worker.alive() else _Worker()
                    worker = self._drive(
                        worker, sources, records, [jobs[i] for i in pending], pending, answers
                    )
            except BaseException:
                if worker is not None:  # interrupted mid-batch: its answers may still be in the pipe
                    self._discard(worker)
                raise
            if worker is not None:
                self._give(worker)
        if len(answers) < len(jobs):
            raise SandboxError("the expression workers keep failing")
        return [answers[i] for i in range(len(jobs))]

    def _drive(
        self,
        worker: _Worker,
        sources: Sequence[str],
        records: Sequence[Any],
        jobs: list[Job],
        indexes: list[int],
        answers: dict[int, tuple[bool, Any]],
    ) -> _Worker | None:
        """Send `jobs`, file their answers under `indexes`; kill a stuck or dead worker, filing the
        job it was running as failed (the answers it computed but had not sent are asked again)."""
        struct.pack_into("<q", worker.progress, 0, -1)
        try:
            worker.outbox.send((list(sources), list(records), jobs))
        except OSError:  # it died since it was checked: the next round starts another
            self._discard(worker)
            return None
        received, watched, since = 0, -1, time.monotonic()
        while received < len(jobs):
            if worker.ready(self._tick):
                chunk = worker.recv()
                if chunk is None:  # the worker died: its memory cap, or killed from outside
                    self._stop(worker, indexes, answers, "the expression used more memory than allowed")
                    return None
                for answer in chunk:
                    answers[indexes[received]] = answer
                    received += 1
            running = worker.running()
            if running != watched:
                watched, since = running, time.monotonic()
            elif running >= received and time.monotonic() - since > self.deadline:
                self._stop(worker, indexes, answers, f"took longer than {int(self.deadline * 1000)} ms")
                return None
        return worker

    def _stop(self, worker: _Worker, indexes: list[int], answers: dict[int, Any], why: str) -> None:
        running = worker.running()
        self._discard(worker)
        if 0 <= running < len(indexes):
            answers[indexes[running]] = (False, f"evaluation stopped: {why}")

    def _discard(self, worker: _Worker) -> None:
        self.killed += 1
        worker.kill()

    def _take(self) -> _Worker | None:
        with self._lock:
            return self._idle.pop() if self._idle else None

    def _give(self, worker: _Worker) -> None:
        if not worker.alive():
            worker.kill()
            return
        with self._lock:
            self._idle.append(worker)

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for worker in idle:
            worker.kill()


_pool: EvaluationPool | None = None
_pool_lock = threading.Lock()


def default_pool() -> EvaluationPool:
    """The process-wide pool, created on first use."""
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = EvaluationPool()
        return _pool
