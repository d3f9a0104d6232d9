"""The one ASGI middleware every simulator runs under: stats, limits, then faults, then the ERP.

For each ERP request (anything outside `/_sim/`) it, in order: records the request in `Stats`;
asks the `Limiter` for a permit (a refusal is rendered by `sim.limit_response` in the ERP's own
envelope); applies the fault plan inside the permit, so injected latency occupies a concurrency
slot exactly like a slow ERP would (latency, then at most one of drop / timeout / throttle /
server error, rendered by `sim.fault_response`, or a malformed 200); runs the ERP route; and, for
a write while a `commit_then_fail` is pending, lets the write commit but loses its 2xx response. Pure ASGI (no
BaseHTTPMiddleware), so responses stream and the cost per request stays small.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from erpsim.core.faults import FaultKind, malformed_response
from erpsim.core.limits import Permit, Rejection
from erpsim.core.server import drop_connection
from erpsim.core.simulator import Simulator
from erpsim.core.stats import RequestRecord

CONTROL_PREFIX = "/_sim"


class SimMiddleware:
    def __init__(self, app: ASGIApp, sim: Simulator, routes: Sequence[BaseRoute] = ()) -> None:
        self.app = app
        self.sim = sim
        self.routes = tuple(routes)  # to name the endpoint of requests refused before routing

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")
        if scope["type"] != "http" or path == CONTROL_PREFIX or path.startswith(CONTROL_PREFIX + "/"):
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        record = self.sim.stats.begin(request.method, path, self.sim.tenant_key(request))
        try:
            admission = self.sim.limiter.acquire(request)
            if isinstance(admission, Rejection):
                record.throttled = True
                response = self.sim.limit_response(request, admission)
                await response(scope, receive, _recording(send, record))
                return
            try:
                await self._admitted(scope, receive, send, request, record, admission)
            finally:
                admission.release()
        finally:
            self.sim.stats.end(record, self._endpoint_label(scope, request.method))

    async def _admitted(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        request: Request,
        record: RequestRecord,
        permit: Permit,
    ) -> None:
        sim = self.sim
        extra = sim.response_headers(request, permit)
        out = _recording(send, record, extra)
        decision = sim.faults.decide(request.url.path)
        if decision.latency > 0:
            await sim.sleep(decision.latency)
        if decision.kind is not None:
            record.fault = decision.kind.value
            if decision.kind is FaultKind.DROP:
                await drop_connection()
                return
            if decision.kind is FaultKind.TIMEOUT:
                await sim.sleep(decision.timeout_after)
            if decision.kind is FaultKind.MALFORMED:  # a broken 200, the same whichever ERP
                await malformed_response(sim.faults.plan.malformed)(scope, receive, out)
                return
            await sim.fault_response(request, decision.kind)(scope, receive, out)
            return
        if sim.is_write(request) and sim.faults.commit_pending(request.url.path):
            await self._commit_then_fail(scope, receive, out, request, record)
            return
        await self.app(scope, receive, out)

    async def _commit_then_fail(
        self, scope: Scope, receive: Receive, send: Send, request: Request, record: RequestRecord
    ) -> None:
        buffered: list[Message] = []

        async def hold(message: Message) -> None:
            buffered.append(message)

        await self.app(scope, receive, hold)
        status = next((int(m["status"]) for m in buffered if m["type"] == "http.response.start"), 500)
        if not 200 <= status < 300:  # nothing was committed: pass the response through untouched
            for message in buffered:
                await send(message)
            return
        self.sim.faults.consume_commit()
        record.fault = FaultKind.LOST_RESPONSE.value
        lost = self.sim.faults.plan.lost_response
        if lost == "drop":
            await drop_connection()
            return
        response = self.sim.fault_response(request, FaultKind.LOST_RESPONSE)
        response.status_code = int(lost)
        await response(scope, receive, send)

    def _endpoint_label(self, scope: Scope, method: str) -> str:
        """`METHOD /route/{template}` of the request, found by the router or matched here."""
        route = scope.get("route")
        if route is None:
            route = next((r for r in self.routes if r.matches(scope)[0] is Match.FULL), None)
        template = getattr(route, "path", None)
        return f"{method} {template}" if template else f"{method} (unmatched)"


def _recording(send: Send, record: RequestRecord, extra: Any = None) -> Send:
    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            record.status = int(message["status"])
            if extra:
                headers = MutableHeaders(scope=message)
                for name, value in extra.items():
                    headers[name] = value
        await send(message)

    return wrapped
