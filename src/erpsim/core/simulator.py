"""The base every ERP simulator extends: its configuration, its hooks, and its shared machinery.

`SimConfig` is what `erpsim serve` (and tests) pass to `create_app(config)`. `Simulator` owns the
clock, stats, fault injector and limiter, and defines the hooks a concrete simulator overrides:
`seed_state` (build the seeded data), `routes` (the ERP's real paths), `entity_counts`,
`credentials`, and optionally `mutate_ops`, `tenant_key`, `is_write`, `limit_rules`,
`limit_response` / `fault_response` (the ERP's own 429 and 5xx envelopes), `expire_credentials`,
`sessions_open`, `response_headers` and `extra_state`. `erpsim.core.app.build_app(sim)` turns a
simulator into a Starlette app with the middleware and the `/_sim/` control endpoints.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute

from erpsim.core.clock import Clock, isoformat_z
from erpsim.core.faults import FaultInjector, FaultKind, FaultPlan
from erpsim.core.limits import Limiter, LimitRule, Permit, RateLimit, Rejection
from erpsim.core.stats import Stats

SleepFn = Callable[[float], Awaitable[None]]
MutateOp = Callable[[dict[str, Any]], dict[str, Any]]
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@dataclass
class SimConfig:
    """Options of one simulator instance (the `erpsim serve` flags, plus test injections).

    `vendors` / `purchase_orders` / `bills` of None mean the simulator's defaults. `clock` and `sleep`
    default to real time and `asyncio.sleep`; tests inject `Clock.fixed()` and `clock.sleep`.
    """

    seed: int = 1
    vendors: int | None = None
    purchase_orders: int | None = None
    bills: int | None = None
    latency_ms: float = 0.0
    faults: str = ""
    limits: str = "real"
    base_url: str = "http://127.0.0.1"
    clock: Clock | None = None
    sleep: SleepFn | None = None
    log_size: int = 10_000

    def __post_init__(self) -> None:
        if self.limits not in ("real", "off"):
            raise ValueError(f"limits must be 'real' or 'off', not {self.limits!r}")
        for name in ("vendors", "purchase_orders", "bills"):
            value = getattr(self, name)
            if value is not None and value < 0:
                raise ValueError(f"{name} must be >= 0")
        if self.latency_ms < 0:
            raise ValueError("latency_ms must be >= 0")
        FaultPlan.parse(self.faults)  # fail early on a bad spec

    def count(self, name: str, default: int) -> int:
        value = getattr(self, name)
        return default if value is None else int(value)


class MutateError(ValueError):
    """Bad `POST /_sim/mutate` request (unknown op, missing or invalid parameter)."""


class Simulator:
    """Base class of the four simulators; see the module docstring for the hooks."""

    system: ClassVar[str] = ""

    def __init__(self, config: SimConfig) -> None:
        self.config = config
        self.clock = config.clock or Clock.real()
        self.sleep: SleepFn = config.sleep or asyncio.sleep
        self.stats = Stats(self.clock, log_size=config.log_size)
        self.initial_plan = FaultPlan.parse(config.faults).with_latency(config.latency_ms / 1000)
        self.faults = FaultInjector(seed=config.seed)
        self.limiter = Limiter(self.limit_rules() if config.limits == "real" else (), self.clock)
        self.seed_state()
        self.set_fault_plan(self.initial_plan)

    # ---- shared behaviour -------------------------------------------------------------------
    def set_fault_plan(self, plan: FaultPlan) -> None:
        """Install a plan; its one-shot `expire_tokens` runs now."""
        self.faults.set_plan(plan)
        if plan.expire_tokens:
            self.expire_credentials()

    def reset(self) -> None:
        """Back to the seeded state: data, stats, limit windows and the startup fault plan."""
        self.stats.reset()
        self.limiter.reset()
        self.faults.reset(FaultPlan())
        self.seed_state()
        self.set_fault_plan(self.initial_plan)

    def mutate(self, op: str, params: dict[str, Any]) -> dict[str, Any]:
        ops = self.mutate_ops()
        if op not in ops:
            raise MutateError(f"unknown op {op!r}; known: {', '.join(sorted(ops)) or 'none'}")
        return ops[op](params)

    def state(self, *, include_log: bool = False) -> dict[str, Any]:
        data: dict[str, Any] = {
            "system": self.system,
            "seed": self.config.seed,
            "clock": isoformat_z(self.clock.now()),
            "entities": self.entity_counts(),
        }
        data.update(self.stats.to_json(include_log=include_log))
        counters = self.stats.counters
        data["auth"] = {
            "tokens_issued": counters.get("tokens_issued", 0),
            "tokens_refreshed": counters.get("tokens_refreshed", 0),
            "sessions_open": self.sessions_open(),
        }
        data["faults"] = {"plan": self.faults.plan.to_spec(), "remaining": dict(self.faults.remaining)}
        data["limits"].update(mode=self.config.limits, rules=[_describe(rule) for rule in self.limiter.rules])
        data["mutate_ops"] = sorted(self.mutate_ops())
        data["extra"] = self.extra_state()
        return data

    # ---- hooks: must override ---------------------------------------------------------------
    def seed_state(self) -> None:
        """(Re)build all data from `self.config` (seed, counts) and the clock."""
        raise NotImplementedError

    def routes(self) -> list[BaseRoute]:
        raise NotImplementedError

    def entity_counts(self) -> dict[str, int]:
        raise NotImplementedError

    def credentials(self) -> dict[str, str]:
        raise NotImplementedError

    # ---- hooks: may override ----------------------------------------------------------------
    def mutate_ops(self) -> Mapping[str, MutateOp]:
        return {}

    def tenant_key(self, request: Request) -> str | None:
        """The tenant a request belongs to (realm, tenant id, company db...), for stats."""
        return None

    def is_write(self, request: Request) -> bool:
        """Whether the request can change ERP state (for commit_then_fail)."""
        return request.method in WRITE_METHODS

    def limit_rules(self) -> Sequence[LimitRule]:
        return ()

    def limit_response(self, request: Request, rejection: Rejection) -> Response:
        headers = {"Retry-After": str(max(1, round(rejection.retry_after)))} if rejection.retry_after else {}
        return JSONResponse({"error": "rate limit exceeded", "rule": rejection.rule}, 429, headers=headers)

    def fault_response(self, request: Request, kind: FaultKind) -> Response:
        """The response for an injected fault: THROTTLE, SERVER_ERROR, TIMEOUT or LOST_RESPONSE."""
        if kind is FaultKind.THROTTLE:
            return JSONResponse({"error": "rate limit exceeded (injected)"}, 429)
        status = 504 if kind is FaultKind.TIMEOUT else 500
        return JSONResponse({"error": f"injected {kind.value}"}, status)

    def expire_credentials(self) -> None:
        """Expire every access token / session now (fault `expire_tokens`)."""

    def sessions_open(self) -> int:
        return 0

    def response_headers(self, request: Request, permit: Permit) -> Mapping[str, str]:
        """Headers added to every admitted ERP response (e.g. Xero's X-MinLimit-Remaining)."""
        return {}

    def extra_state(self) -> dict[str, Any]:
        return {}


def _describe(rule: LimitRule) -> dict[str, Any]:
    if isinstance(rule, RateLimit):
        return {
            "name": rule.name,
            "limit": rule.limit,
            "window_seconds": rule.window,
            "sliding": rule.sliding,
        }
    return {"name": rule.name, "concurrent": rule.limit}
