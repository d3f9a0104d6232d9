"""`SapSim`: the SAP Business One Service Layer simulator, on the erpsim core.

One server hosting two company databases: `SBODEMOUS` (US localisation, sales-tax codes, sized by
`--vendors` / `--purchase-orders` / `--bills`) and `SBODEMOGB` (UK, VAT groups, small), both open to
the same B1 user (`manager`, a password derived from the seed). There is no published rate limit
(sap.md §Capacity); what a real server has is a finite number of worker threads, modelled as a
configurable cap on requests in flight (default 8, UNCERTAIN: site configuration) answered, like the
Apache front end, with an HTML 503. Injected faults render the same way (503 for throttling, 504
from the proxy for timeouts and lost responses, a JSON 500 for server errors). The `expire_tokens`
fault drops every session, and `/_sim/mutate` ops live in `erpsim.sap.mutations`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from erpsim.core import (
    ConcurrencyLimit,
    FaultKind,
    Limiter,
    LimitRule,
    MutateOp,
    Rejection,
    SeededData,
    SimConfig,
    Simulator,
)
from erpsim.sap import periods
from erpsim.sap.company import Company
from erpsim.sap.envelope import error, gateway_timeout, overloaded
from erpsim.sap.mutations import mutate_ops
from erpsim.sap.routes import build_routes
from erpsim.sap.seed import seed_company
from erpsim.sap.sessions import SessionStore

DEFAULT_MAX_CONCURRENT = 8
PRIMARY_DB, SECOND_DB = "SBODEMOUS", "SBODEMOGB"
USER = "manager"


def credentials(config: SimConfig) -> dict[str, str]:
    """The connection credentials of this seed: company DB, user, password (no seeding needed)."""
    return {
        "company_db": PRIMARY_DB,
        "username": USER,
        "password": SeededData(f"sap-password-{config.seed}").token(16),
    }


def _server_key(request: Request) -> str | None:
    return "server" if request.url.path.startswith("/b1s/") else None


class SapSim(Simulator):
    system = "sap"

    def __init__(self, config: SimConfig, *, max_concurrent: int = DEFAULT_MAX_CONCURRENT) -> None:
        self.max_concurrent = max_concurrent
        super().__init__(config)

    # ---- data ---------------------------------------------------------------------------------
    def seed_state(self) -> None:
        self.sessions = SessionStore(self.clock, self.config.seed)
        self.mutations = 0
        us = Company(PRIMARY_DB, "OEC Computers US", "US", "USD", self.clock)
        seed_company(
            us,
            SeededData(f"sap-{self.config.seed}-us"),
            self.config.count("vendors", 300),
            self.config.count("purchase_orders", 200),
            self.config.count("bills", 100),
        )
        gb = Company(SECOND_DB, "OEC Computers UK", "GB", "GBP", self.clock)
        seed_company(gb, SeededData(f"sap-{self.config.seed}-gb"), 12, 6, 4)
        self.companies: dict[str, Company] = {us.db: us, gb.db: gb}

    def user_credentials(self) -> tuple[str, str]:
        creds = credentials(self.config)
        return creds["username"], creds["password"]

    def routes(self) -> list[BaseRoute]:
        return build_routes(self)

    def entity_counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for company in self.companies.values():
            for name, records in company.sets.items():
                counts[name] = counts.get(name, 0) + len(records)
        return counts

    def credentials(self) -> dict[str, str]:
        return credentials(self.config)

    def mutate_ops(self) -> Mapping[str, MutateOp]:
        return {**mutate_ops(self), **periods.mutate_ops(self)}  # + set_lock_date, set_period_status

    # ---- sessions, limits, faults -------------------------------------------------------------
    def tenant_key(self, request: Request) -> str | None:
        session = self.sessions.peek(request.cookies.get("B1SESSION"))
        return session.company_db if session is not None else None

    def is_write(self, request: Request) -> bool:
        path = request.url.path
        return (
            request.method in ("POST", "PATCH", "PUT", "DELETE")
            and not path.endswith(("/Login", "/Logout"))
            and "/CompanyService_Get" not in path
        )

    def limit_rules(self) -> Sequence[LimitRule]:
        return (ConcurrencyLimit("worker_threads", self.max_concurrent, _server_key),)

    def set_max_concurrent(self, limit: int) -> None:
        self.max_concurrent = limit
        if self.config.limits == "real":
            self.limiter = Limiter(self.limit_rules(), self.clock)

    def limit_response(self, request: Request, rejection: Rejection) -> Response:
        return overloaded()

    def fault_response(self, request: Request, kind: FaultKind) -> Response:
        if kind is FaultKind.THROTTLE:
            return overloaded()
        if kind is FaultKind.SERVER_ERROR:
            version = "v2" if request.url.path.startswith("/b1s/v2/") else "v1"
            return error(version, 500, -1, "Internal error (-1) occurred")
        return gateway_timeout()

    def expire_credentials(self) -> None:
        self.sessions.expire_all()

    def sessions_open(self) -> int:
        return self.sessions.open_count()

    def extra_state(self) -> dict[str, Any]:
        return {
            "companies": sorted(self.companies),
            "session_timeout_minutes": self.sessions.timeout_minutes,
            "max_concurrent": self.max_concurrent,
        }
