"""`python -m bench.cli_marks ARGS...` runs `smartap-erp ARGS...` as `python -m smartap_erp` does, and
writes when its phases ended (epoch seconds, JSON) to the file named by `SMARTAP_BENCH_MARKS`: `main`
(this module's first line: the interpreter is up), `enqueued` (the job's enqueue returned),
`followed` (the follow loop saw the job end) and `exit` (at exit, after the report). The hooks wrap
`JobClient._queue` and `jobs_view.follow` once their modules are imported, so the CLI imports
nothing earlier than it would (bench/import_e2e.py's timeline; not a test, not part of the product).
"""

from __future__ import annotations

import time

MARKS: dict[str, float] = {"main": time.time()}

import atexit  # noqa: E402  (after the first mark)
import functools  # noqa: E402
import importlib.abc  # noqa: E402
import importlib.machinery  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import runpy  # noqa: E402
import sys  # noqa: E402
from collections.abc import Sequence  # noqa: E402
from types import ModuleType  # noqa: E402
from typing import Any  # noqa: E402


def _marked(mark: str, coroutine_function: Any) -> Any:
    @functools.wraps(coroutine_function)
    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        result = await coroutine_function(*args, **kwargs)
        MARKS[mark] = time.time()
        return result

    return wrapper


def _patch(module: ModuleType) -> None:
    if module.__name__ == "smartap_erp.jobs.client":
        module.JobClient._queue = _marked("enqueued", module.JobClient._queue)
    elif module.__name__ == "smartap_erp.cli.jobs_view":
        module.follow = _marked("followed", module.follow)


class _Hook(importlib.abc.MetaPathFinder):
    """Patches the two modules right after they are executed."""

    NAMES = ("smartap_erp.jobs.client", "smartap_erp.cli.jobs_view")

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname not in self.NAMES:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None or spec.loader is None:
            return spec
        loader = spec.loader
        execute = loader.exec_module

        def exec_module(module: ModuleType) -> None:
            execute(module)
            _patch(module)

        loader.exec_module = exec_module  # type: ignore[method-assign]
        return spec


def _write() -> None:
    MARKS["exit"] = time.time()
    with open(os.environ["SMARTAP_BENCH_MARKS"], "w") as out:
        json.dump(MARKS, out)


if __name__ == "__main__":
    sys.meta_path.insert(0, _Hook())
    atexit.register(_write)
    sys.argv[0] = "smartap-erp"
    runpy.run_module("smartap_erp", run_name="__main__", alter_sys=True)
