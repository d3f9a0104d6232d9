"""The setup wizard and OAuth reconnect in real Chromium (issue 15), on SQLite and PostgreSQL, against
the four ERP simulators served over real HTTP on loopback (the browser itself opens the QuickBooks and
Xero authorize pages, and the token exchange goes there too): every ERP from "New connection" to
"Done"; a Xero login with several organisations asks which one; the SAP form shows each field's
problem beside it, and Back/Forward keep what was entered (secrets only as "stored"); NetSuite by
keyboard alone; every step's controls are labelled and no page ever holds a secret; an abandoned
wizard leaves nothing (OAuth) or a pending connection with automatic syncs off (which Cancel
deletes); only admins may open it; Reconnect replaces a connection's tokens."""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
from playwright.async_api import Page, expect

from erpsim.core import SimConfig
from erpsim.core.testing import LiveServer, live_server
from smartap_erp.app import connections
from smartap_erp.db.connections import read_credentials
from smartap_erp.db.models import ERPConnection
from tests.ui.a11y import unlabelled_controls
from tests.ui.conftest import PASSWORD, UI_LOOP, Screenshot, SignIn, UIServer, UserFor

pytestmark = UI_LOOP

SECRET_FIELDS = (
    "client_secret",
    "access_token",
    "refresh_token",
    "password",
    "consumer_secret",
    "token_secret",
)
SIM_DATA = SimConfig(vendors=3, purchase_orders=1, bills=1)


@contextmanager
def simulator(system: str) -> Iterator[LiveServer]:
    app = importlib.import_module(f"erpsim.{system}").create_app(SIM_DATA)
    with live_server(app) as server:
        yield server


class Visited:
    """Every page the browser showed (for the secret sentinel), each checked for unlabelled controls."""

    def __init__(self, page: Page) -> None:
        self.page, self.html = page, []

    async def check(self) -> None:
        assert await unlabelled_controls(self.page) == [], self.page.url
        self.html.append(await self.page.content())

    def assert_free_of(self, secrets: list[str]) -> None:
        for html in self.html:
            for secret in secrets:
                assert secret not in html


async def stored_secrets(server: UIServer, name: str) -> list[str]:
    """The secret credential values stored for connection `name` (the sentinels)."""
    found = await connections.find_connection(server.ctx, name)
    async with server.ctx.sessions() as session:
        row = await session.get(ERPConnection, found.id)
        assert row is not None
        stored = read_credentials(row, vault=server.ctx.vault).to_dict()
    return [str(stored[key]) for key in SECRET_FIELDS if stored.get(key)]


async def choose(page: Page, visited: Visited, erp: str, name: str, api_url: str) -> None:
    await expect(page.get_by_role("heading", name="New connection")).to_be_visible()
    await visited.check()
    await page.get_by_label(erp).check()
    await page.get_by_label("Connection name").fill(name)
    await page.get_by_label("API URL (optional)").fill(api_url)
    await page.get_by_role("button", name="Continue").click()


async def finish_wizard(
    page: Page, visited: Visited, company: str, *, screenshot: Screenshot | None = None
) -> None:
    await page.get_by_role("button", name="Test connection").click()
    await expect(page.get_by_role("status")).to_contain_text(f"Connected to {company}")
    await expect(page.get_by_text("Country")).to_be_visible()
    await visited.check()
    if screenshot:
        await screenshot(page, "wizard-test")
    await page.get_by_role("link", name="Continue").click()
    await expect(page.get_by_role("heading", name="Sync settings")).to_be_visible()
    await visited.check()
    await page.get_by_label("Interval (minutes)").fill("30")
    await page.get_by_label("Vendors").select_option("erp_wins")
    if screenshot:
        await screenshot(page, "wizard-configure")
    await page.get_by_role("button", name="Save and continue").click()
    await expect(page.get_by_role("heading", name="Field mappings")).to_be_visible()
    await visited.check()
    await expect(page.get_by_role("link", name="Open the mapping editor")).to_have_attribute(
        "href", f"/ui/mappings?connection={page.url.split('/')[-2]}"
    )
    await page.get_by_role("link", name="Skip and finish").click()
    await expect(page.get_by_role("heading", name="is set up")).to_be_visible()
    await expect(page.locator(".badge.active")).to_have_text("active")
    await expect(page.get_by_text("every 30 minutes")).to_be_visible()
    await visited.check()
    if screenshot:
        await screenshot(page, "wizard-done")


