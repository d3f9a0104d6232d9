"""`build_app(sim)`: a simulator's Starlette app, with the `/_sim/` control endpoints mounted.

Control endpoints (never behind the ERP's auth, never counted, limited or faulted):

    GET  /_sim/state            counts, stats, auth figures, fault plan, limits (`?log=1` adds the
                                per-request log)
    POST /_sim/faults           body: the spec as text, or JSON {"spec": "..."}; replaces the plan
    POST /_sim/clock            JSON {"advance_seconds": N}; returns {"now": ...}
    POST /_sim/mutate           JSON {"op": NAME, ...params}; simulator-specific ERP-side changes
    POST /_sim/reset            back to the seeded state (data, stats, windows, startup faults)

Errors are JSON `{"error": message}` with status 400.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route

from erpsim.core.clock import isoformat_z
from erpsim.core.faults import FaultPlan, FaultSpecError
from erpsim.core.jsonutil import SimJSONResponse
from erpsim.core.middleware import SimMiddleware
from erpsim.core.simulator import MutateError, Simulator


def build_app(sim: Simulator) -> Starlette:
    """The ASGI app of `sim`: its ERP routes plus `/_sim/`, under `SimMiddleware`."""
    erp_routes = sim.routes()
    app = Starlette(
        routes=[Mount("/_sim", routes=control_routes(sim)), *erp_routes],
        middleware=[Middleware(SimMiddleware, sim=sim, routes=erp_routes)],
    )
    app.state.sim = sim
    return app


def _bad(message: str) -> SimJSONResponse:
    return SimJSONResponse({"error": message}, status_code=400)


async def _json_object(request: Request) -> dict[str, Any]:
    try:
        body = json.loads(await request.body() or b"{}")
    except json.JSONDecodeError as exc:
        raise MutateError(f"body is not JSON: {exc.msg}") from None
    if not isinstance(body, dict):
        raise MutateError("body must be a JSON object")
    return body


def control_routes(sim: Simulator) -> list[Route]:
    async def state(request: Request) -> Response:
        include_log = request.query_params.get("log", "").lower() in {"1", "true", "yes"}
        return SimJSONResponse(sim.state(include_log=include_log))

    async def faults(request: Request) -> Response:
        raw = (await request.body()).decode("utf-8", "replace")
        if request.headers.get("content-type", "").startswith("application/json"):
            try:
                raw = str(json.loads(raw or "{}").get("spec", ""))
            except (json.JSONDecodeError, AttributeError):
                return _bad('JSON body must be {"spec": "..."}')
        try:
            plan = FaultPlan.parse(raw)
        except FaultSpecError as exc:
            return _bad(str(exc))
        sim.set_fault_plan(plan)
        return SimJSONResponse({"faults": plan.to_spec()})

    async def clock(request: Request) -> Response:
        try:
            body = await _json_object(request)
            seconds = float(body["advance_seconds"])
            now = sim.clock.advance(seconds)
        except (MutateError, KeyError, TypeError, ValueError) as exc:
            return _bad(f'expected {{"advance_seconds": N}} with N >= 0 ({exc})')
        return SimJSONResponse({"now": isoformat_z(now)})

    async def mutate(request: Request) -> Response:
        try:
            body = await _json_object(request)
            op = body.pop("op", None)
            if not isinstance(op, str):
                raise MutateError('expected {"op": NAME, ...}')
            result = sim.mutate(op, body)
        except MutateError as exc:
            return _bad(str(exc))
        return SimJSONResponse({"op": op, "result": result})

    async def reset(request: Request) -> Response:
        sim.reset()
        return SimJSONResponse({"reset": True, "entities": sim.entity_counts()})

    return [
        Route("/state", state, methods=["GET"]),
        Route("/faults", faults, methods=["POST"]),
        Route("/clock", clock, methods=["POST"]),
        Route("/mutate", mutate, methods=["POST"]),
        Route("/reset", reset, methods=["POST"]),
    ]
