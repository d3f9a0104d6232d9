"""`python -m smartap_erp ARGS` in a process of its own, forked from a warm "zygote" instead of started
from scratch: what `subprocess.run` would give (exit code, stdout, stderr; the command's own process,
environment, working directory and standard streams), without paying the imports each time.

A test suite that starts the CLI hundreds of times spent most of that time importing SQLAlchemy,
pydantic, httpx and the models (~0.8 s of CPU a command on CI's two cores). The zygote imports them
once (the preload in `_SERVER`: nothing that reads the environment or starts a thread); for each
command it forks a monitor, which forks the command and reports its exit code. The command runs
`smartap_erp.__main__` (the real entry point) after its environment, working directory and streams
(files, as pipes would be; stdin empty unless given) are set and the settings cache is cleared. A
zygote is started per test process on first use, and again when a source file under src/ changes
(others may edit the checkout during a run). `SMARTAP_TEST_CLI_FORK=0` runs plain subprocesses.
"""

from __future__ import annotations

import atexit
import contextlib
import io
import json
import locale
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO

REPO = Path(__file__).resolve().parents[2]
SRC = REPO / "src"

# Run in the zygote: preload, then serve one fork per connection. The monitor (first fork) reports the
# command's pid, waits for it and reports its exit code; the zygote reaps monitors as they end.
_SERVER = r"""
import atexit, json, os, runpy, signal, socket, sys, traceback

import typer, rich.console, rich.table, rich.progress
import sqlalchemy.dialects.sqlite.aiosqlite, sqlalchemy.dialects.postgresql.asyncpg
import smartap_erp.app.context
from smartap_erp.settings import get_settings

listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
listener.bind(sys.argv[1])
listener.listen(16)
listener.settimeout(5)
parent = os.getppid()
print("ready", flush=True)


def run_command(request, fds):
    os.dup2(fds[0], 0)
    os.dup2(fds[1], 1)
    os.dup2(fds[2], 2)
    for fd in fds:
        os.close(fd)
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    get_settings.cache_clear()
    sys.argv = ["smartap-erp", *request["args"]]
    code = 0
    try:
        runpy.run_module("smartap_erp", run_name="__main__", alter_sys=True)
    except SystemExit as exc:
        if exc.code is None:
            code = 0
        elif isinstance(exc.code, int):
            code = exc.code
        else:
            print(exc.code, file=sys.stderr)
            code = 1
    except BaseException:
        traceback.print_exc()
        code = 1
    try:
        atexit._run_exitfuncs()
        sys.stdout.flush()
        sys.stderr.flush()
    finally:
        os._exit(code)


while True:
    try:
        while os.waitpid(-1, os.WNOHANG)[0]:
            pass
    except ChildProcessError:
        pass
    try:
        conn, _ = listener.accept()
    except TimeoutError:
        if os.getppid() != parent:  # the test process is gone (killed): so is the zygote
            sys.exit(0)
        continue
    conn.settimeout(None)
    message, fds, _, _ = socket.recv_fds(conn, 1 << 20, 3)
    request = json.loads(message)
    if os.fork() == 0:  # the monitor
        listener.close()
        command = os.fork()
        if command == 0:
            conn.close()
            run_command(request, fds)
        for fd in fds:
            os.close(fd)
        conn.sendall(json.dumps({"pid": command}).encode() + b"\n")
        _, status = os.waitpid(command, 0)
        conn.sendall(json.dumps({"code": os.waitstatus_to_exitcode(status)}).encode() + b"\n")
        os._exit(0)
    for fd in fds:
        os.close(fd)
    conn.close()
"""


def _sources_stamp() -> float:
    """The newest change time of a Python file under src/ (a zygote older than it is stale)."""
    newest = 0.0
    for folder, _dirs, files in os.walk(SRC):
        for name in files:
            if name.endswith(".py"):
                newest = max(newest, os.stat(os.path.join(folder, name)).st_mtime)
    return newest


class Zygote:
    def __init__(self) -> None:
        self._dir = tempfile.mkdtemp(prefix="smartap-zygote-")
        self.path = os.path.join(self._dir, "socket")
        self.stamp = _sources_stamp()
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
        for name in ("COLUMNS", "LINES"):
            env.pop(name, None)
        self.proc = subprocess.Popen(
            [sys.executable, "-c", _SERVER, self.path],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            env=env,
            text=True,
        )
        assert self.proc.stdout is not None
        ready = self.proc.stdout.readline()
        if ready.strip() != "ready":
            self.close()
            raise RuntimeError(f"the CLI zygote did not start: {ready!r}")

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        with contextlib.suppress(OSError):
            os.unlink(self.path)
        with contextlib.suppress(OSError):
            os.rmdir(self._dir)

    def run(
        self, args: Sequence[str], env: Mapping[str, str], cwd: Path, stdin: str | None, timeout: float
    ) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "smartap_erp", *args]
        request = json.dumps({"args": list(args), "env": dict(env), "cwd": str(cwd)}).encode()
        with (
            tempfile.TemporaryFile() as given,
            tempfile.TemporaryFile() as out,
            tempfile.TemporaryFile() as err,
            socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn,
        ):
            if stdin is not None:
                given.write(stdin.encode(locale.getpreferredencoding(False)))
                given.seek(0)
            conn.settimeout(timeout)
            conn.connect(self.path)
            socket.send_fds(conn, [request], [given.fileno(), out.fileno(), err.fileno()])
            answers = conn.makefile("r")
            pid = int(json.loads(answers.readline())["pid"])
            try:
                code = int(json.loads(answers.readline())["code"])
            except TimeoutError:
                os.kill(pid, signal.SIGKILL)
                raise subprocess.TimeoutExpired(command, timeout) from None
            return subprocess.CompletedProcess(command, code, _text(out), _text(err))


def _text(file: IO[bytes]) -> str:
    """What `subprocess.run(..., text=True)` would have read: locale encoding, universal newlines."""
    file.seek(0)
    return io.TextIOWrapper(file, encoding=locale.getpreferredencoding(False), newline=None).read()


_lock = threading.Lock()
_zygote: Zygote | None = None


def _current() -> Zygote:
    global _zygote
    with _lock:
        if _zygote is not None and (_zygote.proc.poll() is not None or _zygote.stamp < _sources_stamp()):
            _zygote.close()
            _zygote = None
        if _zygote is None:
            _zygote = Zygote()
            atexit.register(_zygote.close)
        return _zygote


def run_cli_process(
    args: Sequence[str], *, env: Mapping[str, str], cwd: Path, stdin: str | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """`subprocess.run([python, "-m", "smartap_erp", *args], env=env, cwd=cwd, input=stdin,
    capture_output=True, text=True, timeout=timeout)`, forked from the zygote."""
    if os.environ.get("SMARTAP_TEST_CLI_FORK") == "0":
        return subprocess.run(
            [sys.executable, "-m", "smartap_erp", *args],
            input=stdin,
            stdin=None if stdin is not None else subprocess.DEVNULL,
            capture_output=True,
            text=True,
            env=dict(env),
            cwd=cwd,
            timeout=timeout,
            check=False,
        )
    return _current().run(args, env, cwd, stdin, timeout)
