"""`smartap-erp api-keys create/list/revoke` and `smartap-erp api openapi`, in a subprocess on a
SQLite database: the key is printed once and works; the list never shows it; a revoked key no
longer verifies."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from smartap_erp.api.spec import openapi_text
from smartap_erp.app import api_keys
from smartap_erp.app.context import open_app
from smartap_erp.settings import Settings
from tests.cli.helpers import database_url, run_cli


def verify(tmp_path: Path, key: str) -> api_keys.APIKeyInfo | None:
    async def run() -> api_keys.APIKeyInfo | None:
        async with open_app(Settings(database_url=database_url(tmp_path))) as ctx:
            return await api_keys.verify(ctx, key)

    return asyncio.run(run())


def test_create_list_revoke(tmp_path: Path) -> None:
    assert run_cli(tmp_path, "db", "upgrade").returncode == 0
    created = run_cli(tmp_path, "api-keys", "create", "--name", "smartap prod", "--scope", "write")
    assert created.returncode == 0, created.stderr
    key = created.stdout.strip()
    assert key.startswith("sap_") and "\n" not in key  # stdout is the key alone: `KEY=$(...)` works
    assert "shown once" in created.stderr
    found = verify(tmp_path, key)
    assert found is not None and found.scope == "write" and found.name == "smartap prod"

    listed = run_cli(tmp_path, "api-keys", "list", "--json")
    assert listed.returncode == 0 and key not in listed.stdout
    (row,) = json.loads(listed.stdout)
    assert row["prefix"] == key[:8] and row["revoked_at"] is None and row["last_used_at"] is not None

    revoked = run_cli(tmp_path, "api-keys", "revoke", key[:8])
    assert revoked.returncode == 0, revoked.stderr
    assert verify(tmp_path, key) is None
    again = run_cli(tmp_path, "api-keys", "revoke", row["id"])
    assert again.returncode == 2 and "already revoked" in again.stderr
    bad = run_cli(tmp_path, "api-keys", "create", "--name", "x", "--scope", "root")
    assert bad.returncode == 2


def test_openapi_is_written_where_asked(tmp_path: Path) -> None:
    out = tmp_path / "spec" / "openapi.json"
    done = run_cli(tmp_path, "api", "openapi", "--output", str(out))
    assert done.returncode == 0, done.stderr
    assert out.read_text(encoding="utf-8") == openapi_text()
