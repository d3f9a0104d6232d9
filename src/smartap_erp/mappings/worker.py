"""The process that evaluates field-mapping expressions, so a runaway one can be killed (see sandbox.py).

Started by `sandbox.EvaluationPool` as `python -m smartap_erp.mappings.worker <read fd> <write fd>`
with its address space capped, it imports only CEL and the function table, says "ready", then
serves batches: `(sources, records, jobs)` where a job is `(source index, record index, value)`.
Before each job it writes the job's index into a shared 8-byte word (so the parent knows which job
is running when a deadline passes), and it sends the answers, `(True, result)` or
`(False, reason)` per job in order, in chunks every few milliseconds. Any error of an
expression (division by zero, overflow, a function refusing its input) is a `(False, reason)`;
the worker itself only stops when its input pipe closes or it is killed.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import importlib
import importlib.util
import mmap
import pickle
import resource
import struct
import sys
import time
import types
from collections.abc import Iterator
from multiprocessing.connection import Connection
from typing import TYPE_CHECKING, Any

from smartap_erp.mappings.functions import FUNCTIONS, MAX_TEXT

MEMORY_LIMIT_BYTES = 1 << 30  # address space on top of what the worker uses when it starts
_CACHE_SIZE = 256
FLUSH_ANSWERS = 500  # answers are sent in chunks: at most this many,
FLUSH_SECONDS = 0.005  # or as soon as the oldest one waited this long
_PLAIN = (str, int, float, bool, type(None), bytes, dt.date, dt.datetime, dt.timedelta)

Job = tuple[int, int, Any]

if TYPE_CHECKING:
    import cel


def _cel() -> Any:
    """CEL's extension module (`cel.cel`, what the `cel` package re-exports)."""
    return importlib.import_module("cel.cel")


def _import_cel_without_cli() -> None:
    """Register `cel` as a bare package so `cel.cel` loads without `cel/__init__.py`, which imports
    the package's interactive CLI (prompt_toolkit: ~0.6 s of a worker's start-up, for nothing)."""
    spec = importlib.util.find_spec("cel")
    if spec is None or spec.submodule_search_locations is None or "cel" in sys.modules:
        return
    package = types.ModuleType("cel")
    package.__path__ = list(spec.submodule_search_locations)
    package.__spec__ = spec
    sys.modules["cel"] = package


def first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0][:300] if text else type(error).__name__


def _plain(value: Any, depth: int = 0) -> bool:
    if depth > 32:
        return False
    if isinstance(value, list):
        return all(_plain(v, depth + 1) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str | int) and _plain(v, depth + 1) for k, v in value.items())
    return isinstance(value, _PLAIN)


class Evaluator:
    """Compiled programs (cached by source) and the per-job evaluation."""

    def __init__(self) -> None:
        self._programs: dict[str, cel.Program] = {}

    def program(self, source: str) -> cel.Program:
        found = self._programs.get(source)
        if found is None:
            if len(self._programs) >= _CACHE_SIZE:
                self._programs.clear()
            found = self._programs[source] = _cel().compile(source)
        return found

    def run(
        self, sources: list[str], records: list[Any], jobs: list[Job], progress: mmap.mmap | None = None
    ) -> Iterator[tuple[bool, Any]]:
        """Yield one `(ok, result or reason)` per job, in order; `progress` says which one runs."""
        contexts: dict[int, cel.Context] = {}
        for index, (source_index, record_index, value) in enumerate(jobs):
            if progress is not None:
                struct.pack_into("<q", progress, 0, index)
            try:
                context = contexts.get(record_index)
                if context is None:
                    contexts.clear()  # jobs come grouped by record: keep one context alive
                    context = contexts[record_index] = _cel().Context(
                        variables={"record": records[record_index]}, functions=FUNCTIONS
                    )
                context.add_variable("value", value)
                result = self.program(sources[source_index]).execute(context)
            except Exception as exc:  # any failure of the expression is that job's error
                yield False, f"evaluation failed: {first_line(exc)}"
                continue
            yield _checked(result)


def _checked(result: Any) -> tuple[bool, Any]:
    if not _plain(result):
        return False, f"result of type {type(result).__name__} is not a plain value"
    if len(repr(result)) > MAX_TEXT:
        return False, f"result is larger than {MAX_TEXT} characters"
    return True, result


def _limit_memory() -> None:
    with open("/proc/self/statm") as statm:
        used = int(statm.read().split()[0]) * resource.getpagesize()
    limit = used + MEMORY_LIMIT_BYTES
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def serve(inbox: Connection, outbox: Connection, progress: mmap.mmap | None = None) -> None:
    """Answer batches until the input pipe closes; `progress` holds the index of the running job."""
    evaluator = Evaluator()
    outbox.send("ready")
    while True:
        try:
            sources, records, jobs = inbox.recv()
        except EOFError:
            return
        pending: list[tuple[bool, Any]] = []
        flushed = time.monotonic()
        for outcome in evaluator.run(sources, records, jobs, progress):
            pending.append(outcome)
            if len(pending) >= FLUSH_ANSWERS or time.monotonic() - flushed > FLUSH_SECONDS:
                _send(outbox, pending)
                pending, flushed = [], time.monotonic()
        _send(outbox, pending)


def _send(outbox: Connection, answers: list[tuple[bool, Any]]) -> None:
    if not answers:
        return
    try:
        outbox.send(answers)
    except (TypeError, ValueError, AttributeError, pickle.PicklingError):  # one result cannot travel
        outbox.send([_sendable(answer) for answer in answers])


def _sendable(answer: tuple[bool, Any]) -> tuple[bool, Any]:
    try:
        pickle.dumps(answer)
    except (TypeError, ValueError, AttributeError, pickle.PicklingError) as exc:
        return False, f"result cannot be returned: {first_line(exc)}"
    return answer


def main(argv: list[str]) -> None:
    _import_cel_without_cli()
    read_fd, write_fd, progress_fd = int(argv[1]), int(argv[2]), int(argv[3])
    progress = mmap.mmap(progress_fd, 8)
    with contextlib.suppress(OSError, ValueError):  # no /proc or rlimit here: the deadline still holds
        _limit_memory()
    serve(Connection(read_fd, writable=False), Connection(write_fd, readable=False), progress)


if __name__ == "__main__":
    main(sys.argv)
