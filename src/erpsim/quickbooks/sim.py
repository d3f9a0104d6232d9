"""`QuickBooksSim`: the QuickBooks Online simulator wired into the erpsim core.

It owns the company store, the token server and the mutate ops, and answers the core's hooks with
QBO behaviour: the tenant key is the realm id in the path; limits are 500 requests per minute per
realm, 10 per second per realm, 10 concurrent per realm and 40 batch requests per minute per realm
(quickbooks.md §Rate limits; a batch counts as one request toward the 500), refused with HTTP 429 and the
ThrottleExceeded fault; injected 5xx are SystemFaults; `expire_tokens` expires every access token.
Identity endpoints (token, authorize, revoke) are not rate limited: they live on other Intuit hosts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from erpsim.core.faults import FaultKind
from erpsim.core.limits import ConcurrencyLimit, LimitRule, RateLimit, Rejection
from erpsim.core.seeding import SeededData
from erpsim.core.simulator import MutateError, MutateOp, Simulator
from erpsim.quickbooks import api, auth, edits, mutations, periods, webhooks
from erpsim.quickbooks import faults as f
from erpsim.quickbooks.seed import DEFAULT_BILLS, DEFAULT_POS, DEFAULT_VENDORS, seed_company
from erpsim.quickbooks.store import QboStore

API_PREFIX = "/v3/company/"


def realm_of(request: Request) -> str | None:
    path = request.url.path
    if not path.startswith(API_PREFIX):
        return None
    return path[len(API_PREFIX) :].split("/", 1)[0] or None


def _batch_realm(request: Request) -> str | None:
    return realm_of(request) if request.url.path.endswith("/batch") else None


class QuickBooksSim(Simulator):
    system = "quickbooks"

    def seed_state(self) -> None:
        creds = auth.credentials(self.config)
        self.realm_id = creds["realm_id"]
        self.store = QboStore(self.clock)
        self.tokens = auth.TokenServer(
            self.clock, self.stats, creds["client_id"], creds["client_secret"], self.realm_id
        )
        self.tokens.seed(creds["access_token"], creds["refresh_token"])
        seed_company(
            self.store,
            SeededData(f"quickbooks-{self.config.seed}"),
            realm_id=self.realm_id,
            vendors=self.config.count("vendors", DEFAULT_VENDORS),
            purchase_orders=self.config.count("purchase_orders", DEFAULT_POS),
            bills=self.config.count("bills", DEFAULT_BILLS),
        )
        self._ops = mutations.mutate_ops(self.store, SeededData(f"quickbooks-mutate-{self.config.seed}"))

    def routes(self) -> list[BaseRoute]:
        async def token(request: Request) -> Response:
            return await auth.token_endpoint(self.tokens, request)

        async def authorize(request: Request) -> Response:
            return await auth.authorize_endpoint(self.tokens, request)

        async def revoke(request: Request) -> Response:
            return await auth.revoke_endpoint(self.tokens, request)

        return [
            Route("/oauth2/v1/tokens/bearer", token, methods=["POST"]),
            Route("/connect/oauth2", authorize, methods=["GET"]),
            Route("/v2/oauth2/tokens/revoke", revoke, methods=["POST"]),
            *(Route(path, auth.discovery_endpoint, methods=["GET"]) for path in auth.DISCOVERY_PATHS),
            *periods.routes(self),
            *webhooks.routes(self, api.routes(self)),  # each write may notify a webhook
        ]

    def authenticate(self, request: Request) -> Response | None:
        """None if the bearer token is good for this realm; else the 401 / 403 response
        (quickbooks.md §Faults)."""
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        millis = int(self.clock.time() * 1000)
        if scheme.lower() != "bearer" or not token.strip():
            return f.authentication_failed("Authorization header is missing or not a Bearer token", millis)
        problem = self.tokens.check_access(token.strip())
        if problem is not None:
            return f.authentication_failed(problem, millis)
        if request.path_params.get("realmId") != self.realm_id:
            return f.fault_response(f.authorization_failed(), self.store.response_time())
        return None

    def credentials(self) -> dict[str, str]:
        return auth.credentials(self.config)

    def entity_counts(self) -> dict[str, int]:
        return self.store.counts()

    def mutate_ops(self) -> Mapping[str, MutateOp]:
        ops = {**self._ops, **periods.mutate_ops(self.store), "edit_bill_total": self._edit_bill_total}
        return webhooks.ops(self, ops)  # + webhook ops

    def _edit_bill_total(self, params: dict[str, Any]) -> dict[str, Any]:
        """{"bill_id", "total"}: a person changing a bill's amount in QuickBooks (edits.py)."""
        try:
            total = Decimal(str(params["total"]))
        except (KeyError, InvalidOperation):
            raise MutateError("edit_bill_total needs a bill_id and a numeric total") from None
        return edits.edit_bill_total(self.store, str(params.get("bill_id", "")), total)

    def tenant_key(self, request: Request) -> str | None:
        return realm_of(request)

    def is_write(self, request: Request) -> bool:
        path = request.url.path
        return request.method == "POST" and path.startswith(API_PREFIX) and not path.endswith("/query")

    def limit_rules(self) -> Sequence[LimitRule]:
        return (
            RateLimit("per_minute", 500, 60.0, realm_of),
            RateLimit("per_second", 10, 1.0, realm_of),
            ConcurrencyLimit("concurrent", 10, realm_of),
            RateLimit("batch_per_minute", 40, 60.0, _batch_realm),
        )

    def limit_response(self, request: Request, rejection: Rejection) -> Response:
        return f.fault_response(f.throttled(), self.store.response_time())

    def fault_response(self, request: Request, kind: FaultKind) -> Response:
        if kind is FaultKind.THROTTLE:
            return f.fault_response(f.throttled(), self.store.response_time())
        status = 504 if kind is FaultKind.TIMEOUT else 503 if kind is FaultKind.LOST_RESPONSE else 500
        return f.fault_response(f.system_failure(status), self.store.response_time())

    def expire_credentials(self) -> None:
        self.tokens.expire_all()

    def extra_state(self) -> dict[str, Any]:
        return {
            "realm_id": self.realm_id,
            "requestids_remembered": len(self.store.replays),
            "requestid_replays": self.stats.counters.get("requestid_replays", 0),
        }
