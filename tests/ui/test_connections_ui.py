"""The connections screens in real Chromium, on SQLite and PostgreSQL (issue 15, screen 1): the list
shows a badge per status (active, error, pending, paused), health linking a failed run to its sync
log, and the next scheduled sync; a connection's page shows its health and last runs; Test shows the
company an ERP simulator answers with, or the ERP's refusal; Sync now queues a job on the workers (read
back through the app layer) and says when no worker is alive; Pause and Resume change the badge; the
edit form keeps credentials left blank, replaces only a typed one and never renders a stored value;
Delete asks on a page of its own first; a viewer sees no action and a viewer's or operator's forged
POST is refused with 403."""

from __future__ import annotations

import datetime as dt
import re
import uuid

from playwright.async_api import Locator, Page, expect

from smartap_erp.app import connections, syncs
from smartap_erp.app.connections import ConnectionCreate
from smartap_erp.db.connections import read_credentials
from smartap_erp.db.models import ERPConnection
from smartap_erp.domain.enums import ConnectionStatus, ERPEntity, ERPSystem, SyncDirection
from smartap_erp.errors import ERPAuthError
from smartap_erp.jobs import heartbeat
from smartap_erp.sync.logs import finish_log, mark_auth_failure, start_log
from tests.app.simulated import T0, SimulatedApp, sim_credentials
from tests.sync.harness import ErpHarness
from tests.ui.a11y import unlabelled_controls
from tests.ui.conftest import UI_LOOP, Screenshot, SignIn, UIServer

pytestmark = UI_LOOP

SENTINEL = "sentinel-Pa55word-never-shown"


async def add(ctx: SimulatedApp, name: str, system: str = "quickbooks", **fields: object) -> uuid.UUID:
    credentials = sim_credentials(system)
    if system == "sap":
        credentials["password"] = SENTINEL
    made = await connections.create_connection(
        ctx,
        ConnectionCreate.model_validate(
            {"system": system, "name": name, "credentials": credentials, "api_url": "http://127.0.0.1:9"}
            | fields
        ),
    )
    return made.id


async def refused_run(ctx: SimulatedApp, cid: uuid.UUID) -> str:
    """A vendor import stopped by a refused token; the connection is in error, as a worker leaves it."""
    async with ctx.sessions() as session:
        stored = await session.get(ERPConnection, cid)
        assert stored is not None
        log = await start_log(
            session, stored, entity=ERPEntity.VENDOR, direction=SyncDirection.IMPORT, now=T0
        )
        refusal = ERPAuthError("token refresh refused", erp=ERPSystem.QUICKBOOKS, code="invalid_grant")
        finish_log(
            log, stored, total=0, succeeded=0, errors=[], now=T0, error_message=str(refusal), failure=refusal
        )
        mark_auth_failure(stored, refusal)
        await session.commit()
        return str(log.id)


async def activate(ctx: SimulatedApp, cid: uuid.UUID) -> None:
    """As a successful test leaves it."""
    async with ctx.sessions() as session:
        stored = await session.get(ERPConnection, cid)
        assert stored is not None
        stored.status = ConnectionStatus.ACTIVE
        await session.commit()


def row(page: Page, name: str) -> Locator:
    return page.locator("tbody tr", has=page.get_by_role("rowheader", name=name, exact=True))