async def test_quickbooks_through_the_oauth_round_trip(
    ui_server: UIServer, page: Page, sign_in: SignIn
) -> None:
    await sign_in(page, "admin")
    visited = Visited(page)
    with simulator("quickbooks") as sim:
        await page.goto(ui_server.url("/ui/connections/new"))
        await choose(page, visited, "QuickBooks Online", "Books", sim.base_url)
        await expect(page.get_by_role("button", name="Connect to QuickBooks Online")).to_be_visible()
        await visited.check()
        credentials = sim.sim.credentials()
        await page.get_by_label("Client ID").fill(credentials["client_id"])
        await page.get_by_label("Client secret").fill(credentials["client_secret"])
        authorize: list[str] = []
        page.on("request", lambda r: authorize.append(r.url) if r.url.startswith(sim.base_url) else None)
        await page.get_by_role("button", name="Connect to QuickBooks Online").click()
        await expect(page.get_by_role("heading", name="Test Books")).to_be_visible()
        assert authorize and authorize[0].startswith(f"{sim.base_url}/connect/oauth2?")  # the browser went
        redirect = httpx.URL(authorize[0]).params["redirect_uri"]
        assert redirect == ui_server.url("/ui/oauth/callback")
        await expect(page.get_by_text("Status: pending")).to_be_visible()
        held = await connections.find_connection(ui_server.ctx, "Books")
        assert (held.status.value, held.auto_sync) == ("pending", False)  # until the settings are saved
        await finish_wizard(page, visited, "SmartAP Demo Company")
    done = await connections.find_connection(ui_server.ctx, "Books")
    assert (done.status.value, done.auto_sync, done.interval_minutes) == ("active", True, 30)
    assert done.conflict_policies == {"vendor": "erp_wins", "purchase_order": "manual"}
    secrets = await stored_secrets(ui_server, "Books")
    assert len(secrets) == 3  # client secret, access and refresh token
    visited.assert_free_of(secrets)


async def test_xero_asks_which_organisation(ui_server: UIServer, page: Page, sign_in: SignIn) -> None:
    await sign_in(page, "admin")
    visited = Visited(page)
    with simulator("xero") as sim:
        await page.goto(ui_server.url("/ui/connections/new"))
        await choose(page, visited, "Xero", "Xero org", sim.base_url)
        credentials = sim.sim.credentials()
        await page.get_by_label("Client ID").fill(credentials["client_id"])
        await page.get_by_label("Client secret").fill(credentials["client_secret"])
        await page.get_by_role("button", name="Connect to Xero").click()
        await expect(page.get_by_role("heading", name="Choose the organisation")).to_be_visible()
        await visited.check()
        cookies = {c["name"]: c for c in await page.context.cookies()}
        choice = cookies["smartap_oauth_choice"]  # the one-time choice: an HttpOnly cookie, never in the page
        assert choice["httpOnly"] and choice["path"] == "/ui/oauth"
        assert choice["value"] not in await page.content()
        await page.get_by_label("Harbor Holdings (Demo)").check()
        await page.get_by_role("button", name="Use this organisation").click()
        await expect(page.get_by_role("heading", name="Test Xero org")).to_be_visible()
        await finish_wizard(page, visited, "Harbor Holdings (Demo)")
        secrets = await stored_secrets(ui_server, "Xero org")
    visited.assert_free_of([*secrets, choice["value"]])


