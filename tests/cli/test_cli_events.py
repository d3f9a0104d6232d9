"""`smartap-erp events ...` in a subprocess on SQLite: `subscriptions add` prints the whsec_ secret
alone on stdout (never again: not in `list`, not stored in plain text), bad URLs and unknown types exit 2
with the reason, `deliveries [--failed]` and `delivery` show the log, `replay` queues a new delivery,
`disable` / `enable` / `remove` change what is sent."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from pathlib import Path

import pytest

from smartap_erp.db.session import make_engine, make_session_factory
from smartap_erp.events import record_event
from smartap_erp.events.delivery import dispatch
from tests.cli.helpers import database_url, run_cli
from tests.conftest import MigratedSqlite


@pytest.fixture
def workdir(tmp_path: Path, migrated_sqlite: MigratedSqlite) -> Path:
    migrated_sqlite(database_url(tmp_path))
    return tmp_path


def _record_and_dispatch(tmp_path: Path) -> str:
    async def go() -> str:
        engine = make_engine(database_url(tmp_path))
        try:
            sessions = make_session_factory(engine)
            async with sessions() as session, session.begin():
                event = await record_event(session, "sync.failed", connection_id=None, data={"why": "boom"})
            await dispatch(sessions, now=dt.datetime.now(dt.UTC) + dt.timedelta(seconds=1))
            return str(event.id)
        finally:
            await engine.dispose()

    return asyncio.run(go())


def test_subscriptions_deliveries_and_replay(workdir: Path) -> None:
    added = run_cli(
        workdir, "events", "subscriptions", "add", "https://smartap.example/hooks", "--type", "sync.failed"
    )
    assert added.returncode == 0, added.stderr
    secret = added.stdout.strip()
    assert secret.startswith("whsec_") and "\n" not in secret
    assert "shown once" in added.stderr
    listed = run_cli(workdir, "events", "subscriptions", "list", "--json")
    [sub] = json.loads(listed.stdout)
    assert (sub["url"], sub["event_types"], sub["enabled"]) == (
        "https://smartap.example/hooks",
        "sync.failed",
        True,
    )
    assert secret not in listed.stdout
    assert secret.encode() not in (workdir / "data" / "smartap.db").read_bytes()

    event_id = _record_and_dispatch(workdir)
    log = run_cli(workdir, "events", "deliveries", "--json")
    [delivery] = json.loads(log.stdout)
    assert (delivery["event_id"], delivery["status"], delivery["attempts"]) == (event_id, "pending", 0)
    assert json.loads(run_cli(workdir, "events", "deliveries", "--failed", "--json").stdout) == []
    one = run_cli(workdir, "events", "delivery", delivery["id"], "--json")
    assert json.loads(one.stdout)["attempt_log"] == []
    events = json.loads(run_cli(workdir, "events", "list", "--type", "sync.failed", "--json").stdout)
    assert [(e["id"], e["data"]) for e in events] == [(event_id, {"why": "boom"})]

    replayed = run_cli(workdir, "events", "replay", delivery["id"])
    assert replayed.returncode == 0, replayed.stderr
    assert (
        "queued delivery" in replayed.stdout
        and "sync.failed to https://smartap.example/hooks" in replayed.stdout
    )
    assert len(json.loads(run_cli(workdir, "events", "deliveries", "--json").stdout)) == 2
    unknown = run_cli(workdir, "events", "replay", "00000000-0000-0000-0000-000000000000")
    assert unknown.returncode == 2 and "no event delivery and no event" in unknown.stderr

    assert run_cli(workdir, "events", "subscriptions", "disable", sub["id"]).returncode == 0
    refused = run_cli(workdir, "events", "replay", delivery["id"])
    assert refused.returncode == 2 and "disabled" in refused.stderr
    assert run_cli(workdir, "events", "subscriptions", "enable", sub["id"]).returncode == 0
    removed = run_cli(workdir, "events", "subscriptions", "remove", sub["id"])
    assert removed.returncode == 0 and "removed subscription" in removed.stdout
    assert json.loads(run_cli(workdir, "events", "subscriptions", "list", "--json").stdout) == []


def test_bad_urls_and_types_are_refused_with_the_reason(workdir: Path) -> None:
    ftp = run_cli(workdir, "events", "subscriptions", "add", "ftp://smartap.example/hooks")
    assert ftp.returncode == 2 and "http:// or https://" in ftp.stderr
    typo = run_cli(workdir, "events", "subscriptions", "add", "https://a.example/h", "--type", "sync.faild")
    assert typo.returncode == 2 and "unknown event type 'sync.faild'" in typo.stderr
    assert json.loads(run_cli(workdir, "events", "subscriptions", "list", "--json").stdout) == []