async def test_the_list_shows_each_status_health_and_the_next_sync(
    ui_server: UIServer, page: Page, sign_in: SignIn, screenshot: Screenshot
) -> None:
    ctx = ui_server.ctx
    assert ctx.sync is not None
    books = await ErpHarness.start(ERPSystem.QUICKBOOKS, ctx.sync, name="Books US", vendors=1)
    await connections.test_connection(ctx, "Books US")
    await activate(ctx, await add(ctx, "Archive", auto_sync=False))
    await add(ctx, "Draft", auto_sync=False)  # pending says more than paused: it was never tested
    await add(ctx, "Ledger", "sap", interval_minutes=15)
    broken = await add(ctx, "Broken")
    log_id = await refused_run(ctx, broken)

    await sign_in(page, "admin")
    await page.goto(ui_server.url("/ui/connections"))
    badges = {
        "Books US": "active",
        "Archive": "paused",
        "Ledger": "pending",
        "Draft": "pending",
        "Broken": "error",
    }
    for name, status in badges.items():
        await expect(row(page, name).locator(".badge")).to_have_text(status)
    broken_row = row(page, "Broken")
    await expect(broken_row).to_contain_text("reconnect QuickBooks")
    await expect(broken_row).to_contain_text("stopped until the error is fixed")
    log_link = broken_row.get_by_role("link", name=re.compile("view log"))
    await expect(log_link).to_have_attribute("href", f"/ui/logs/{log_id}")
    await expect(row(page, "Archive")).to_contain_text("paused")
    await expect(row(page, "Draft").locator("td").nth(4)).to_have_text("paused")
    await expect(row(page, "Books US")).to_contain_text("healthy")
    await expect(row(page, "Ledger")).to_contain_text("not tested yet")
    next_sync = await row(page, "Ledger").locator("td").nth(4).inner_text()
    at = dt.datetime.strptime(next_sync, "%Y-%m-%d %H:%M:%S UTC").replace(tzinfo=dt.UTC)
    assert at > dt.datetime.now(dt.UTC) and at.minute % 15 == 0 and at.second == 0  # the next 15-min slot
    await expect(page.get_by_role("link", name="New connection")).to_have_attribute(
        "href", "/ui/connections/new"
    )
    assert await unlabelled_controls(page) == []
    await screenshot(page, "connections")
    assert books.connection.name == "Books US"

    await page.get_by_role("link", name="Broken", exact=True).click()
    await expect(page.get_by_role("heading", name="Broken")).to_be_visible()
    health = page.locator("section", has=page.get_by_role("heading", name="Health"))
    await expect(health).to_contain_text("reconnect QuickBooks")
    await expect(health.get_by_role("link", name="the run that met it")).to_have_attribute(
        "href", f"/ui/logs/{log_id}"
    )
    runs = page.locator("section", has=page.get_by_role("heading", name="Last runs"))
    await expect(runs.locator("tbody tr")).to_have_count(1)
    await expect(runs.locator(".badge")).to_have_text("failed")
    await screenshot(page, "connection-detail")


async def test_test_shows_the_company_or_the_refusal(
    ui_server: UIServer, page: Page, sign_in: SignIn
) -> None:
    ctx = ui_server.ctx
    assert ctx.sync is not None
    harness = await ErpHarness.start(ERPSystem.QUICKBOOKS, ctx.sync, name="Books", vendors=1)
    info = await connections.test_connection(ctx, "Books")  # what the simulator's company is
    assert info.country

    await sign_in(page, "operator")
    await page.goto(ui_server.url("/ui/connections"))
    await page.get_by_role("button", name="Test Books").click()
    notice = page.get_by_role("status")
    await expect(notice).to_contain_text(f"'Books' reaches {info.company_name} ({info.country}")
    await expect(row(page, "Books").locator(".badge")).to_have_text("active")

    revoked = {**harness.sim.credentials(), "access_token": "expired-token", "refresh_token": "revoked-token"}
    await connections.update_connection(
        ctx, "Books", connections.ConnectionUpdate.model_validate({"credentials": revoked})
    )
    await page.goto(ui_server.url(f"/ui/connections/{harness.connection.id}"))
    await page.get_by_role("button", name="Test Books").click()
    await expect(page.get_by_role("alert")).to_contain_text("Testing 'Books' failed")
    await expect(page.get_by_role("heading", name="Books").locator(".badge")).to_have_text("error")
    assert "revoked-token" not in await page.content()


