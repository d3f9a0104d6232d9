"""The sync dashboard in real Chromium and over HTTP, on SQLite and PostgreSQL (issue 15, screen 3): a
sync started with the page's button is queued for a real worker process (`smartap-erp worker`, the
real sync engine) that imports from a QuickBooks simulator served on loopback, and the page follows it
until it is seen finished, then shows the run in the recent runs, the 7/30-day counts and their chart,
and the requests in the API usage table (with Xero's daily quota left for a Xero connection); with no
worker alive the page says so and the job waits queued; viewers see no sync button and are refused
one; the live JSON needs the page's CSRF token. The API usage figures are checked against the
exchanges a run recorded (in-process simulator through `ErpHarness`).

The `worker` and `qbo` fixtures are shared with tests/ui/test_logs_ui.py.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from playwright.async_api import Page, expect

from erpsim.core import Clock, SimConfig
from erpsim.core.testing import LiveServer, live_server
from erpsim.quickbooks import create_app as quickbooks_app
from smartap_erp.app import connections, dashboard, logs
from smartap_erp.app.logs import LogFilter
from smartap_erp.domain import ERPSystem
from smartap_erp.sync.service import ERPSyncService
from tests.app.simulated import SimulatedApp, sim_credentials
from tests.jobs.conftest import Jobs
from tests.jobs.real import REAL_ENGINE
from tests.sync.harness import ErpHarness
from tests.ui.a11y import unlabelled_controls
from tests.ui.conftest import PASSWORD, UI_LOOP, Screenshot, SignIn, UIServer, UserFor

pytestmark = UI_LOOP

FINISH = 90_000  # ms: a worker process importing on two shared cores


@pytest.fixture
def qbo() -> Iterator[LiveServer]:
    """A QuickBooks simulator on loopback (a worker process reaches it over real HTTP)."""
    with live_server(
        quickbooks_app(SimConfig(clock=Clock.real(), seed=3, vendors=12, purchase_orders=4))
    ) as server:
        yield server


@pytest_asyncio.fixture(loop_scope="session")
async def worker(ui_ctx: SimulatedApp, tmp_path: Path) -> AsyncIterator[Jobs]:
    """One `smartap-erp worker` process on the test's database, running the real sync engine,
    started (heartbeat written) before the test and killed after it."""
    keys = ui_ctx.settings.smartap_encryption_keys
    assert keys is not None
    jobs = Jobs(tmp_path, ui_ctx.settings.database_url)
    jobs.env.update(REAL_ENGINE, SMARTAP_ENCRYPTION_KEYS=keys.get_secret_value(), SMARTAP_WORKER_ID="ui-test")
    await asyncio.to_thread(jobs.ready_worker)  # blocking reads: kept off the server's event loop
    try:
        yield jobs
    finally:
        await asyncio.to_thread(jobs.kill_all)


async def add_qbo(ctx: SimulatedApp, server: LiveServer, name: str, **credentials: str) -> str:
    request = connections.ConnectionCreate.model_validate(
        {
            "system": "quickbooks",
            "name": name,
            "credentials": {**server.sim.credentials(), **credentials},
            "api_url": server.base_url,
            "auto_sync": False,
        }
    )
    return str((await connections.create_connection(ctx, request)).id)


async def add_xero(ctx: SimulatedApp, name: str) -> str:
    request = connections.ConnectionCreate.model_validate(
        {"system": "xero", "name": name, "credentials": sim_credentials("xero"), "auto_sync": False}
    )
    return str((await connections.create_connection(ctx, request)).id)


def cells(row: list[str]) -> list[str]:
    return [" ".join(text.split()) for text in row]


async def table(page: Page, selector: str) -> list[list[str]]:
    rows = page.locator(f"{selector} tbody tr")
    return [cells(await rows.nth(i).locator("td").all_inner_texts()) for i in range(await rows.count())]


async def test_a_sync_started_from_the_dashboard_is_seen_finishing(
    ui_server: UIServer, page: Page, sign_in: SignIn, qbo: LiveServer, worker: Jobs, screenshot: Screenshot
) -> None:
    await add_qbo(ui_server.ctx, qbo, "Books QBO")
    await add_xero(ui_server.ctx, "Xero NZ")
    await sign_in(page, "operator")
    await page.goto(ui_server.url("/ui/dashboard"))
    await expect(page.get_by_text("1 worker running")).to_be_visible()
    assert await unlabelled_controls(page) == []

    await page.get_by_label("What to import from Books QBO").select_option("vendor")
    await page.get_by_role("button", name="Sync Books QBO now").click()
    await expect(page).to_have_url(re.compile(r"/ui/dashboard\?job="))
    job = page.locator("tr.job")
    await expect(job.locator('[data-field="state"]')).to_have_text("completed", timeout=FINISH)
    await expect(job.get_by_role("link", name="sync log 1")).to_be_visible()

    recent = await table(page, "#recent-runs")
    assert [(r[1], r[2], r[3]) for r in recent] == [("Books QBO", "vendor (import)", "completed")]
    assert recent[0][5] == "12 of 12" and recent[0][6] == "ui:operator"
    counts = await table(page, "#run-counts")
    assert [r[:8] for r in counts] == [["Books QBO", "vendor", "1", "0", "0", "1", "0", "0"]]
    chart = page.locator("#run-counts svg.chart")
    assert await chart.locator("rect.ok").count() == 2  # one completed run in both bars
    assert await chart.locator("rect.bad").count() == 0
    await expect(chart).to_have_attribute("aria-label", re.compile("7 days 1 completed, 0 partial, 0 failed"))
    usage = {row[0]: row for row in await table(page, "#api-usage")}
    requests = int(usage["Books QBO"][2].replace(",", ""))
    assert requests >= 1 and usage["Books QBO"][3] == "0"
    assert "500 per minute" in usage["Books QBO"][4] and "10 at once" in usage["Books QBO"][4]
    assert usage["Books QBO"][5] == "no daily quota"
    assert usage["Xero NZ"][2:] == ["0", "0", usage["Xero NZ"][4], "5,000 of 5,000"]
    assert "5,000 per day" in usage["Xero NZ"][4]
    secrets = [str(v) for k, v in qbo.sim.credentials().items() if "token" in k or "secret" in k]
    content = await page.content()
    assert secrets and not [s for s in secrets if s in content]
    await screenshot(page, "dashboard")


async def test_with_no_worker_the_job_waits_and_the_page_says_so(
    ui_server: UIServer, user_for: UserFor, qbo: LiveServer
) -> None:
    cid = await add_qbo(ui_server.ctx, qbo, "Books QBO")
    async with httpx.AsyncClient(base_url=ui_server.base_url) as browser:
        await _sign_in(browser, await user_for("operator"))
        page = await browser.get("/ui/dashboard")
        assert "no worker is running" in page.text and "smartap-erp worker" in page.text
        token = _token(page.text)
        sent = await _sync(browser, token, cid, "all")
        assert sent.status_code == 303 and sent.headers["location"].startswith("/ui/dashboard?job=")
        followed = await browser.get(sent.headers["location"])
        assert 'data-field="state">queued<' in followed.text and "waiting for a worker" in followed.text
        again = await _sync(browser, token, cid, "all")
        assert again.headers["location"] == sent.headers["location"] + "&joined=1"  # the same job, joined

        job_id = sent.headers["location"].split("job=")[1]
        assert (await browser.get(f"/ui/dashboard/live.json?job={job_id}")).status_code == 403
        live = await browser.get(f"/ui/dashboard/live.json?job={job_id}", headers={"X-CSRF-Token": token})
        assert live.status_code == 200
        assert [(j["id"], j["state"], j["finished"]) for j in live.json()["jobs"]] == [
            (job_id, "queued", False)
        ]
        bad = await _sync(browser, token, cid, "x")
        assert bad.status_code == 422
        missing = await browser.post("/ui/dashboard/sync", data={"connection": cid, "entities": "all"})
        assert missing.status_code == 403


async def test_viewers_see_no_sync_button_and_are_refused_one(
    ui_server: UIServer, user_for: UserFor, qbo: LiveServer
) -> None:
    cid = await add_qbo(ui_server.ctx, qbo, "Books QBO")
    async with httpx.AsyncClient(base_url=ui_server.base_url) as browser:
        await _sign_in(browser, await user_for("viewer"))
        page = await browser.get("/ui/dashboard")
        assert (
            page.status_code == 200 and "Sync now" not in page.text and "/ui/dashboard/sync" not in page.text
        )
        refused = await _sync(browser, _token(page.text), cid, "all")
        assert refused.status_code == 403 and "operator role" in refused.text


async def test_api_usage_counts_the_recorded_requests_against_xeros_daily_quota(ui_ctx: SimulatedApp) -> None:
    harness = await ErpHarness.start(ERPSystem.XERO, ui_ctx.sync_context(), name="Xero NZ", vendors=7)
    report = await ERPSyncService(ui_ctx.sync_context()).import_vendors(
        harness.connection.id, triggered_by="test"
    )
    assert report.log_id is not None
    detail = await logs.get_log(ui_ctx, report.log_id)
    sent = len(detail.exchanges) + detail.exchanges_omitted
    assert sent >= 1
    at = max(e.at for e in detail.exchanges)

    [usage] = await dashboard.api_usage(ui_ctx, now=at + dt.timedelta(minutes=1))
    assert (usage.connection, usage.system, usage.requests, usage.throttled) == ("Xero NZ", "xero", sent, 0)
    assert [(q.limit, q.left) for q in usage.daily] == [(5000, 5000 - sent)]
    assert usage.limits == ["60 per minute", "5,000 per day", "5 at once", "10,000 per app-minute"]
    [later] = await dashboard.api_usage(ui_ctx, now=at + dt.timedelta(hours=25))  # out of the window
    assert (later.requests, [q.left for q in later.daily]) == (0, [5000])

    [counts] = await dashboard.run_counts(ui_ctx, now=detail.started_at + dt.timedelta(days=8))
    assert (counts.week.total, counts.month.completed) == (0, 1)  # 8 days on: in the 30 days only
    assert (await logs.list_logs(ui_ctx, LogFilter())).items[0].id == report.log_id


async def _sign_in(browser: httpx.AsyncClient, username: str) -> None:
    token = _token((await browser.get("/ui/login")).text)
    done = await browser.post(
        "/ui/login", data={"username": username, "password": PASSWORD, "csrf_token": token}
    )
    assert done.status_code == 303, done.text


async def _sync(browser: httpx.AsyncClient, token: str, connection: str, entities: str) -> httpx.Response:
    form = {"csrf_token": token, "connection": connection, "entities": entities}
    return await browser.post("/ui/dashboard/sync", data=form)


def _token(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found is not None
    return found.group(1)
