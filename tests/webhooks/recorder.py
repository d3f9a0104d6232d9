"""A webhook endpoint for simulator tests: records every POST (headers and raw body) and answers with
the statuses it is told to, in turn (200 once they run out), or what `answer` decides; served on
loopback by `live_server` (the `recorder` fixture). `mutate` and `wait_status` drive a simulator's
`/_sim/mutate` over HTTP."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from erpsim.core.testing import LiveServer


@dataclass
class Recorder:
    statuses: list[int] = field(default_factory=list)
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    answer: Callable[[dict[str, str], bytes], int] | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def app(self) -> Starlette:
        async def hook(request: Request) -> Response:
            body = await request.body()
            headers = {k.lower(): v for k, v in request.headers.items()}
            with self.lock:
                self.received.append((headers, body))
                status = self.statuses.pop(0) if self.statuses else 200
            if self.answer is not None:
                status = self.answer(headers, body)
            return Response(status_code=status)

        return Starlette(routes=[Route("/hook", hook, methods=["POST"])])

    def wait_for(self, count: int, timeout: float = 20.0) -> list[tuple[dict[str, str], bytes]]:
        """The first `count` requests, polled until they arrive or `timeout` passes (then fails)."""
        deadline = time.monotonic() + timeout
        ready = threading.Event()
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.received) >= count:
                    return list(self.received[:count])
            ready.wait(0.02)  # the simulator delivers from another thread: poll with a deadline
        raise AssertionError(f"expected {count} webhook request(s), got {len(self.received)}")


def mutate(server: LiveServer, op: str, **params: Any) -> dict[str, Any]:
    answer = httpx.post(f"{server.base_url}/_sim/mutate", json={"op": op, **params}, timeout=10)
    assert answer.status_code == 200, answer.text
    return dict(answer.json()["result"])


def wait_status(server: LiveServer, done: Any, timeout: float = 20) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    ready = threading.Event()
    while time.monotonic() < deadline:
        status = mutate(server, "webhook_status")
        if done(status):
            return status
        ready.wait(0.02)  # the simulator delivers from its own thread: poll with a deadline
    raise AssertionError(f"webhook status never reached the expected state: {status}")