async def test_sap_form_errors_beside_fields_and_back_and_forward(
    ui_server: UIServer, page: Page, sign_in: SignIn, screenshot: Screenshot
) -> None:
    await sign_in(page, "admin")
    visited = Visited(page)
    with simulator("sap") as sim:
        credentials = sim.sim.credentials()
        await page.goto(ui_server.url("/ui/connections/new"))
        await page.get_by_label("SAP Business One").check()
        await page.get_by_label("Connection name").fill("Acme SAP")
        await page.get_by_label("API URL (optional)").fill(sim.base_url)
        await screenshot(page, "wizard-choose")
        await choose(page, visited, "SAP Business One", "Acme SAP", sim.base_url)

        await page.get_by_label("Company database").fill(credentials["company_db"])
        await page.get_by_label("Password").fill(credentials["password"])
        await page.get_by_label("Service Layer URL").fill("sap-server:50000")
        await page.get_by_role("button", name="Save and test").click()
        username = page.get_by_label("User name")
        await expect(username).to_have_attribute("aria-invalid", "true")
        await expect(page.locator("#e-username")).to_have_text("User name: is required")
        await expect(page.get_by_label("Service Layer URL")).to_have_attribute("aria-invalid", "true")
        await expect(page.locator("#e-service_layer_url")).to_contain_text("Service Layer URL:")
        await expect(page.get_by_label("Company database")).to_have_value(credentials["company_db"])
        await expect(page.get_by_label("Password")).to_have_value("")  # a secret is never sent back
        await expect(username).to_be_focused()
        await visited.check()
        await screenshot(page, "wizard-credentials")
        assert await connections.list_connections(ui_server.ctx) == []  # nothing stored yet

        await username.fill(credentials["username"])
        await page.get_by_label("Service Layer URL").fill("")
        await page.get_by_label("Password").fill(credentials["password"])
        await page.get_by_role("button", name="Save and test").click()
        await expect(page.get_by_role("heading", name="Test Acme SAP")).to_be_visible()
        held = await connections.find_connection(ui_server.ctx, "Acme SAP")
        assert (held.status.value, held.auto_sync) == ("pending", False)

        # Back twice (the wizard's links, then the browser's) and forward again: what was entered is
        # there (the secret as "stored").
        await page.get_by_role("link", name="Back").click()
        await expect(page.get_by_label("User name")).to_have_value(credentials["username"])
        await expect(page.get_by_label("Password")).to_have_value("")
        await expect(page.get_by_text("Stored (not shown)")).to_be_visible()
        await visited.check()
        await page.get_by_role("link", name="Back").click()
        await expect(page.get_by_label("Connection name")).to_have_value("Acme SAP")
        await expect(page.get_by_label("API URL (optional)")).to_have_value(sim.base_url)
        await expect(page.get_by_label("SAP Business One")).to_be_checked()
        await visited.check()
        await page.go_back()  # the browser's own Back and Forward too
        await expect(page.get_by_label("Company database")).to_have_value(credentials["company_db"])
        await page.go_forward()
        await expect(page.get_by_label("Connection name")).to_have_value("Acme SAP")
        await page.get_by_label("Connection name").fill("Acme SAP One")
        await page.get_by_role("button", name="Continue").click()
        await expect(page.get_by_role("heading", name="SAP Business One: Acme SAP One")).to_be_visible()
        await page.get_by_role("button", name="Save and continue").click()  # the password kept
        await expect(page.get_by_role("heading", name="Test Acme SAP One")).to_be_visible()
        await finish_wizard(page, visited, "", screenshot=screenshot)
        secrets = await stored_secrets(ui_server, "Acme SAP One")
    assert secrets == [credentials["password"]]
    visited.assert_free_of(secrets)
    assert [c.name for c in await connections.list_connections(ui_server.ctx)] == ["Acme SAP One"]


async def tab_to(page: Page, name: str) -> None:
    """Press Tab until the focused control's label (or text) starts with `name`."""
    for _ in range(40):
        await page.keyboard.press("Tab")
        if (await page.evaluate(_FOCUSED_NAME)).startswith(name):
            return
    raise AssertionError(f"Tab never reached {name!r}")


_FOCUSED_NAME = """() => { const el = document.activeElement; if (!el) return "";
  if (el.labels && el.labels.length) return el.labels[0].textContent.trim();
  return (el.getAttribute('aria-label') || el.textContent || '').trim(); }"""


async def test_netsuite_by_keyboard_alone(ui_server: UIServer, page: Page, sign_in: SignIn) -> None:
    await sign_in(page, "admin")
    visited = Visited(page)
    with simulator("netsuite") as sim:
        credentials = sim.sim.credentials()
        await page.goto(ui_server.url("/ui/connections/new"))
        await expect(page.get_by_label("QuickBooks Online")).to_be_focused()  # autofocus: the first ERP
        await visited.check()
        for _ in range(3):
            await page.keyboard.press("ArrowDown")  # a radio group moves and selects with the arrows
        await expect(page.get_by_label("NetSuite")).to_be_checked()
        await tab_to(page, "Connection name")
        await page.keyboard.type("Acme NetSuite")
        await tab_to(page, "API URL")
        await page.keyboard.type(sim.base_url)
        await page.keyboard.press("Enter")

        await expect(page.get_by_label("Account ID")).to_be_focused()
        await visited.check()
        await page.keyboard.type(credentials["account_id"])
        for label in ("Consumer key", "Consumer secret", "Token ID", "Token secret"):
            await tab_to(page, label)
            await page.keyboard.type(credentials[label.lower().replace(" ", "_")])
        await page.keyboard.press("Enter")

        await expect(page.get_by_role("button", name="Test connection")).to_be_focused()
        await page.keyboard.press("Enter")
        await expect(page.get_by_role("status")).to_contain_text("Connected to")
        await visited.check()
        await expect(page.get_by_role("link", name="Continue")).to_be_focused()
        await page.keyboard.press("Enter")

        await expect(page.get_by_label("Sync automatically")).to_be_focused()
        await page.keyboard.press("Space")  # off: manual syncs only
        await expect(page.get_by_label("Sync automatically")).not_to_be_checked()
        await tab_to(page, "Interval")
        await page.keyboard.press("Control+A")
        await page.keyboard.type("15")
        await page.keyboard.press("Enter")

        await expect(page.get_by_role("link", name="Skip and finish")).to_be_focused()
        await visited.check()
        await page.keyboard.press("Enter")
        await expect(page.get_by_role("heading", name="Acme NetSuite is set up")).to_be_visible()
        await expect(page.get_by_text("off (manual syncs only)")).to_be_visible()
        await visited.check()
        secrets = await stored_secrets(ui_server, "Acme NetSuite")
    done = await connections.find_connection(ui_server.ctx, "Acme NetSuite")
    assert (done.status.value, done.auto_sync, done.interval_minutes) == ("active", False, 15)
    assert len(secrets) == 2
    visited.assert_free_of(secrets)