async def test_sync_now_queues_a_job_and_says_when_no_worker_runs_it(
    ui_server: UIServer, page: Page, sign_in: SignIn
) -> None:
    await add(ui_server.ctx, "Books")
    await sign_in(page, "operator")
    await page.goto(ui_server.url("/ui/connections"))
    await page.get_by_role("button", name="Sync now Books").click()
    notice = page.locator("#notice")
    await expect(notice).to_contain_text("Sync vendor+purchase_order of Books: queued as job")
    await expect(notice).to_contain_text("no worker is running")
    job_id = re.search(r"job (\S+)\.", await notice.inner_text())
    assert job_id is not None
    queue: syncs.JobQueue = ui_server.app.state.job_queue
    job = await syncs.job_status(ui_server.ctx, queue, job_id.group(1))
    assert (job.status, job.outcome) == ("ENQUEUED", "pending")

    now = dt.datetime.now(dt.UTC)
    await heartbeat.beat(ui_server.ctx.sessions, "w1", now=now, started_at=now)
    await page.get_by_role("button", name="Sync now Books").click()
    await expect(notice).to_contain_text(f"already queued as job {job_id.group(1)}")
    await expect(notice).not_to_contain_text("no worker")
    await expect(notice.get_by_role("link", name="Follow it on the dashboard")).to_be_visible()


async def test_pause_and_resume_change_the_badge(ui_server: UIServer, page: Page, sign_in: SignIn) -> None:
    await activate(ui_server.ctx, await add(ui_server.ctx, "Books"))
    await sign_in(page, "admin")
    await page.goto(ui_server.url("/ui/connections"))
    badge = row(page, "Books").locator(".badge")
    await expect(badge).to_have_text("active")
    await page.get_by_role("button", name="Pause Books").click()
    await expect(page.get_by_role("status")).to_have_text(re.compile("Scheduled syncs of 'Books' are paused"))
    await expect(badge).to_have_text("paused")
    assert not (await connections.find_connection(ui_server.ctx, "Books")).auto_sync
    await page.get_by_role("button", name="Resume Books").click()
    await expect(badge).to_have_text("active")
    assert (await connections.find_connection(ui_server.ctx, "Books")).auto_sync


async def test_edit_keeps_blank_credentials_and_never_shows_them(
    ui_server: UIServer, page: Page, sign_in: SignIn
) -> None:
    ctx = ui_server.ctx
    cid = await add(ctx, "Ledger", "sap")
    await sign_in(page, "admin")
    await page.goto(ui_server.url(f"/ui/connections/{cid}/edit"))
    assert SENTINEL not in await page.content()
    stored = sim_credentials("sap")
    assert stored["username"] not in await page.content()  # not even a field that is not secret
    await expect(page.get_by_label("Password")).to_have_value("")
    await expect(page.get_by_label("Password")).to_have_attribute("type", "password")
    await expect(page.locator("label[for=credential_password] .state")).to_have_text("set")
    await expect(page.locator("label[for=credential_service_layer_url] .state")).to_have_text("not set")
    assert await unlabelled_controls(page) == []

    await page.get_by_label("Every (minutes)").fill("0")
    await page.get_by_label("Every (minutes)").evaluate("el => el.removeAttribute('min')")
    await page.get_by_label("Password").fill("typed-but-refused")
    await page.get_by_role("button", name="Save").click()
    await expect(page.locator("#interval_minutes-error")).to_contain_text("whole minutes from 1")
    assert "typed-but-refused" not in await page.content()

    await page.get_by_label("Name", exact=True).fill("Ledger EU")
    await page.get_by_label("Every (minutes)").fill("30")
    await page.get_by_label("Conflict policy: Vendors").select_option("erp_wins")
    await page.get_by_label("Sync on a schedule").uncheck()
    await page.get_by_role("button", name="Save").click()
    await expect(page.get_by_role("status")).to_contain_text("'Ledger EU' is saved.")
    await expect(page.get_by_role("heading", name="Ledger EU").locator(".badge")).to_have_text("pending")
    await expect(page.locator("dl.facts")).to_contain_text("paused (every 30 min when resumed)")
    changed = await connections.find_connection(ctx, str(cid))
    assert (changed.interval_minutes, changed.auto_sync) == (30, False)
    assert changed.conflict_policies == {"vendor": "erp_wins", "purchase_order": "manual"}
    assert await stored_credentials(ctx, cid) == {**stored, "password": SENTINEL}

    await page.goto(ui_server.url(f"/ui/connections/{cid}/edit"))
    await page.get_by_label("Password").fill("a-new-password")
    await page.get_by_role("button", name="Save").click()
    await expect(page.get_by_role("status")).to_contain_text("saved with its new credentials: test it")
    assert await stored_credentials(ctx, cid) == {**stored, "password": "a-new-password"}
    assert "a-new-password" not in await page.content()


