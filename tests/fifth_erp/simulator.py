"""The Ledgerly simulator: a small ERP API on the erpsim core (Starlette, `/_sim/` control endpoints).

OAuth 2.0 with rotating refresh tokens (`POST /oauth/token`, client credentials in HTTP Basic), then
bearer-token calls under `/api/v1/companies/{company}/`: `company`, `vendors` and `purchase-orders`
(paged by `?page=&per_page=`, filtered by `?updated_since=`), `accounts`, `tax-codes`, `bills`
(POST with an `Idempotency-Key` header: a replay answers the first bill with 200) and
`bills/{id}`. The control op `pay_bill {bill_id, amount?}` pays a bill as its accountant would.
"""

from __future__ import annotations

import base64
import hashlib
import json
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from erpsim.core.app import build_app
from erpsim.core.clock import isoformat_z
from erpsim.core.simulator import MutateError, MutateOp, SimConfig, Simulator

PREFIX = "/api/v1/companies/{company}"
MAX_PAGE = 50


def _token(seed: int, kind: str, n: int) -> str:
    return f"{kind}-" + hashlib.sha256(f"ledgerly:{seed}:{kind}:{n}".encode()).hexdigest()[:32]


class LedgerlySim(Simulator):
    system = "ledgerly"

    def seed_state(self) -> None:
        seed, now = self.config.seed, isoformat_z(self.clock.now())
        self.company_id = f"co-{seed}"
        self.vendors = [
            {"id": f"V{i:03d}", "name": f"Ledgerly Vendor {i}", "currency": "USD", "updated": now}
            for i in range(1, self.config.count("vendors", 30) + 1)
        ]
        self.orders = [
            {
                "id": f"PO{i:03d}",
                "number": f"LPO-{i}",
                "vendor": self.vendors[i % len(self.vendors)]["id"] if self.vendors else "V001",
                "total": f"{100 + i}.50",
                "currency": "USD",
                "status": "open" if i % 3 else "closed",
                "updated": now,
            }
            for i in range(1, self.config.count("purchase_orders", 12) + 1)
        ]
        self.accounts = [
            {"id": "A100", "code": "6000", "name": "Office expenses", "type": "Expense"},
            {"id": "A200", "code": "2000", "name": "Accounts payable", "type": "Liability"},
        ]
        self.tax_codes = [{"id": "T0", "code": "EXEMPT", "name": "Exempt", "rate": "0"}]
        self.bills: dict[str, dict[str, Any]] = {}
        self.bill_keys: dict[str, str] = {}
        self.generation = 1
        self.access = {_token(seed, "access", 1)}
        self.refresh = _token(seed, "refresh", 1)

    def credentials(self) -> dict[str, str]:
        return {
            "client_id": f"ledgerly-client-{self.config.seed}",
            "client_secret": _token(self.config.seed, "secret", 0),
            "company_id": self.company_id,
            "access_token": _token(self.config.seed, "access", 1),
            "refresh_token": _token(self.config.seed, "refresh", 1),
        }

    def entity_counts(self) -> dict[str, int]:
        return {"vendors": len(self.vendors), "purchase_orders": len(self.orders), "bills": len(self.bills)}

    def expire_credentials(self) -> None:
        self.access = set()

    def mutate_ops(self) -> dict[str, MutateOp]:
        return {"pay_bill": self._pay_bill}

    def _pay_bill(self, params: dict[str, Any]) -> dict[str, Any]:
        bill = self.bills.get(str(params.get("bill_id")))
        if bill is None:
            raise MutateError(f"no bill {params.get('bill_id')!r}")
        due = Decimal(bill["total"]) - Decimal(bill["paid"])
        amount = Decimal(str(params.get("amount") or due))
        bill["paid"] = str(Decimal(bill["paid"]) + min(amount, due))
        return dict(bill)

    # ---- routes ----------------------------------------------------------------------------------
    def routes(self) -> list[BaseRoute]:
        return [
            Route("/oauth/token", self.token, methods=["POST"]),
            Route(f"{PREFIX}/company", self.company, methods=["GET"]),
            Route(f"{PREFIX}/vendors", self.list_of("vendors"), methods=["GET"]),
            Route(f"{PREFIX}/purchase-orders", self.list_of("orders"), methods=["GET"]),
            Route(f"{PREFIX}/accounts", self.list_of("accounts"), methods=["GET"]),
            Route(f"{PREFIX}/tax-codes", self.list_of("tax_codes"), methods=["GET"]),
            Route(f"{PREFIX}/bills", self.create_bill, methods=["POST"]),
            Route(f"{PREFIX}/bills/{{bill_id}}", self.get_bill, methods=["GET"]),
        ]

    async def token(self, request: Request) -> Response:
        form = {key: values[0] for key, values in parse_qs((await request.body()).decode()).items()}
        basic = request.headers.get("authorization", "").removeprefix("Basic ")
        client = base64.b64decode(basic).decode() if basic else ""
        expected = self.credentials()
        if client != f"{expected['client_id']}:{expected['client_secret']}":
            return JSONResponse({"error": "invalid_client"}, 401)
        if form.get("grant_type") != "refresh_token" or form.get("refresh_token") != self.refresh:
            return JSONResponse({"error": "invalid_grant"}, 400)
        self.generation += 1
        access = _token(self.config.seed, "access", self.generation)
        self.access, self.refresh = {access}, _token(self.config.seed, "refresh", self.generation)
        self.stats.counters["tokens_refreshed"] = self.stats.counters.get("tokens_refreshed", 0) + 1
        return JSONResponse({"access_token": access, "refresh_token": self.refresh, "expires_in": 3600})

    def _refused(self, request: Request) -> Response | None:
        if request.headers.get("authorization", "").removeprefix("Bearer ") not in self.access:
            return JSONResponse({"error": {"code": "unauthorized", "message": "invalid access token"}}, 401)
        if request.path_params.get("company") != self.company_id:
            return JSONResponse({"error": {"code": "not_found", "message": "no such company"}}, 404)
        return None

    async def company(self, request: Request) -> Response:
        refused = self._refused(request)
        if refused is not None:
            return refused
        return JSONResponse(
            {"id": self.company_id, "name": "Ledgerly Test Co", "country": "US", "currency": "USD"}
        )

    def list_of(self, name: str) -> Any:
        async def endpoint(request: Request) -> Response:
            refused = self._refused(request)
            if refused is not None:
                return refused
            rows = getattr(self, name)
            since = request.query_params.get("updated_since")
            if since:
                rows = [row for row in rows if row.get("updated", "") >= since]
            page = int(request.query_params.get("page", "1"))
            size = min(int(request.query_params.get("per_page", str(MAX_PAGE))), MAX_PAGE)
            return JSONResponse({"items": rows[(page - 1) * size : page * size], "page": page})

        return endpoint

    async def create_bill(self, request: Request) -> Response:
        refused = self._refused(request)
        if refused is not None:
            return refused
        key = request.headers.get("idempotency-key", "")
        if key and key in self.bill_keys:
            return JSONResponse(self.bills[self.bill_keys[key]], 200)
        body = json.loads(await request.body())
        if body.get("vendor") not in {v["id"] for v in self.vendors}:
            error = {"code": "invalid", "message": "unknown vendor", "field": "vendor"}
            return JSONResponse({"error": error}, 400)
        bill = {
            "id": f"B{len(self.bills) + 1:04d}",
            "number": body["number"],
            "vendor": body["vendor"],
            "total": str(body["total"]),
            "currency": body.get("currency", "USD"),
            "paid": "0",
        }
        self.bills[bill["id"]] = bill
        if key:
            self.bill_keys[key] = bill["id"]
        return JSONResponse(bill, 201)

    async def get_bill(self, request: Request) -> Response:
        refused = self._refused(request)
        if refused is not None:
            return refused
        bill = self.bills.get(request.path_params["bill_id"])
        if bill is None:
            return JSONResponse({"error": {"code": "not_found", "message": "no such bill"}}, 404)
        return JSONResponse(bill)


def create_app(config: SimConfig) -> Any:
    return build_app(LedgerlySim(config))


def credentials(config: SimConfig) -> dict[str, str]:
    return LedgerlySim(config).credentials()
