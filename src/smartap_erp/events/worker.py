"""The worker's event-delivery loop: a thread with its own event loop, engine, vault and HTTP client that
runs `delivery.run_pass` every `interval` seconds until the worker stops (`smartap-erp worker` starts it
beside DBOS's queue, at its polling interval). A pass that found nothing to do doubles the wait before
the next one, up to `IDLE_MAX_SECONDS` (or `interval` if longer): a worker polling every 0.1 s does not
spend 3 ms of CPU and a GIL hand-over ten times a second on an empty outbox while it imports (issue 17);
a pass that sent or fanned out anything goes back to `interval`. Its vault re-reads the keys when a
secret opens with none it holds, so a `keys rotate --new-key` done while it runs does not stop
deliveries. Off the main thread, a slow receiver (up to the 15 s timeout) never delays the worker's
heartbeat; a pass that fails (the database briefly unreachable) is one log line and the next pass tries
again.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import socket
import threading

import httpx

from smartap_erp.db.session import engine_from_settings, make_session_factory
from smartap_erp.events.delivery import run_pass
from smartap_erp.http.redact import get_logger
from smartap_erp.jobs.operations import ReloadingVault, fresh_keyring
from smartap_erp.settings import Settings

log = get_logger(__name__)

IDLE_MAX_SECONDS = 1.0


def next_wait(interval: float, waited: float, *, busy: bool) -> float:
    """Seconds before the next pass: `interval` after a busy pass, else twice `waited`, capped."""
    if busy:
        return interval
    return min(max(interval, IDLE_MAX_SECONDS), waited * 2)


class DeliveryLoop(threading.Thread):
    def __init__(self, settings: Settings, worker_id: str, *, interval: float = 1.0) -> None:
        super().__init__(name="smartap-events", daemon=True)
        self.settings = settings
        self.holder = f"{worker_id}@{socket.gethostname()}/{os.getpid()}"[:255]
        self.interval = max(0.05, interval)
        self.stopping = threading.Event()

    def run(self) -> None:
        asyncio.run(self._loop())

    async def _loop(self) -> None:
        engine = engine_from_settings(self.settings)
        sessions = make_session_factory(engine)
        vault = ReloadingVault(lambda: fresh_keyring(self.settings))
        try:
            async with httpx.AsyncClient(follow_redirects=False, trust_env=False) as client:
                wait = self.interval
                while not self.stopping.is_set():
                    busy = False
                    try:
                        result = await run_pass(
                            sessions,
                            vault,
                            client,
                            now=dt.datetime.now(dt.UTC),
                            holder=self.holder,
                            clock=lambda: dt.datetime.now(dt.UTC),
                        )
                        if result.attempted:
                            log.info("events: %d sent, %d delivered", result.attempted, result.delivered)
                        busy = bool(result.dispatched or result.attempted)
                    except Exception as exc:  # keep the loop alive; the next pass retries
                        log.warning("event delivery pass failed: %s: %s", type(exc).__name__, exc)
                    wait = next_wait(self.interval, wait, busy=busy)
                    await asyncio.to_thread(self.stopping.wait, wait)
        finally:
            await engine.dispose()

    def stop(self, timeout: float = 20.0) -> None:
        self.stopping.set()
        if self.is_alive():
            self.join(timeout)
