"""The log viewer in real Chromium and over HTTP, on SQLite and PostgreSQL (issue 15, screen 5): the
filters (connection, entity, status, start-date range, text) narrow the table; a failed run's record
errors open from their disclosure; the CSV download is, line by line, the rows the filtered table
shows; a run a worker process failed (QuickBooks refusing the connection's tokens, which carry a
sentinel) drills down to its HTTP exchanges with no secret on the page, and "Retry" queues a new job
followed on the dashboard; viewers get no retry and are refused one; a run not made by a job is not
retried; a bad filter is a 422 page saying which field; pages go by cursor and by offset.
"""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
import re
import uuid
from pathlib import Path

import httpx
from playwright.async_api import Page, expect

from erpsim.core.testing import LiveServer
from smartap_erp.app import log_export
from smartap_erp.domain import ERPEntity, RecordError
from tests.app.simulated import SimulatedApp
from tests.app.test_logs import _connection, _log
from tests.jobs.conftest import Jobs
from tests.ui.a11y import unlabelled_controls
from tests.ui.conftest import UI_LOOP, Screenshot, SignIn, UIServer, UserFor
from tests.ui.test_dashboard_ui import FINISH, _sign_in, _token, add_qbo, qbo, table, worker  # noqa: F401

pytestmark = UI_LOOP

SENTINEL = "SENTINEL-7f3a9c"


async def _seed(ctx: SimulatedApp) -> dict[str, uuid.UUID]:
    books, other = await _connection(ctx, "Books"), await _connection(ctx, "Other")
    unmapped = RecordError(record_id="INV-9", field="vendor", message="vendor V-77 is not mapped")
    negative = RecordError(record_id="INV-10", field="amount", message="=amount must be positive")
    locked = RecordError(record_id="INV-11", message="the period is locked", code="6210")
    day = 24 * 60
    return {
        "vendors": await _log(ctx, books, 0),
        "partial": await _log(ctx, books, 5, ERPEntity.INVOICE, errors=(unmapped,), by="ap@example.com"),
        "failed": await _log(ctx, books, day + 3, ERPEntity.INVOICE, errors=(unmapped, negative, locked)),
        "stopped": await _log(ctx, other, day + 9, stopped="Xero unreachable: connection refused"),
        "orders": await _log(ctx, other, 2 * day, ERPEntity.PURCHASE_ORDER),
    }


async def _shown(page: Page) -> list[str]:
    rows = page.locator("#logs tbody tr")
    return [str(await rows.nth(i).get_attribute("data-log")) for i in range(await rows.count())]


async def test_filters_narrow_the_table_and_the_csv_is_what_it_shows(
    ui_server: UIServer, page: Page, sign_in: SignIn, screenshot: Screenshot
) -> None:
    ids = {name: str(log_id) for name, log_id in (await _seed(ui_server.ctx)).items()}
    await sign_in(page, "viewer")
    await page.goto(ui_server.url("/ui/logs"))
    newest_first = [ids[n] for n in ("orders", "stopped", "failed", "partial", "vendors")]
    assert await _shown(page) == newest_first
    assert await unlabelled_controls(page) == []

    await page.get_by_label("Status").select_option("failed")
    await page.get_by_role("button", name="Filter").click()
    assert await _shown(page) == [ids["stopped"], ids["failed"]]
    await page.get_by_label("Connection").select_option(label="Books")
    await page.get_by_role("button", name="Filter").click()
    assert await _shown(page) == [ids["failed"]]
    errors = page.locator(f'tr[data-log="{ids["failed"]}"] details')
    await expect(errors.locator("li").first).to_be_hidden()
    await errors.get_by_text("3 record errors").click()
    await expect(errors.locator("li")).to_have_text(
        [
            "INV-9 vendor: vendor V-77 is not mapped",
            "INV-10 amount: =amount must be positive",
            "INV-11: the period is locked (6210)",
        ]
    )
    await screenshot(page, "logs")

    await page.get_by_label("Connection").select_option("")
    await page.get_by_label("Status").select_option("")
    await page.get_by_label("Text").fill("UNREACHABLE")
    await page.get_by_role("button", name="Filter").click()
    assert await _shown(page) == [ids["stopped"]]
    await page.get_by_label("Text").fill("")
    await page.get_by_label("Entity").select_option("invoice")
    await page.get_by_role("button", name="Filter").click()
    assert await _shown(page) == [ids["failed"], ids["partial"]]
    await page.get_by_label("Entity").select_option("")
    await page.get_by_label("Started from (UTC)").fill("2024-06-04")
    await page.get_by_label("Started until (UTC, inclusive)").fill("2024-06-04")
    await page.get_by_role("button", name="Filter").click()
    assert await _shown(page) == [ids["stopped"], ids["failed"]]
    await page.get_by_label("Text").fill("V-77")  # in a stored record error
    await page.get_by_role("button", name="Filter").click()
    assert await _shown(page) == [ids["failed"]]
    await page.get_by_label("Text").fill("")
    await page.get_by_role("button", name="Filter").click()

    async with page.expect_download() as started:
        await page.get_by_role("link", name="Download CSV of these logs").click()
    download = await started.value
    text = (await asyncio.to_thread(Path(await download.path()).read_bytes)).decode()
    lines = list(csv.reader(io.StringIO(text)))
    assert lines[0] == list(log_export.CSV_COLUMNS)
    shown = await table(page, "#logs")
    assert len(lines) - 1 == len(shown) == 2
    for row, cells in zip(lines[1:], shown, strict=True):
        item = dict(zip(lines[0], row, strict=True))
        started_at = dt.datetime.fromisoformat(item["started_at"]).strftime("%Y-%m-%d %H:%M:%S UTC")
        duration = f"{int(item['duration_seconds']):.1f} s"
        records = f"{item['success_count']} of {item['total_count']}"
        if item["error_count"] != "0":
            records += f", {item['error_count']} failed"
        expected = [started_at, item["connection"], item["entity"], item["direction"]]
        assert cells[:4] == expected and cells[4].startswith(item["status"])
        assert (cells[5], cells[6], cells[7]) == (duration, records, item["triggered_by"])
        assert item["error_message"] in cells[8]
    assert [dict(zip(lines[0], r, strict=True))["id"] for r in lines[1:]] == [ids["stopped"], ids["failed"]]


