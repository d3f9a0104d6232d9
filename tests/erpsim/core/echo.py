"""A tiny simulator used only by the core tests: a list of items, a tenant header, two limits."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from erpsim.core import (
    ConcurrencyLimit,
    LimitRule,
    MutateError,
    MutateOp,
    RateLimit,
    Rejection,
    SimConfig,
    SimJSONResponse,
    Simulator,
    build_app,
)


def _tenant(request: Request) -> str | None:
    return request.headers.get("x-tenant")


class EchoSim(Simulator):
    system = "echo"

    def seed_state(self) -> None:
        self.items: list[dict[str, Any]] = [{"id": i} for i in range(self.config.count("vendors", 3))]
        self.expired = 0

    def routes(self) -> list[BaseRoute]:
        async def list_items(request: Request) -> Response:
            return SimJSONResponse({"items": self.items})

        async def add_item(request: Request) -> Response:
            item = {"id": len(self.items)}
            self.items.append(item)
            return SimJSONResponse(item, status_code=201)

        async def bad(request: Request) -> Response:
            return SimJSONResponse({"error": "nope"}, status_code=400)

        return [
            Route("/items", list_items, methods=["GET"]),
            Route("/items", add_item, methods=["POST"]),
            Route("/bad", bad, methods=["POST"]),
        ]

    def entity_counts(self) -> dict[str, int]:
        return {"Item": len(self.items)}

    def credentials(self) -> dict[str, str]:
        return {"token": "secret"}

    def tenant_key(self, request: Request) -> str | None:
        return _tenant(request)

    def limit_rules(self) -> Sequence[LimitRule]:
        return (RateLimit("per_minute", 5, 60.0, _tenant), ConcurrencyLimit("concurrent", 2, _tenant))

    def limit_response(self, request: Request, rejection: Rejection) -> Response:
        return SimJSONResponse({"throttled": rejection.rule}, status_code=429)

    def expire_credentials(self) -> None:
        self.expired += 1

    def mutate_ops(self) -> Mapping[str, MutateOp]:
        def drop_items(params: dict[str, Any]) -> dict[str, Any]:
            count = params.get("count")
            if not isinstance(count, int) or count < 0:
                raise MutateError("count must be a non-negative integer")
            del self.items[:count]
            return {"left": len(self.items)}

        return {"drop_items": drop_items}


def create_app(config: SimConfig) -> Any:
    return build_app(EchoSim(config))
