"""Run the `smartap-erp` command line in a subprocess, on a database under the test's tmp_path."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def database_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'data' / 'smartap.db'}"


def run_cli(
    tmp_path: Path, *args: str, stdin: str | None = None, **env: str
) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("ERP_", "SMARTAP_", "DATABASE_"))}
    environment.update({"DATABASE_URL": database_url(tmp_path), "COLUMNS": "200"})
    environment.update(env)
    return subprocess.run(
        [sys.executable, "-m", "smartap_erp", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=environment,
        cwd=tmp_path,
        timeout=60,
        check=False,
    )
