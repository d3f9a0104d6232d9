"""The CLI forked from the test zygote (tests/cli/zygote.py) answers as `python -m smartap_erp` started
on its own does: same exit code, stdout and stderr, with its environment, working directory and stdin."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from tests.cli.zygote import run_cli_process, start_cli_process
from tests.conftest import MigratedSqlite
from tests.jobs.conftest import CREDENTIALS


def _plain(
    args: list[str], env: dict[str, str], cwd: Path, stdin: str | None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "smartap_erp", *args],
        input=stdin if stdin is not None else "",
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    ("args", "stdin"),
    [
        (["--version"], None),
        (["connections", "list", "--json"], None),
        (["connections", "list"], None),
        (["no-such-command"], None),  # usage error: exit 2, Click's text on stderr
        (["connections", "show", "nobody"], None),  # a SmartAPError: exit 1, one line
        (["users", "create", "--username", "ann", "--role", "viewer", "--password-stdin"], "too short\n"),
    ],
)
def test_forked_cli_answers_as_a_started_one(
    args: list[str], stdin: str | None, tmp_path: Path, migrated_sqlite: MigratedSqlite
) -> None:
    runs = []
    for name in ("plain", "forked"):
        folder = tmp_path / name
        folder.mkdir()
        url = migrated_sqlite(f"sqlite+aiosqlite:///{folder / 'app.db'}")
        env = {**os.environ, "DATABASE_URL": url, "COLUMNS": "120"}
        runs.append(
            _plain(args, env, folder, stdin)
            if name == "plain"
            else run_cli_process(args, env=env, cwd=folder, stdin=stdin)
        )
    plain, forked = runs
    assert (forked.returncode, forked.stdout, forked.stderr) == (plain.returncode, plain.stdout, plain.stderr)


def test_the_forked_cli_sees_its_own_environment_and_folder(
    tmp_path: Path, migrated_sqlite: MigratedSqlite
) -> None:
    missing = tmp_path / "nowhere" / "app.db"
    env = {**os.environ, "DATABASE_URL": f"sqlite+aiosqlite:///{missing}"}
    done = run_cli_process(["connections", "list"], env=env, cwd=tmp_path)
    assert done.returncode == 2 and str(missing) in done.stderr, done.stderr  # no database there

    url = migrated_sqlite(f"sqlite+aiosqlite:///{tmp_path / 'app.db'}")
    (tmp_path / "creds.json").write_text(json.dumps(CREDENTIALS))  # named relative to the working folder
    env = {**env, "DATABASE_URL": url, "SMARTAP_ENCRYPTION_KEYS": Fernet.generate_key().decode()}
    add = ["connections", "add", "--system", "quickbooks", "--credentials-file", "creds.json", "--json"]
    (tmp_path / "elsewhere").mkdir()
    refused = run_cli_process([*add, "--name", "a"], env=env, cwd=tmp_path / "elsewhere")
    assert refused.returncode == 2 and "creds.json: no such file" in refused.stderr, refused.stderr
    added = run_cli_process([*add, "--name", "b"], env=env, cwd=tmp_path)
    assert added.returncode == 0 and json.loads(added.stdout)["name"] == "b", added.stderr


def test_a_forked_worker_is_waited_for_read_and_killed_like_a_popen(
    tmp_path: Path, migrated_sqlite: MigratedSqlite
) -> None:
    url = migrated_sqlite(f"sqlite+aiosqlite:///{tmp_path / 'app.db'}")
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "SMARTAP_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "SMARTAP_JOBS_POLLING_SECONDS": "0.1",
        "ERP_SYNC_ENABLED": "false",
    }
    idle = start_cli_process(["worker", "--exit-when-idle"], env=env, cwd=tmp_path)
    output, _ = idle.communicate(timeout=60)
    assert idle.returncode == 0 and idle.poll() == 0, output
    assert " running; " in output and "worker stopped" in output, output

    running = start_cli_process(["worker"], env=env, cwd=tmp_path)
    assert running.stdout is not None
    assert " running; " in running.stdout.readline()
    assert running.poll() is None
    with pytest.raises(subprocess.TimeoutExpired):
        running.wait(timeout=0.2)
    running.kill()
    assert running.wait(timeout=30) == -9
    running.stdout.read()  # the pipe ends with the process
    running.stdout.close()
