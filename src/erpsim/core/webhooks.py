"""Outgoing webhooks of a simulator, as the real ERPs send them: signed, ordered, retried, never in the
way of the API call that changed the data.

A simulator's `Notifier` (subclassed per ERP in `erpsim/<erp>/webhooks.py`) keeps a snapshot of the
records its ERP notifies about and, after every write request (`watch_routes`) and every `/_sim/mutate`
op (`watch_ops`), diffs the data against it and hands the changes to its `WebhookSender` as one
payload. The sender signs the raw body (base64 HMAC-SHA256 under the configured key, the scheme of
both QuickBooks and Xero) and posts payloads one at a time, in order, from a task on the running event
loop (a thread when there is none), so the request that changed the data answers first. A delivery
that is not answered 200 in time is retried after each of `retry_delays` and then dropped (the real
ERPs retry for hours: QuickBooks at 10 s, 20 s, 30 s, 5 min ... then every 6 h, holding later events
until one is acknowledged; Xero with decreasing frequency for 24 h, erp-api-facts §1.13, §2.11); the
next payload waits meanwhile, as Intuit's queue does.

Configured through `/_sim/mutate` (no core change needed): `{"op": "webhooks", "url": ..., "key": ...,
"retry_delays": [...], "timeout": 5}` (an empty url stops them; the key defaults to a seeded one and
is returned); `{"op": "webhook_status"}` reads what was sent, delivered, retried and dropped.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import threading
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from erpsim.core.seeding import SeededData
from erpsim.core.simulator import WRITE_METHODS, MutateError, MutateOp, Simulator

DEFAULT_RETRY_DELAYS = (10.0, 20.0, 30.0, 300.0)  # Intuit's first retries; bounded here
MAX_RETRIES = 20


def sign(key: str, body: bytes) -> str:
    """base64(HMAC-SHA256(key, raw body)): the signature header of QuickBooks and Xero webhooks."""
    return base64.b64encode(hmac.new(key.encode(), body, hashlib.sha256).digest()).decode("ascii")


@dataclass
class WebhookTarget:
    url: str
    key: str
    retry_delays: tuple[float, ...] = DEFAULT_RETRY_DELAYS
    timeout: float = 5.0


@dataclass
class DeliveryStats:
    sent: int = 0  # payloads handed to the sender
    attempts: int = 0
    delivered: int = 0
    retried: int = 0
    dropped: int = 0  # every retry failed
    last_status: int | None = None
    last_error: str | None = None
    intent_to_receive: dict[str, Any] = field(default_factory=dict)


class WebhookSender:
    """Signs and posts payloads in order with bounded retries (see the module docstring)."""

    def __init__(self, header: str, sleep: Callable[[float], Any] = asyncio.sleep) -> None:
        self.header = header
        self.target: WebhookTarget | None = None
        self.stats = DeliveryStats()
        self._sleep = sleep
        self._queue: deque[tuple[WebhookTarget, bytes]] = deque()
        self._lock = threading.Lock()
        self._running = False
        self._tasks: set[Any] = set()

    def send(self, body: bytes) -> None:
        """Queue one payload for the configured target (nothing when none is)."""
        if self.target is None:
            return
        with self._lock:
            self._queue.append((self.target, body))
            self.stats.sent += 1
            if self._running:
                return
            self._running = True
        self.start(self._drain())

    def start(self, work: Any) -> None:
        """Run the coroutine `work` on the running loop (a task), or in a thread of its own."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # called outside any event loop: deliver from a thread of our own
            thread = threading.Thread(target=asyncio.run, args=(work,), name="erpsim-webhooks", daemon=True)
            thread.start()
            return
        task = loop.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _drain(self) -> None:
        try:
            while True:
                with self._lock:
                    if not self._queue:
                        self._running = False
                        return
                    target, body = self._queue.popleft()
                await self._deliver(target, body)
        except BaseException:
            with self._lock:
                self._running = False
            raise

    async def _deliver(self, target: WebhookTarget, body: bytes) -> None:
        signature = sign(target.key, body)
        for number, delay in enumerate((0.0, *target.retry_delays)):
            if number:
                self.stats.retried += 1
                await self._sleep(delay)
            if await self.post(target, body, signature) == 200:  # both ERPs want exactly 200
                self.stats.delivered += 1
                return
        self.stats.dropped += 1

    async def post(self, target: WebhookTarget, body: bytes, signature: str) -> int | None:
        """One POST; the status, or None when the endpoint could not be reached in time."""
        self.stats.attempts += 1
        headers = {self.header: signature, "content-type": "application/json"}
        try:
            async with httpx.AsyncClient(timeout=target.timeout) as client:
                response = await client.post(target.url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            self.stats.last_status, self.stats.last_error = None, f"{type(exc).__name__}: {exc}"[:200]
            return None
        self.stats.last_status, self.stats.last_error = response.status_code, None
        return response.status_code

    def status(self) -> dict[str, Any]:
        target = self.target
        return {
            "url": target.url if target else None,
            "retry_delays": list(target.retry_delays) if target else [],
            "pending": len(self._queue),
            **{k: v for k, v in vars(self.stats).items()},
        }


class Notifier:
    """One simulator's webhooks: what changed since the last look, as the ERP's payload. Subclasses
    define `header`, `snapshot()` (a comparable value per record key), `events(before, after)` and
    `payload(events)`."""

    header = ""

    def __init__(self, sim: Simulator) -> None:
        self.sim = sim
        self.sender = WebhookSender(self.header, sim.sleep)
        self.options: dict[str, Any] = {}
        self._seen: Any = None
        self._data: Any = None

    # ---- to override ------------------------------------------------------------------------------
    def data_identity(self) -> Any:
        """The object that `seed_state` replaces on a reset (a reset is no change to notify)."""
        raise NotImplementedError

    def snapshot(self) -> Any:
        raise NotImplementedError

    def events(self, before: Any, after: Any) -> list[Any]:
        raise NotImplementedError

    def payload(self, events: list[Any]) -> bytes:
        raise NotImplementedError

    def configure_extra(self, params: dict[str, Any]) -> dict[str, Any]:
        """ERP-specific options of the `webhooks` op (e.g. QuickBooks' payload format)."""
        return {}

    def extra_ops(self) -> dict[str, MutateOp]:
        """ERP-specific webhook ops (e.g. Xero's intent to receive)."""
        return {}

    # ---- the hooks a simulator calls ----------------------------------------------------------------
    @classmethod
    def of(cls, sim: Simulator) -> Notifier:
        """The simulator's notifier, made on first use and kept across resets."""
        found = sim.__dict__.get("_webhook_notifier")
        if not isinstance(found, cls):
            found = sim.__dict__["_webhook_notifier"] = cls(sim)
        return found

    @classmethod
    def routes(cls, sim: Simulator, api_routes: Iterable[BaseRoute]) -> list[BaseRoute]:
        """The API routes, each write followed by a look for changes to notify."""
        return watch_routes(cls.of(sim), api_routes)

    @classmethod
    def ops(cls, sim: Simulator, mutate_ops: Mapping[str, MutateOp]) -> dict[str, MutateOp]:
        """The mutate ops, each followed by a look for changes, plus the webhook ops."""
        found = cls.of(sim)
        return {**watch_ops(found, mutate_ops), **found.extra_ops()}

    # ---- shared -----------------------------------------------------------------------------------
    def prepare(self) -> None:
        """Before a change: after a reset, look afresh (new data, which nobody changed)."""
        if self.sender.target is not None and self._data is not self.data_identity():
            self._rebase()

    def changed(self) -> None:
        """Compare with the snapshot and send what changed (nothing when no target is configured)."""
        if self.sender.target is None:
            return
        if self._data is not self.data_identity():  # reset during the change: nothing to compare
            self._rebase()
            return
        after = self.snapshot()
        found = self.events(self._seen, after)
        self._seen = after
        if found:
            self.sender.send(self.payload(found))

    def _rebase(self) -> None:
        self._data = self.data_identity()
        self._seen = self.snapshot()

    def configure(self, params: dict[str, Any]) -> dict[str, Any]:
        url = str(params.get("url") or "")
        if not url:
            self.sender.target = None
            return {"url": None}
        if not url.startswith(("http://", "https://")):
            raise MutateError("url must be http(s)://...")
        key = str(
            params.get("key") or SeededData(f"{self.sim.system}-webhook-{self.sim.config.seed}").token(64)
        )
        try:
            delays = tuple(float(d) for d in params.get("retry_delays", DEFAULT_RETRY_DELAYS))
            timeout = float(params.get("timeout", 5.0))
        except (TypeError, ValueError):
            raise MutateError("retry_delays must be a list of seconds and timeout a number") from None
        if len(delays) > MAX_RETRIES or any(d < 0 for d in delays) or timeout <= 0:
            raise MutateError(f"at most {MAX_RETRIES} retry delays >= 0, and a timeout > 0")
        extra = self.configure_extra(params)
        self.sender.target = WebhookTarget(url, key, delays, timeout)
        self._rebase()
        return {"url": url, "key": key, "retry_delays": list(delays), "timeout": timeout, **extra}


def watch_routes(notifier: Notifier, routes: Iterable[BaseRoute]) -> list[BaseRoute]:
    """`routes`, each write answered and then followed by `notifier.changed()`."""
    watched = list(routes)
    for route in watched:
        if isinstance(route, Route):
            route.app = _after_writes(route.app, notifier)
    return watched


def _after_writes(app: ASGIApp, notifier: Notifier) -> ASGIApp:
    async def wrapped(scope: Scope, receive: Receive, send: Send) -> None:
        write = scope.get("method") in WRITE_METHODS
        if write:
            notifier.prepare()
        try:
            await app(scope, receive, send)
        finally:
            if write:
                notifier.changed()

    return wrapped


def watch_ops(notifier: Notifier, ops: Mapping[str, MutateOp]) -> dict[str, MutateOp]:
    """`ops`, each followed by `notifier.changed()`, plus the `webhooks` and `webhook_status` ops."""

    def after(op: MutateOp) -> MutateOp:
        def run(params: dict[str, Any]) -> dict[str, Any]:
            notifier.prepare()
            try:
                return op(params)
            finally:
                notifier.changed()

        return run

    watched = {name: after(op) for name, op in ops.items()}
    watched["webhooks"] = notifier.configure
    watched["webhook_status"] = lambda _params: notifier.sender.status()
    return watched
