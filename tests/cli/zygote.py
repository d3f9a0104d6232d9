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
(others may edit the checkout during a run). `run_cli_process` is `subprocess.run`'s counterpart;
`start_cli_process` is `Popen`'s for workers (`ForkedProcess`: stdout and stderr on one pipe, exit
code -9 when killed, as a Popen's). `SMARTAP_TEST_CLI_FORK=0` runs plain subprocesses.
"""

from __future__ import annotations

import atexit
import contextlib
import io
import json
import locale
import os
import select
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

    def send(
        self,
        args: Sequence[str],
        env: Mapping[str, str],
        cwd: Path,
        fds: Sequence[int],
        timeout: float | None,
    ) -> tuple[socket.socket, int]:
        """Fork `python -m smartap_erp ARGS` with `fds` as its stdin, stdout and stderr: the connection
        that will carry its exit code, and its pid."""
        request = json.dumps({"args": list(args), "env": dict(env), "cwd": str(cwd)}).encode()
        conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            conn.settimeout(timeout)
            conn.connect(self.path)
            socket.send_fds(conn, [request], list(fds))
            return conn, int(json.loads(_line(conn))["pid"])
        except BaseException:
            conn.close()
            raise

    def run(
        self, args: Sequence[str], env: Mapping[str, str], cwd: Path, stdin: str | None, timeout: float
    ) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "smartap_erp", *args]
        with (
            tempfile.TemporaryFile() as given,
            tempfile.TemporaryFile() as out,
            tempfile.TemporaryFile() as err,
        ):
            if stdin is not None:
                given.write(stdin.encode(locale.getpreferredencoding(False)))
                given.seek(0)
            conn, pid = self.send(args, env, cwd, [given.fileno(), out.fileno(), err.fileno()], timeout)
            with conn:
                try:
                    code = int(json.loads(_line(conn))["code"])
                except TimeoutError:
                    os.kill(pid, signal.SIGKILL)
                    raise subprocess.TimeoutExpired(command, timeout) from None
            return subprocess.CompletedProcess(command, code, _text(out), _text(err))

    def start(self, args: Sequence[str], env: Mapping[str, str], cwd: Path) -> ForkedProcess:
        """Like `subprocess.Popen(..., stdin=DEVNULL, stdout=PIPE, stderr=STDOUT, text=True)`."""
        read, write = os.pipe()
        try:
            with open(os.devnull, "rb") as nothing:
                conn, pid = self.send(args, env, cwd, [nothing.fileno(), write, write], 60)
        except BaseException:
            os.close(read)
            raise
        finally:
            os.close(write)  # the command holds the only write end: its exit is the pipe's end
        stdout = open(read, encoding=locale.getpreferredencoding(False))  # noqa: SIM115 - closed by the caller
        return ForkedProcess([sys.executable, "-m", "smartap_erp", *args], conn, pid, stdout)


class ForkedProcess:
    """The parts of `subprocess.Popen` the tests use (wait, poll, kill, communicate, stdout, pid,
    returncode), for a long-running command forked from the zygote (a worker)."""

    def __init__(self, args: list[str], conn: socket.socket, pid: int, stdout: IO[str]) -> None:
        self.args = args
        self.pid = pid
        self.stdout: IO[str] | None = stdout
        self.returncode: int | None = None
        self._conn = conn

    def _ended(self, timeout: float | None) -> None:
        self._conn.settimeout(timeout)
        try:
            self.returncode = int(json.loads(_line(self._conn))["code"])
        except TimeoutError:
            raise subprocess.TimeoutExpired(self.args, timeout or 0) from None
        self._conn.close()

    def poll(self) -> int | None:
        if self.returncode is None and select.select([self._conn], [], [], 0)[0]:
            self._ended(None)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        if self.returncode is None:
            self._ended(timeout)
        assert self.returncode is not None
        return self.returncode

    def send_signal(self, sig: int) -> None:
        if self.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, sig)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def communicate(self, timeout: float | None = None) -> tuple[str, None]:
        """All the command printed (stdout and stderr together) once it has ended."""
        assert self.stdout is not None
        stdout = self.stdout
        printed: list[str] = []
        reader = threading.Thread(target=lambda: printed.append(stdout.read()), daemon=True)
        reader.start()
        reader.join(timeout)
        if reader.is_alive():
            raise subprocess.TimeoutExpired(self.args, timeout or 0)
        self.wait(timeout)
        return "".join(printed), None


def _line(conn: socket.socket) -> str:
    """One newline-ended answer, read a byte at a time so that nothing of the next one is buffered."""
    data = bytearray()
    while not data.endswith(b"\n"):
        byte = conn.recv(1)
        if not byte:
            raise ConnectionError("the CLI zygote closed the connection")
        data += byte
    return data.decode()


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


WorkerProcess = ForkedProcess | subprocess.Popen[str]


def start_cli_process(args: Sequence[str], *, env: Mapping[str, str], cwd: Path) -> WorkerProcess:
    """`subprocess.Popen([python, "-m", "smartap_erp", *args], env=env, cwd=cwd, stdin=DEVNULL,
    stdout=PIPE, stderr=STDOUT, text=True)`, forked from the zygote."""
    if os.environ.get("SMARTAP_TEST_CLI_FORK") == "0":
        return subprocess.Popen(
            [sys.executable, "-m", "smartap_erp", *args],
            env=dict(env),
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
    return _current().start(args, env, cwd)


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
