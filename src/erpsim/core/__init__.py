"""The shared core of the ERP simulators: clock, seeded data, faults, limits, stats, app and server.

A simulator subclasses `Simulator` (hooks: seed_state, routes, entity_counts, credentials, and
optionally mutate_ops, tenant_key, is_write, limit_rules, limit_response, fault_response,
expire_credentials, sessions_open, response_headers, extra_state) and exposes
`create_app(config) = build_app(MySimulator(config))` plus `credentials(config)`. Everything else
(the `/_sim/` control endpoints, request stats, limits, fault injection, a real loopback server for
tests) comes from here. Nothing in this package knows any particular ERP.
"""

from __future__ import annotations

from erpsim.core.app import build_app
from erpsim.core.clock import Clock, isoformat_z
from erpsim.core.faults import FaultInjector, FaultKind, FaultPlan, FaultSpecError
from erpsim.core.jsonutil import SimJSONResponse
from erpsim.core.limits import (
    ConcurrencyGate,
    ConcurrencyLimit,
    FixedWindow,
    Limiter,
    LimitRule,
    Permit,
    RateLimit,
    Rejection,
    SlidingWindow,
)
from erpsim.core.seeding import SeededData, unique_name
from erpsim.core.simulator import MutateError, MutateOp, SimConfig, Simulator
from erpsim.core.stats import RequestRecord, Stats

__all__ = [
    "Clock",
    "ConcurrencyGate",
    "ConcurrencyLimit",
    "FaultInjector",
    "FaultKind",
    "FaultPlan",
    "FaultSpecError",
    "FixedWindow",
    "LimitRule",
    "Limiter",
    "MutateError",
    "MutateOp",
    "Permit",
    "RateLimit",
    "Rejection",
    "RequestRecord",
    "SeededData",
    "SimConfig",
    "SimJSONResponse",
    "Simulator",
    "SlidingWindow",
    "Stats",
    "build_app",
    "isoformat_z",
    "unique_name",
]
