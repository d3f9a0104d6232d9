"""`smartap-erp demo` (what `make run` runs) end to end: four simulators, a whole cycle, the summary."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from tests.cli.helpers import run_cli


def test_demo_runs_a_whole_cycle_on_every_erp(tmp_path: Path) -> None:
    result = run_cli(tmp_path, "demo", "--no-worker", "--vendors", "20", "--purchase-orders", "5", "--json")
    assert result.returncode == 0, result.stderr[-2000:]
    rows = {row["system"]: row for row in json.loads(result.stdout)}
    assert set(rows) == {"QuickBooks Online", "Xero", "SAP Business One", "NetSuite"}
    for system, row in rows.items():
        assert row["exported"] == 4, system
        assert (row["paid"], row["partially_paid"], row["unpaid"]) == (1, 1, 2), system
        assert row["vendors"] + row["in_review"] == 20, system
        assert row["purchase_orders"] == 5, system
        assert row["throttled"] == 0, system

    again = run_cli(tmp_path, "demo", "--no-worker", "--vendors", "20", "--purchase-orders", "5", "--json")
    assert again.returncode == 0, again.stderr[-2000:]  # a second run replaces the demo connections
    connections = json.loads(run_cli(tmp_path, "connections", "list", "--json").stdout)
    assert len(connections) == 4 and all(c["status"] == "active" for c in connections)
    # Marked as the demo's, and their schedules off now that the demo (and its simulators) stopped.
    with sqlite3.connect(tmp_path / "data" / "smartap.db") as db:
        rows = db.execute("SELECT is_demo, demo_worker_id, auto_sync_enabled FROM erp_connections").fetchall()
    assert rows == [(1, "demo", 0)] * 4