_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


async def signed_in(server: UIServer, client: httpx.AsyncClient, user_for: UserFor, role: str) -> None:
    username = await user_for(role)
    token = _TOKEN.search((await client.get("/ui/login")).text)
    assert token is not None
    form = {"username": username, "password": PASSWORD, "csrf_token": token.group(1)}
    assert (await client.post("/ui/login", data=form)).status_code == 303


async def csrf(client: httpx.AsyncClient, path: str) -> str:
    found = _TOKEN.search((await client.get(path)).text)
    assert found is not None, path
    return found.group(1)


async def test_roles_abandoned_wizards_cancel_and_reconnect(ui_server: UIServer, user_for: UserFor) -> None:
    async with httpx.AsyncClient(base_url=ui_server.base_url) as operator:
        await signed_in(ui_server, operator, user_for, "operator")
        assert (await operator.get("/ui/connections/new")).status_code == 403
        assert (await operator.get("/ui/connections/new/sap?name=x")).status_code == 403
        token = await csrf(operator, "/ui/connections")
        refused = await operator.post("/ui/connections/new/sap", data={"csrf_token": token, "name": "x"})
        assert refused.status_code == 403
    with simulator("quickbooks") as sim, simulator("sap") as sap:
        async with httpx.AsyncClient(base_url=ui_server.base_url) as admin, httpx.AsyncClient() as erp:
            await signed_in(ui_server, admin, user_for, "admin")
            # An OAuth wizard abandoned on the ERP's page: nothing stored.
            token = await csrf(admin, f"/ui/connections/new/quickbooks?name=Books&api_url={sim.base_url}")
            client = {k: sim.sim.credentials()[k] for k in ("client_id", "client_secret")}
            form = {"csrf_token": token, "name": "Books", "api_url": sim.base_url, **client}
            started = await admin.post("/ui/connections/new/quickbooks", data=form)
            assert started.status_code == 303 and started.headers["location"].startswith(sim.base_url)
            assert client["client_secret"] not in started.headers["location"]
            assert await connections.list_connections(ui_server.ctx) == []

            # A credentials wizard abandoned after its form: one pending connection, never synced.
            sap_form = {"csrf_token": token, "name": "Left", "api_url": sap.base_url, **sap.sim.credentials()}
            made = await admin.post("/ui/connections/new/sap", data=sap_form)
            assert made.status_code == 303
            (left,) = await connections.list_connections(ui_server.ctx)
            assert (left.name, left.status.value, left.auto_sync) == ("Left", "pending", False)
            assert re.search(r'class="badge pending">pending<', (await admin.get("/ui/connections")).text)
            cancelled = await admin.post(f"/ui/connections/new/{left.id}/cancel", data={"csrf_token": token})
            assert cancelled.status_code == 303
            assert await connections.list_connections(ui_server.ctx) == []

            # The OAuth round trip by hand (the ERP's redirect followed), then a reconnect.
            approve = await erp.get(started.headers["location"])  # the abandoned flow's state still works
            assert approve.status_code == 302
            back = await admin.get(approve.headers["location"].removeprefix(ui_server.base_url))
            assert back.status_code == 303 and back.headers["location"].endswith("/test")
            books = await connections.find_connection(ui_server.ctx, "Books")
            before = await stored_secrets(ui_server, "Books")
            page = await admin.get(f"/ui/connections/{books.id}/reconnect")
            assert "Sign in to quickbooks again" in page.text
            again = await admin.post(f"/ui/connections/{books.id}/reconnect", data={"csrf_token": token})
            assert again.status_code == 303
            approve = await erp.get(again.headers["location"])
            done = await admin.get(approve.headers["location"].removeprefix(ui_server.base_url))
            assert done.status_code == 200 and "Books reconnected" in done.text
            after = await stored_secrets(ui_server, "Books")
            assert after[0] == before[0] and set(after[1:]).isdisjoint(before[1:])  # new token pair
            for secret in [*before, *after]:
                assert secret not in page.text + done.text
            replay = await admin.get(approve.headers["location"].removeprefix(ui_server.base_url))
            assert replay.status_code == 422 and "already used" in replay.text
            held = await connections.find_connection(ui_server.ctx, "Books")
            assert held.status.value == "active"  # a reconnect is not a new setup: not held pending
            refused = await admin.post(f"/ui/connections/new/{held.id}/cancel", data={"csrf_token": token})
            assert refused.status_code == 409
