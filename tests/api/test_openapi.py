"""The OpenAPI document: served at /openapi.json with docs at /docs, every `/api/v1` operation
guarded by the bearer scheme (except the OAuth callback, which its signed state authenticates), and
the committed `docs/openapi.json` equal to the app's spec (regenerate with `smartap-erp api openapi`)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from smartap_erp.api.app import create_app
from smartap_erp.api.spec import openapi_text

COMMITTED = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"
# The OAuth redirect target and the Xero tenant choice that follows it: a signed, single-use state
# (or choice token) authenticates them, as a browser arriving from the ERP carries no API key. The
# ERPs' webhook receivers are authenticated by the signature of the body (docs/api.md).
UNGUARDED = {
    "/api/v1/oauth/callback",
    "/api/v1/oauth/choose-tenant",
    "/api/v1/erp/webhooks/quickbooks",
    "/api/v1/erp/webhooks/xero",
}


def test_the_committed_spec_matches_the_app() -> None:
    if COMMITTED.read_text(encoding="utf-8") != openapi_text(create_app()):
        pytest.fail("docs/openapi.json drifted from the app: run `smartap-erp api openapi` and commit it")


def test_every_api_operation_needs_a_key_and_documents_problems() -> None:
    spec = create_app().openapi()
    assert spec["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            if path.startswith("/api/v1") and path not in UNGUARDED:
                assert operation.get("security") == [{"HTTPBearer": []}], f"{method} {path} is unguarded"
            problems = operation["responses"]["500"]["content"]
            assert "application/problem+json" in problems, f"{method} {path}"


async def test_spec_and_docs_are_served(anon: httpx.AsyncClient) -> None:
    spec = await anon.get("/openapi.json")
    assert spec.status_code == 200 and spec.json()["info"]["title"] == "SmartAP ERP Connectors"
    docs = await anon.get("/docs")
    assert docs.status_code == 200 and "swagger-ui" in docs.text
