"""`/metrics` counts the work done by the workers, read from the database at the scrape: each ERP's
requests, 429s and failed answers over the last 24 hours (from the runs' recorded exchanges), and the
durations of the recent sync and export runs as Prometheus histograms by ERP, entity, direction and
outcome (cumulative buckets, count and sum, read back with prometheus_client's text parser); older
exchanges and runs drop out of the window, unfinished runs are not in the histogram."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest
from fastapi import FastAPI
from prometheus_client.parser import text_string_to_metric_families

from smartap_erp.app import connections
from smartap_erp.app.connections import ConnectionCreate
from smartap_erp.app.context import resolve_connection
from smartap_erp.db.models import ERPSyncLogExchange
from smartap_erp.domain.enums import ERPEntity, SyncDirection
from smartap_erp.sync.logs import finish_log, start_log
from tests.api.test_health import samples
from tests.app.simulated import T0, SimulatedApp, sim_credentials

NOW = T0 + dt.timedelta(days=3)


async def _run(
    ctx: SimulatedApp,
    name: str,
    at: dt.datetime,
    statuses: list[int | None],
    *,
    seconds: int = 90,
    entity: ERPEntity = ERPEntity.VENDOR,
    stopped: str | None = None,
) -> None:
    direction = SyncDirection.EXPORT if entity is ERPEntity.INVOICE else SyncDirection.IMPORT
    async with ctx.sessions() as session, session.begin():
        connection = await resolve_connection(session, name)
        log = await start_log(session, connection, entity=entity, direction=direction, now=at)
        await session.flush()
        for seq, status in enumerate(statuses, 1):
            session.add(
                ERPSyncLogExchange(
                    sync_log_id=log.id,
                    seq=seq,
                    method="GET",
                    url="https://erp.test/x",
                    status=status,
                    duration_ms=5,
                    at=at,
                )
            )
        if seconds >= 0:  # a negative duration: the run is still going
            end = at + dt.timedelta(seconds=seconds)
            finish_log(
                log,
                connection,
                total=1,
                succeeded=0 if stopped else 1,
                errors=[],
                now=end,
                error_message=stopped,
            )


@pytest.fixture
async def two_erps(api_ctx: SimulatedApp, api_app: FastAPI) -> SimulatedApp:
    """A QuickBooks and a Xero connection, and the app's clock at NOW."""
    api_app.state.now = lambda: NOW
    for system in ("quickbooks", "xero"):
        await connections.create_connection(
            api_ctx,
            ConnectionCreate.model_validate(
                {"system": system, "name": system, "credentials": sim_credentials(system)}
            ),
        )
    return api_ctx


async def test_erp_requests_429s_and_run_durations_in_the_window(
    api: httpx.AsyncClient, two_erps: SimulatedApp
) -> None:
    api_ctx = two_erps
    recent = NOW - dt.timedelta(hours=1)
    await _run(api_ctx, "quickbooks", recent, [200, 429, 200, 503, None])
    await _run(api_ctx, "xero", recent, [200])
    await _run(api_ctx, "xero", NOW - dt.timedelta(hours=30), [429, 429])  # outside the window

    text = (await api.get("/metrics")).text

    assert samples(text, "smartap_erp_requests_recent") == {
        (("erp", "quickbooks"),): 5,
        (("erp", "xero"),): 1,
    }
    assert samples(text, "smartap_erp_throttled_recent") == {
        (("erp", "quickbooks"),): 1,
        (("erp", "xero"),): 0,
    }
    assert samples(text, "smartap_erp_failed_recent") == {(("erp", "quickbooks"),): 2, (("erp", "xero"),): 0}
    key = (("direction", "import"), ("entity", "vendor"), ("status", "completed"))
    assert samples(text, "smartap_sync_runs") == {key: 3}
    assert samples(text, "smartap_metrics_window_hours") == {(): 24}
    counts = samples(text, "smartap_sync_run_duration_seconds_count")
    by_erp = {erp: tuple(sorted((*key, ("erp", erp)))) for erp in ("quickbooks", "xero")}
    assert counts == {by_erp["quickbooks"]: 1, by_erp["xero"]: 1}  # not the run outside the window


def _histogram(text: str, **labels: str) -> tuple[dict[str, float], float, float]:
    """The buckets ({le: count}), count and sum of one label set of the run-duration histogram."""
    [family] = [
        f for f in text_string_to_metric_families(text) if f.name == "smartap_sync_run_duration_seconds"
    ]
    assert family.type == "histogram"
    mine = [s for s in family.samples if {k: v for k, v in s.labels.items() if k != "le"} == labels]
    buckets = {s.labels["le"]: s.value for s in mine if s.name.endswith("_bucket")}
    [count] = [s.value for s in mine if s.name.endswith("_count")]
    [total] = [s.value for s in mine if s.name.endswith("_sum")]
    return buckets, count, total


async def test_sync_and_export_durations_are_histograms_by_erp_entity_and_outcome(
    api: httpx.AsyncClient, two_erps: SimulatedApp, api_app: FastAPI
) -> None:
    api_ctx = two_erps
    recent = NOW - dt.timedelta(hours=2)
    for seconds in (0, 1, 3, 45, 45, 700, 5000):  # on the bounds 1, and past the last (3600)
        await _run(api_ctx, "quickbooks", recent, [], seconds=seconds)
    await _run(api_ctx, "quickbooks", recent, [], seconds=20, entity=ERPEntity.INVOICE, stopped="ERP down")
    await _run(api_ctx, "xero", recent, [], seconds=4, entity=ERPEntity.INVOICE)
    await _run(api_ctx, "quickbooks", recent, [], seconds=-1)  # still running: no duration yet
    await _run(api_ctx, "quickbooks", NOW - dt.timedelta(hours=25), [], seconds=2)  # out of the window

    text = (await api.get("/metrics")).text

    vendors = {"erp": "quickbooks", "entity": "vendor", "direction": "import", "status": "completed"}
    buckets, count, total = _histogram(text, **vendors)
    assert buckets == {
        "1.0": 2,
        "5.0": 3,
        "15.0": 3,
        "30.0": 3,
        "60.0": 5,
        "120.0": 5,
        "300.0": 5,
        "600.0": 5,
        "1800.0": 6,
        "3600.0": 6,
        "+Inf": 7,
    }
    assert (count, total) == (7, 0 + 1 + 3 + 45 + 45 + 700 + 5000)
    export = {"entity": "invoice", "direction": "export"}
    failed, failed_count, failed_sum = _histogram(text, erp="quickbooks", status="failed", **export)
    assert (failed["15.0"], failed["30.0"], failed_count, failed_sum) == (0, 1, 1, 20)
    xero, xero_count, _ = _histogram(text, erp="xero", status="completed", **export)
    assert (xero["1.0"], xero["5.0"], xero_count) == (0, 1, 1)
    assert len(samples(text, "smartap_sync_run_duration_seconds_count")) == 3

    api_app.state.now = lambda: NOW + dt.timedelta(days=2)  # every run has left the window
    later = (await api.get("/metrics")).text
    assert samples(later, "smartap_sync_run_duration_seconds_count") == {}