async def test_a_failed_job_drills_down_to_its_exchanges_without_secrets_and_is_retried(
    ui_server: UIServer,
    page: Page,
    sign_in: SignIn,
    qbo: LiveServer,  # noqa: F811
    worker: Jobs,  # noqa: F811
    screenshot: Screenshot,
) -> None:
    tokens = {"access_token": f"{SENTINEL}-access", "refresh_token": f"{SENTINEL}-refresh"}
    cid = await add_qbo(ui_server.ctx, qbo, "Refused QBO", **tokens)
    await sign_in(page, "operator")
    await page.goto(ui_server.url("/ui/dashboard"))
    await page.get_by_label("What to import from Refused QBO").select_option("vendor")
    await page.get_by_role("button", name="Sync Refused QBO now").click()
    await expect(page).to_have_url(re.compile(r"/ui/dashboard\?job="))  # the POST's redirect, not before
    first_job = page.url.split("job=")[1]
    job = page.locator("tr.job")
    await expect(job.locator('[data-field="state"]')).to_have_text("failed", timeout=FINISH)
    await job.get_by_role("link", name="sync log 1").click()

    await expect(page.get_by_role("heading", name="vendor import of Refused QBO")).to_be_visible()
    await expect(page.locator(".facts")).to_contain_text("auth")
    exchanges = await table(page, "#exchanges")
    assert exchanges and any(row[3] == "401" for row in exchanges)
    assert all(row[2].startswith(("GET http", "POST http")) for row in exchanges)
    assert SENTINEL not in await page.content()
    await screenshot(page, "log-detail")

    page.once("dialog", lambda dialog: dialog.accept())
    await page.get_by_role("button", name="Retry this job").click()
    await expect(page).to_have_url(re.compile(r"/ui/dashboard\?job="))
    retried = page.url.split("job=")[1]
    assert retried != first_job
    await expect(page.locator(f'tr.job[data-job="{retried}"] [data-field="state"]')).not_to_have_text(
        "unknown job"
    )
    assert cid


async def test_retry_needs_an_operator_and_a_job(ui_server: UIServer, user_for: UserFor) -> None:
    ids = await _seed(ui_server.ctx)
    async with httpx.AsyncClient(base_url=ui_server.base_url) as browser:
        await _sign_in(browser, await user_for("viewer"))
        detail = await browser.get(f"/ui/logs/{ids['failed']}")
        assert detail.status_code == 200 and "Retry this job" not in detail.text
        assert "run in a command (no queued job)" in detail.text and "INV-11" in detail.text
        refused = await browser.post(
            f"/ui/logs/{ids['failed']}/retry", data={"csrf_token": _token(detail.text)}
        )
        assert refused.status_code == 403
    async with httpx.AsyncClient(base_url=ui_server.base_url) as browser:
        await _sign_in(browser, await user_for("operator"))
        detail = await browser.get(f"/ui/logs/{ids['failed']}")
        no_job = await browser.post(
            f"/ui/logs/{ids['failed']}/retry", data={"csrf_token": _token(detail.text)}
        )
        assert no_job.status_code == 409 and "not a queued job" in no_job.text
        assert (await browser.get(f"/ui/logs/{uuid.uuid4()}")).status_code == 404


async def test_bad_filters_say_which_field_and_pages_go_by_cursor_and_offset(
    ui_server: UIServer, user_for: UserFor
) -> None:
    books = await _connection(ui_server.ctx, "Books")
    made = [str(await _log(ui_server.ctx, books, minute)) for minute in range(57)]
    async with httpx.AsyncClient(base_url=ui_server.base_url) as browser:
        await _sign_in(browser, await user_for("viewer"))
        first = await browser.get("/ui/logs", params={"connection": "Books"})
        assert _rows(first.text) == made[::-1][:50]
        older = re.search(r'href="([^"]+)" rel="next"', first.text)
        assert older is not None and "cursor=" in older.group(1) and "connection=Books" in older.group(1)
        second = await browser.get(older.group(1).replace("&amp;", "&"))
        assert _rows(second.text) == made[::-1][50:] and 'rel="next"' not in second.text
        by_offset = await browser.get("/ui/logs", params={"offset": "54"})
        assert _rows(by_offset.text) == made[::-1][54:]

        bad_day = await browser.get("/ui/logs", params={"to": "2024-13-01"})
        assert bad_day.status_code == 422 and "to: &#39;2024-13-01&#39; is not a date" in bad_day.text
        bad_status = await browser.get("/ui/logs", params={"status": "exploded"})
        assert bad_status.status_code == 422 and "status: Input should be" in bad_status.text
        assert (await browser.get("/ui/logs.csv", params={"status": "exploded"})).status_code == 422
        unknown = await browser.get("/ui/logs", params={"connection": "Nope"})
        assert unknown.status_code == 404
        assert (await browser.get("/ui/logs", params={"cursor": "garbage"})).status_code == 422
        whole = await browser.get("/ui/logs.csv", params={"connection": "Books", "cursor": "ignored"})
        assert whole.status_code == 200 and len(whole.text.splitlines()) == 58  # every log, not a page


def _rows(page: str) -> list[str]:
    return re.findall(r'<tr data-log="([^"]+)">', page)