async def stored_credentials(ctx: SimulatedApp, cid: uuid.UUID) -> dict[str, object]:
    async with ctx.sessions() as session:
        stored = await session.get(ERPConnection, cid)
        assert stored is not None
        return dict(read_credentials(stored, vault=ctx.vault))


async def test_delete_asks_first(ui_server: UIServer, page: Page, sign_in: SignIn) -> None:
    await add(ui_server.ctx, "Books")
    await add(ui_server.ctx, "Archive")
    await sign_in(page, "admin")
    await page.goto(ui_server.url("/ui/connections"))
    await page.get_by_role("link", name="Delete Books").click()
    await expect(page.get_by_role("heading", name="Delete Books?")).to_be_visible()
    await page.get_by_role("link", name="Cancel").click()  # to the connection's page, still there
    await expect(page.get_by_role("heading", name="Books")).to_be_visible()
    await page.get_by_role("link", name="Delete Books").click()
    await page.get_by_role("button", name="Delete Books").click()
    await expect(page.get_by_role("status")).to_contain_text("Connection 'Books' is deleted")
    await expect(page.get_by_role("rowheader")).to_have_text(["Archive"])
    assert [c.name for c in await connections.list_connections(ui_server.ctx)] == ["Archive"]


async def forged_posts(
    page: Page, ui_server: UIServer, cid: uuid.UUID, actions: tuple[str, ...]
) -> dict[str, int]:
    """The status of each action POSTed with this session's valid CSRF token (the sign-out form's)."""
    token = await page.locator("input[name=csrf_token]").first.input_value()
    answers = {}
    for action in actions:
        url = ui_server.url(f"/ui/connections/{cid}/{action}")
        answers[action] = (await page.request.post(url, form={"csrf_token": token, "name": "Mine"})).status
    return answers


async def test_a_viewer_sees_no_action_an_operator_only_test_and_sync_and_forgeries_are_refused(
    ui_server: UIServer, page: Page, sign_in: SignIn
) -> None:
    cid = await add(ui_server.ctx, "Books")
    await sign_in(page, "viewer")
    await page.goto(ui_server.url("/ui/connections"))
    await expect(row(page, "Books").locator(".badge")).to_have_text("pending")
    assert await page.locator("main button, main a.action").count() == 0
    await expect(page.get_by_role("link", name="New connection")).to_have_count(0)
    await page.goto(ui_server.url(f"/ui/connections/{cid}"))
    assert await page.locator("main button, main a.action").count() == 0
    actions = ("test", "sync", "pause", "resume", "delete", "edit")
    assert await forged_posts(page, ui_server, cid, actions) == dict.fromkeys(actions, 403)
    for path in ("edit", "delete"):
        assert (await page.request.get(ui_server.url(f"/ui/connections/{cid}/{path}"))).status == 403
    found = await connections.find_connection(ui_server.ctx, str(cid))
    assert (found.name, found.auto_sync) == ("Books", True)

    await page.context.clear_cookies()  # an operator may test and sync, not change
    await sign_in(page, "operator")
    await page.goto(ui_server.url("/ui/connections"))
    actions = row(page, "Books").locator(".actions")
    await expect(actions.get_by_role("button")).to_have_text(["Test Books", "Sync now Books"])
    await expect(actions.get_by_role("link")).to_have_count(0)
    admin_only = ("pause", "delete", "edit")
    assert await forged_posts(page, ui_server, cid, admin_only) == dict.fromkeys(admin_only, 403)
    missing = await page.request.post(ui_server.url(f"/ui/connections/{cid}/sync"), form={})
    assert missing.status == 403  # no CSRF token
    assert (await connections.find_connection(ui_server.ctx, "Books")).auto_sync
