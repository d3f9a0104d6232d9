"""Serving a simulator on a real socket, with connections that can be dropped on purpose.

ASGI has no way to close a connection without answering, which the `drop` and `commit_then_fail`
faults need. `DroppingH11Protocol` is uvicorn's h11 protocol that publishes each connection's
transport in a context variable, which the request task inherits; `drop_connection()` aborts that
transport (the client sees the connection reset with no response). Without such a server (for
example in-process under `httpx.ASGITransport`) `drop_connection()` raises
`httpx.RemoteProtocolError`, which is what httpx raises on a real socket that closes early.
`make_server` builds the uvicorn server used by `erpsim serve` and by `erpsim.core.testing`.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import signal
import socket
import threading
from collections.abc import Iterator

import httpx
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

_TRANSPORT: contextvars.ContextVar[asyncio.Transport | None] = contextvars.ContextVar(
    "erpsim_transport", default=None
)


class DroppingH11Protocol(H11Protocol):
    """uvicorn's h11 protocol, exposing the transport to the request task for `drop_connection`."""

    def handle_events(self) -> None:
        token = _TRANSPORT.set(self.transport)
        try:
            super().handle_events()
        finally:
            _TRANSPORT.reset(token)


async def drop_connection() -> None:
    """Close the current request's connection without a response."""
    transport = _TRANSPORT.get()
    if transport is None:
        raise httpx.RemoteProtocolError("Server disconnected without sending a response.")
    transport.abort()
    # Let uvicorn see connection_lost, so it does not try to send a 500 on a dead socket.
    for _ in range(3):
        await asyncio.sleep(0)


def bind_socket(host: str = "127.0.0.1", port: int = 0) -> socket.socket:
    """A listening TCP socket (port 0 picks a free one); connections queue until the server runs."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


class SimServer(uvicorn.Server):
    """uvicorn.Server that stops cleanly on SIGINT/SIGTERM (exit status 0, no re-raised signal)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        originals = {sig: signal.signal(sig, self.handle_exit) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            yield
        finally:
            for sig, handler in originals.items():
                signal.signal(sig, handler)


def make_server(app: object, *, graceful_shutdown: int | None = 2, log_level: str = "warning") -> SimServer:
    """A uvicorn server for `app` using the dropping protocol; run it with `server.run(sockets=[sock])`."""
    config = uvicorn.Config(
        app,  # type: ignore[arg-type]
        http=DroppingH11Protocol,
        lifespan="off",
        log_level=log_level,
        access_log=False,
        timeout_graceful_shutdown=graceful_shutdown,
        timeout_keep_alive=30,
    )
    return SimServer(config)


def base_url_of(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"
