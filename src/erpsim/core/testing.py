"""Run a simulator app on a real uvicorn server on loopback, inside a test.

Retry, rate-limit and fault tests need real sockets (an in-process transport cannot drop a
connection or time out), so `live_server(app)` binds 127.0.0.1 on a free port, serves the app from a
background thread with the connection-dropping protocol, yields a `LiveServer` (its `base_url` and
the app), and stops the server cleanly on exit. In-process tests use `httpx.ASGITransport(app=app)`
instead. The pytest fixtures built on this live in `tests/erpsim/conftest.py`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from erpsim.core.server import base_url_of, bind_socket, make_server


@dataclass(frozen=True)
class LiveServer:
    base_url: str
    app: Any

    @property
    def sim(self) -> Any:
        """The `Simulator` behind the app (for direct assertions on its state)."""
        return self.app.state.sim


@contextmanager
def live_server(
    app: Any, *, host: str = "127.0.0.1", startup_timeout: float = 10.0, graceful_shutdown: int = 1
) -> Iterator[LiveServer]:
    """Serve `app` on `host` at a free port for the duration of the `with` block."""
    sock = bind_socket(host, 0)
    server = make_server(app, graceful_shutdown=graceful_shutdown)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            server.run(sockets=[sock])
        except BaseException as exc:  # surfaced to the caller below
            errors.append(exc)

    thread = threading.Thread(target=run, name="erpsim-live-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + startup_timeout
    ready = threading.Event()
    while not server.started and thread.is_alive() and time.monotonic() < deadline:
        ready.wait(0.005)  # readiness poll of the server thread, bounded by startup_timeout
    if not server.started:
        server.should_exit = True
        thread.join(startup_timeout)
        sock.close()
        raise RuntimeError(f"simulator server did not start: {errors[0] if errors else 'timeout'}")
    try:
        yield LiveServer(base_url_of(sock), app)
    finally:
        server.should_exit = True
        thread.join(graceful_shutdown + 10)
        sock.close()
