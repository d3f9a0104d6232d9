"""Signing in to the web UI in real Chromium (issue 15): the form signs a user in and the session
cookie is HttpOnly and SameSite=Lax; a page asked for before signing in comes back after it; a wrong
password says so without telling which part was wrong; a form without its CSRF token, or with one
from another browser, is refused; signing out ends the session on the server too; a viewer cannot
open what needs an operator."""

from __future__ import annotations

import httpx
from playwright.async_api import Page, expect

from smartap_erp.app import users
from tests.ui.a11y import unlabelled_controls
from tests.ui.conftest import PASSWORD, UI_LOOP, Screenshot, SignIn, UIServer, UserFor

pytestmark = UI_LOOP


async def test_sign_in_lands_on_connections_with_a_safe_cookie(
    ui_server: UIServer, page: Page, user_for: UserFor, screenshot: Screenshot
) -> None:
    await user_for("viewer")
    await page.goto(ui_server.url("/ui/connections"))
    await expect(page).to_have_url(ui_server.url("/ui/login?next=/ui/connections"))
    await screenshot(page, "sign-in")
    assert await unlabelled_controls(page) == []
    await page.get_by_label("Username").fill("viewer")
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page).to_have_url(ui_server.url("/ui/connections"))
    await expect(page.get_by_role("heading", name="Connections")).to_be_visible()
    cookies = {cookie["name"]: cookie for cookie in await page.context.cookies()}
    session = cookies["smartap_session"]
    assert session["httpOnly"] is True
    assert session["sameSite"] == "Lax"
    assert session["secure"] is False  # plain http on loopback; Secure behind https
    assert session["value"] not in await page.content()


async def test_a_wrong_password_is_refused_without_saying_which_part(
    ui_server: UIServer, page: Page, user_for: UserFor
) -> None:
    await user_for("operator")
    for username in ("operator", "nobody"):
        await page.goto(ui_server.url("/ui/login"))
        await page.get_by_label("Username").fill(username)
        await page.get_by_label("Password").fill("not the password at all")
        await page.get_by_role("button", name="Sign in").click()
        await expect(page.get_by_role("alert")).to_have_text("wrong username or password")
        await expect(page).to_have_url(ui_server.url("/ui/login"))
    assert "smartap_session" not in {cookie["name"] for cookie in await page.context.cookies()}


async def test_forms_without_the_csrf_token_of_this_browser_are_refused(
    ui_server: UIServer, user_for: UserFor
) -> None:
    await user_for("admin")
    async with (
        httpx.AsyncClient(base_url=ui_server.base_url) as browser,
        httpx.AsyncClient(base_url=ui_server.base_url) as other,
    ):
        body = {"username": "admin", "password": PASSWORD}
        missing = await browser.post("/ui/login", data=body)
        assert missing.status_code == 403
        assert "security token" in missing.text
        await other.get("/ui/login")  # another browser's token, bound to its own cookie
        foreign = _token((await other.get("/ui/login")).text)
        await browser.get("/ui/login")
        refused = await browser.post("/ui/login", data={**body, "csrf_token": foreign})
        assert refused.status_code == 403
        own = _token((await browser.get("/ui/login")).text)
        cross_site = await browser.post(
            "/ui/login", data={**body, "csrf_token": own}, headers={"Origin": "https://evil.example"}
        )
        assert cross_site.status_code == 403
        accepted = await browser.post("/ui/login", data={**body, "csrf_token": own})
        assert accepted.status_code == 303
        assert accepted.headers["location"] == "/ui/"
        signed_in = await browser.get("/ui/connections")
        assert signed_in.status_code == 200
        sign_out_token = _token(signed_in.text)
        assert sign_out_token != own  # bound to the session now, not to the pre-session cookie
        assert (await browser.post("/ui/logout", data={"csrf_token": own})).status_code == 403


async def test_signing_out_ends_the_session_on_the_server(
    ui_server: UIServer, page: Page, sign_in: SignIn
) -> None:
    await sign_in(page, "viewer")
    token = next(c["value"] for c in await page.context.cookies() if c["name"] == "smartap_session")
    assert await users.session_user(ui_server.ctx, token) is not None
    await page.get_by_role("button", name="Sign out").click()
    await expect(page).to_have_url(ui_server.url("/ui/login"))
    assert await users.session_user(ui_server.ctx, token) is None
    async with httpx.AsyncClient(base_url=ui_server.base_url, cookies={"smartap_session": token}) as replay:
        again = await replay.get("/ui/connections")
    assert again.status_code == 303
    assert again.headers["location"].startswith("/ui/login")


async def test_a_disabled_user_is_signed_out_at_once(
    ui_server: UIServer, page: Page, sign_in: SignIn
) -> None:
    await sign_in(page, "operator")
    await users.disable_user(ui_server.ctx, "operator")
    await page.goto(ui_server.url("/ui/connections"))
    await expect(page).to_have_url(ui_server.url("/ui/login?next=/ui/connections"))


async def test_api_paths_keep_their_problem_documents(ui_server: UIServer) -> None:
    async with httpx.AsyncClient(base_url=ui_server.base_url) as client:
        api = await client.get("/api/v1/erp/connections")
        page = await client.get("/ui/no-such-page")
        root = await client.get("/")
    assert api.status_code == 401
    assert api.headers["content-type"].startswith("application/problem+json")
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
    assert "Content-Security-Policy" in page.headers
    assert root.status_code == 307
    assert root.headers["location"] == "/ui/"


def _token(html: str) -> str:
    marker = 'name="csrf_token" value="'
    start = html.index(marker) + len(marker)
    return html[start : html.index('"', start)]
