"""Secrets in, nothing out (issue 14): known sentinel strings go in through every write endpoint that
takes a credential or secret (connections create and update, for QuickBooks, Xero and NetSuite, also
in a request the API refuses; the new-connection OAuth start's client secret; the OAuth callback's
code; an unknown API key presented as a bearer token) and a freshly created API key is used and listed
(so is an event subscription with the signing secret we generate); then no sentinel, and that key or
secret nowhere but its one creation response, may appear in any response body or header, any log
record (caught at DEBUG, message, arguments and traceback), or any column of any table in plain text.
(httpx's lines about the requests the test itself sends are the caller's log and are skipped.) On
SQLite and PostgreSQL. The identifiers the ERPs assign (realm, tenant, account ids) are not secrets
and are stored as columns: they are left out of the sentinels.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from smartap_erp.db.models import Base
from tests.api.conftest import BASE_URL, KeyFor, SimulatedApp, bearer
from tests.app.simulated import sim_credentials

CONNECTIONS = "/api/v1/erp/connections"
NOT_SECRET = {"realm_id", "tenant_id", "account_id"}  # the ERP's ids of the company: columns by design


def sentinel(label: str) -> str:
    return f"SENTINEL{label.upper().replace('_', '')}{uuid.uuid4().hex}"


class Seen:
    """Every response of the test, kept to be searched."""

    def __init__(self) -> None:
        self.responses: list[httpx.Response] = []

    def keep(self, response: httpx.Response) -> httpx.Response:
        self.responses.append(response)
        return response

    def text(self) -> str:
        parts = []
        for response in self.responses:
            parts.append(response.text)
            parts.extend(f"{name}: {value}" for name, value in response.headers.multi_items())
        return "\n".join(parts)


def secret_credentials(system: str, secrets: list[str]) -> dict[str, Any]:
    credentials = sim_credentials(system)
    for name in credentials:
        if name not in NOT_SECRET:
            credentials[name] = sentinel(name)
            secrets.append(credentials[name])
    return credentials


def from_test_client(record: logging.LogRecord) -> bool:
    """httpx's own line about a request this test sent (the caller's log, not the server's)."""
    return record.name.startswith(("httpx", "httpcore")) and BASE_URL in record.getMessage()


def logged(caplog: pytest.LogCaptureFixture) -> str:
    lines = []
    for record in caplog.records:
        if from_test_client(record):
            continue
        lines.append(record.getMessage())
        lines.append(repr(record.args))
        lines.append(record.exc_text or "")
        lines.append(repr(getattr(record, "__dict__", {})))
    return "\n".join(lines)


async def stored(ctx: SimulatedApp) -> str:
    """Every value of every column of every table, as text."""
    parts = []
    async with ctx.sessions() as session:
        for table in Base.metadata.sorted_tables:
            for row in (await session.execute(select(table))).all():
                parts.extend(repr(value) for value in row)
    return "\n".join(parts)


async def test_no_secret_comes_back_out_in_a_response_a_log_or_a_column(
    api: httpx.AsyncClient,
    anon: httpx.AsyncClient,
    api_ctx: SimulatedApp,
    key_for: KeyFor,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    seen, secrets = Seen(), []

    for system in ("quickbooks", "xero", "netsuite"):
        body = {
            "system": system,
            "name": f"Sentinel {system}",
            "credentials": secret_credentials(system, secrets),
        }
        created = seen.keep(await api.post(CONNECTIONS, json=body))
        assert created.status_code == 201, created.text
        cid = created.json()["id"]
        changed = {"credentials": secret_credentials(system, secrets)}
        assert seen.keep(await api.patch(f"{CONNECTIONS}/{cid}", json=changed)).status_code == 200
        # Refused requests: a missing field, and a bad URL beside good secrets.
        partial = secret_credentials(system, secrets)
        partial.pop(next(iter(partial)))
        refused = seen.keep(await api.patch(f"{CONNECTIONS}/{cid}", json={"credentials": partial}))
        assert refused.status_code == 422, refused.text
        bad_url = {
            **body,
            "name": f"Other {system}",
            "credentials": secret_credentials(system, secrets),
            "api_url": "ftp://nowhere",
        }
        assert seen.keep(await api.post(CONNECTIONS, json=bad_url)).status_code == 422
        seen.keep(await api.get(f"{CONNECTIONS}/{cid}"))
        seen.keep(await api.get(f"{CONNECTIONS}/{cid}/health"))
    seen.keep(await api.get(CONNECTIONS))

    client_secret = sentinel("client_secret")
    secrets.append(client_secret)
    start = {
        "system": "xero",
        "name": "Sentinel OAuth",
        "client_id": "sentinel-client-id",
        "client_secret": client_secret,
        "redirect_uri": "http://127.0.0.1:8000/api/v1/oauth/callback",
    }
    started = seen.keep(await api.post("/api/v1/oauth/start", json=start))
    assert started.status_code == 201, started.text

    code = sentinel("code")
    secrets.append(code)
    callback = seen.keep(await anon.get("/api/v1/oauth/callback", params={"state": "forged", "code": code}))
    assert callback.status_code == 422, callback.text

    unknown_key = "sap_" + sentinel("bearer")
    secrets.append(unknown_key)
    assert seen.keep(await anon.get(CONNECTIONS, headers=bearer(unknown_key))).status_code == 401

    made = await api.post("/api/v1/api-keys", json={"name": "sentinel key", "scope": "read"})
    assert made.status_code == 201, made.text
    key = made.json()["key"]
    secrets.append(key)
    assert seen.keep(await anon.get(CONNECTIONS, headers=bearer(key))).status_code == 200
    seen.keep(await api.get("/api/v1/api-keys"))

    subscription = {"url": "https://smartap.example/hooks"}  # an outbound-events secret, made by us
    subscribed = await api.post("/api/v1/erp/events/subscriptions", json=subscription)
    assert subscribed.status_code == 201, subscribed.text
    secrets.append(subscribed.json()["secret"])
    seen.keep(await api.get("/api/v1/erp/events/subscriptions"))
    seen.keep(await api.get(f"/api/v1/erp/events/subscriptions/{subscribed.json()['id']}"))

    responses, logs, columns = seen.text(), logged(caplog), await stored(api_ctx)
    assert caplog.records, "nothing was logged: the log check would prove nothing"
    assert "Sentinel quickbooks" in columns  # the scan reads the stored rows
    assert "sentinel-client-id" in responses  # and the responses (the authorize URL names the client)
    for secret in secrets:
        assert secret not in responses, f"{secret[:20]}... in a response"
        assert secret not in logs, f"{secret[:20]}... in the log"
        assert secret not in columns, f"{secret[:20]}... stored in plain text"
