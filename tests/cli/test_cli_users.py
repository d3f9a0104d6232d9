"""`smartap-erp users create/list/disable` in a subprocess (issue 15): the password comes from a hidden
prompt or standard input, never an option, and is never printed; a short one is refused naming the
field; the list shows roles and never a hash."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tests.cli.helpers import run_cli


def _create(tmp_path: Path, username: str, role: str, password: str) -> subprocess.CompletedProcess[str]:
    return run_cli(
        tmp_path, "users", "create", username, "--role", role, "--password-stdin", stdin=password + "\n"
    )


def test_users_create_list_disable(tmp_path: Path) -> None:
    assert run_cli(tmp_path, "db", "upgrade").returncode == 0
    created = _create(tmp_path, "Finance.Admin", "admin", "a very long password")
    assert created.returncode == 0, created.stderr
    assert "created user 'finance.admin' (admin)" in created.stdout
    assert "a very long password" not in created.stdout + created.stderr
    short = _create(tmp_path, "bob", "viewer", "short")
    assert short.returncode == 2
    assert "password" in short.stderr
    assert "at least 12" in short.stderr
    listed = json.loads(run_cli(tmp_path, "users", "list", "--json").stdout)
    assert [(row["username"], row["role"], row["disabled_at"]) for row in listed] == [
        ("finance.admin", "admin", None)
    ]
    assert "argon2" not in json.dumps(listed)
    disabled = run_cli(tmp_path, "users", "disable", "finance.admin")
    assert disabled.returncode == 0, disabled.stderr
    assert json.loads(run_cli(tmp_path, "users", "list", "--json").stdout)[0]["disabled_at"] is not None
    missing = run_cli(tmp_path, "users", "disable", "nobody")
    assert missing.returncode == 2
    assert "no user named 'nobody'" in missing.stderr
