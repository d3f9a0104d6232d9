"""`smartap-erp keys rotate` on the command line: one row per kind of secret with its counts, and a row
no key opens named by table and id on stderr (exit 1), never its content, the other rows rotated."""

from __future__ import annotations

import asyncio
import json
import uuid
from pathlib import Path

from cryptography.fernet import Fernet
from sqlalchemy.ext.asyncio import create_async_engine

from smartap_erp.db.session import make_session_factory
from tests.cli.helpers import database_url
from tests.cli.helpers import run_cli as run
from tests.jobs.dbhelpers import add_connection


def _add(tmp_path: Path, name: str, key: bytes) -> uuid.UUID:
    async def go() -> uuid.UUID:
        engine = create_async_engine(database_url(tmp_path))
        try:
            return await add_connection(make_session_factory(engine), name, key=key)
        finally:
            await engine.dispose()

    return asyncio.run(go())


def test_rotate_prints_counts_and_names_an_unreadable_row(tmp_path: Path) -> None:
    key_a, key_b = Fernet.generate_key(), Fernet.generate_key()
    ring = f"{key_b.decode()},{key_a.decode()}"
    assert run(tmp_path, "db", "upgrade", SMARTAP_ENCRYPTION_KEYS=ring).returncode == 0
    _add(tmp_path, "one", key_a)
    _add(tmp_path, "two", key_a)

    done = run(tmp_path, "keys", "rotate", SMARTAP_ENCRYPTION_KEYS=ring)
    assert done.returncode == 0, done.stderr
    cells = [[cell.strip() for cell in line.split("│")[1:-1]] for line in done.stdout.splitlines()]
    assert ["connection credentials", "2", "0", "0"] in cells, done.stdout
    assert "event subscription secrets" in done.stdout and "OAuth flow secrets" in done.stdout
    again = json.loads(
        run(tmp_path, "keys", "rotate", "--json", SMARTAP_ENCRYPTION_KEYS=key_b.decode()).stdout
    )
    assert (again["kinds"][0]["re_encrypted"], again["kinds"][0]["already_current"]) == (0, 2)

    lost = _add(tmp_path, "lost", Fernet.generate_key())
    failed = run(tmp_path, "keys", "rotate", SMARTAP_ENCRYPTION_KEYS=key_b.decode())
    assert failed.returncode == 1
    assert "unreadable" in failed.stdout  # the counts are still shown
    assert f"erp_connections (connection credentials) rows {lost}" in failed.stderr, failed.stderr
    assert key_b.decode() not in failed.stdout + failed.stderr
