"""Every error is an RFC 9457 problem document: the product's error classes map to 404, 409, 422,
502 and 503 (retryable, Retry-After, the ERP's own code and message), a database failure is a 503, a
bug is a 500 that says only the correlation id (the traceback goes to the log, with that id), and an
unknown route or method is a problem too."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import APIRouter, FastAPI
from sqlalchemy.exc import OperationalError

from smartap_erp.api.app import create_app
from smartap_erp.app.invoice_actions import IdempotencyKeyInProgressError
from smartap_erp.domain.enums import ERPSystem
from smartap_erp.errors import (
    ConfigurationError,
    ConflictError,
    ERPAuthError,
    ERPConfigurationError,
    ERPRateLimitError,
    NotFoundError,
)
from tests.api.conftest import BASE_URL
from tests.app.simulated import SimulatedApp

SECRET = "hunter2-very-secret"
RAISES = {
    "not-found": NotFoundError("no connection named 'acme'"),
    "conflict": ConflictError("a connection named 'acme' already exists"),
    "in-progress": IdempotencyKeyInProgressError("Idempotency-Key 'k1' is still queueing its job"),
    "config": ConfigurationError("--schedule: not a cron expression"),
    "rate-limit": ERPRateLimitError(
        "rate limited", erp=ERPSystem.XERO, status=429, code="429", message="Too many", retry_after=2.5
    ),
    "auth": ERPAuthError(
        "token refresh refused", erp=ERPSystem.QUICKBOOKS, status=400, code="invalid_grant", message="bad"
    ),
    "erp-config": ERPConfigurationError("unknown company", erp=ERPSystem.QUICKBOOKS, status=400, code="620"),
    "bug": RuntimeError(f"password={SECRET} leaked in a bug"),
    "database": OperationalError("SELECT secret", {"p": SECRET}, Exception("connection refused")),
}


def failing_router() -> APIRouter:
    router = APIRouter()

    @router.get("/fail/{what}")
    async def fail(what: str) -> None:
        raise RAISES[what]

    return router


@pytest.fixture
async def client(api_ctx: SimulatedApp) -> AsyncIterator[httpx.AsyncClient]:
    app: FastAPI = create_app(api_ctx.settings, context=api_ctx)
    app.include_router(failing_router())
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url=BASE_URL) as http,
    ):
        yield http


@pytest.mark.parametrize(
    ("what", "status", "kind"),
    [
        ("not-found", 404, "not-found"),
        ("conflict", 409, "conflict"),
        ("config", 422, "invalid-configuration"),
    ],
)
async def test_product_errors_map_to_statuses(
    client: httpx.AsyncClient, what: str, status: int, kind: str
) -> None:
    response = await client.get(f"/fail/{what}")
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["type"].endswith("/" + kind)
    assert body["status"] == status and body["retryable"] is False
    assert body["detail"] == str(RAISES[what])
    assert body["correlation_id"] == response.headers["x-correlation-id"]


async def test_a_rate_limit_is_retryable_with_retry_after_and_the_erps_words(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/fail/rate-limit")
    assert response.status_code == 503
    assert response.headers["retry-after"] == "3"
    body = response.json()
    assert body["retryable"] is True
    assert (body["erp"], body["erp_code"], body["erp_message"]) == ("xero", "429", "Too many")


async def test_a_conflict_that_clears_by_itself_is_retryable(client: httpx.AsyncClient) -> None:
    response = await client.get("/fail/in-progress")
    body = response.json()
    assert (response.status_code, body["retryable"]) == (409, True)
    assert body["type"].endswith("/conflict")


@pytest.mark.parametrize("what", ["auth", "erp-config"])
async def test_an_erp_refusal_is_502_and_not_retryable(client: httpx.AsyncClient, what: str) -> None:
    response = await client.get(f"/fail/{what}")
    assert response.status_code == 502
    body = response.json()
    assert body["retryable"] is False and body["type"].endswith("/erp-error")
    assert body["erp_code"] == RAISES[what].code  # type: ignore[attr-defined]


async def test_a_bug_is_500_naming_only_the_correlation_id(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR)
    response = await client.get("/fail/bug", headers={"X-Correlation-ID": "req-42"})
    assert response.status_code == 500
    body = response.json()
    assert body["correlation_id"] == "req-42" == response.headers["x-correlation-id"]
    assert body["detail"] == "internal error; quote correlation id req-42"
    assert (
        "Traceback" not in response.text
        and SECRET not in response.text
        and "RuntimeError" not in response.text
    )
    assert "req-42" in caplog.text  # the log has the id and the traceback, for whoever is quoted it
    assert "RuntimeError" in caplog.text


async def test_a_database_failure_is_503_without_the_sql(client: httpx.AsyncClient) -> None:
    response = await client.get("/fail/database")
    assert response.status_code == 503
    body = response.json()
    assert body["retryable"] is True and body["type"].endswith("/database-unavailable")
    assert SECRET not in response.text and "SELECT" not in response.text


async def test_a_wild_correlation_id_is_replaced(client: httpx.AsyncClient) -> None:
    response = await client.get("/fail/not-found", headers={"X-Correlation-ID": "<script>" + "x" * 100})
    assert response.headers["x-correlation-id"] != "<script>" + "x" * 100
    assert len(response.json()["correlation_id"]) == 32


async def test_unknown_routes_and_methods_are_problems(client: httpx.AsyncClient) -> None:
    missing = await client.get("/api/v1/nothing-here")
    assert missing.status_code == 404 and missing.headers["content-type"] == "application/problem+json"
    wrong = await client.delete("/healthz")
    assert wrong.status_code == 405 and wrong.json()["title"] == "Method Not Allowed"
    assert "allow" in wrong.headers


async def test_validation_errors_point_at_the_field_without_echoing_it(
    api: httpx.AsyncClient,
) -> None:
    response = await api.post("/api/v1/api-keys", json={"name": SECRET * 20, "scope": "write"})
    assert response.status_code == 422
    body = response.json()
    assert body["type"].endswith("/validation")
    assert body["errors"] == [
        {"pointer": "/body/name", "detail": "String should have at most 255 characters"}
    ]
    assert SECRET not in response.text
    not_json = await api.post("/api/v1/api-keys", content=b"{", headers={"content-type": "application/json"})
    assert not_json.status_code == 422 and not_json.json()["errors"][0]["pointer"].startswith("/body")
