"""Run the `smartap-erp` command line in a process of its own (forked from a warm zygote:
tests/cli/zygote.py), on a database under the test's tmp_path."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from tests.cli.zygote import run_cli_process


def database_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'data' / 'smartap.db'}"


def run_cli(
    tmp_path: Path, *args: str, stdin: str | None = None, **env: str
) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("ERP_", "SMARTAP_", "DATABASE_"))}
    environment.update({"DATABASE_URL": database_url(tmp_path), "COLUMNS": "200"})
    environment.update(env)
    return run_cli_process(args, env=environment, cwd=tmp_path, stdin=stdin, timeout=60)
