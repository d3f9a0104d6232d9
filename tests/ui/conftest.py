"""Fixtures for web UI tests, on SQLite and PostgreSQL: the whole application (API + UI) served by a
real uvicorn server on a loopback port inside the tests' event loop (`ui_server`), Debian's Chromium
driven by Playwright (`browser`, one per session, i.e. per xdist worker; a fresh context per `page`),
users of each role (`user_for`), signing in through the real form (`sign_in`), and
`screenshot(page, name)`, which saves a PNG of a screen into `SMARTAP_UI_SCREENSHOTS` (docs/ui/ when
`make screenshots` runs them; the test's tmp_path otherwise).

    async def test_x(ui_server, page, sign_in):
        await sign_in(page, "operator")
        await page.goto(ui_server.url("/ui/connections"))

The tests and these fixtures run in the session's event loop (each test module sets
`pytestmark = UI_LOOP`): Playwright's driver and browser belong to the loop that started them, and
starting them once instead of per test saves ~0.8 s a test. `engine` is redefined here for that loop.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import pytest_asyncio
import uvicorn
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from smartap_erp.api.app import create_app
from smartap_erp.app import users
from smartap_erp.app.users import Role, UserCreate
from tests.app.simulated import SimulatedApp, simulated_app
from tests.conftest import engine_for_test

UI_LOOP = pytest.mark.asyncio(loop_scope="session")
CHROMIUM = os.environ.get("SMARTAP_TEST_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
PASSWORD = "correct horse battery staple"

SignIn = Callable[..., Awaitable[None]]
UserFor = Callable[[str], Awaitable[str]]
Screenshot = Callable[..., Awaitable[Path]]


@dataclass
class UIServer:
    base_url: str
    app: FastAPI
    ctx: SimulatedApp

    def url(self, path: str) -> str:
        return self.base_url + path


@pytest_asyncio.fixture(loop_scope="session")
async def engine(backend: str, _engine_url: str) -> AsyncIterator[AsyncEngine]:
    """The root conftest's `engine`, in the session's loop where the UI tests run."""
    async with engine_for_test(backend, _engine_url) as db_engine:
        yield db_engine


@pytest.fixture
def ui_ctx(engine: AsyncEngine, session_factory: async_sessionmaker[AsyncSession]) -> SimulatedApp:
    return simulated_app(engine, session_factory)


@pytest_asyncio.fixture(loop_scope="session")
async def ui_server(ui_ctx: SimulatedApp) -> AsyncIterator[UIServer]:
    """The application on 127.0.0.1 at a free port, served from the tests' event loop."""
    app = create_app(ui_ctx.settings, context=ui_ctx)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(app, log_level="warning", lifespan="on", access_log=False)
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    async with asyncio.timeout(30):
        while not server.started:
            if task.done():
                task.result()  # raises the server's startup error
            await asyncio.sleep(0.01)  # yields to the server task until it is listening
    host, port = sock.getsockname()
    try:
        yield UIServer(f"http://{host}:{port}", app, ui_ctx)
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 30)
        sock.close()


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def browser() -> AsyncIterator[object]:
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"no Chromium at {CHROMIUM}: install Debian's package (apt-get install -y chromium) "
            "or set SMARTAP_TEST_CHROMIUM",
            pytrace=False,
        )
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            yield launched
        finally:
            await launched.close()


@pytest_asyncio.fixture(loop_scope="session")
async def page(browser: object) -> AsyncIterator[object]:
    from playwright.async_api import Browser

    assert isinstance(browser, Browser)
    context = await browser.new_context(viewport={"width": 1280, "height": 860})
    context.set_default_timeout(20_000)  # generous: CI shares two cores
    opened = await context.new_page()
    try:
        yield opened
    finally:
        await context.close()


@pytest.fixture
def user_for(ui_ctx: SimulatedApp) -> UserFor:
    """Creates a user with `role` (named after it) once and returns the username."""
    made: set[str] = set()

    async def make(role: str) -> str:
        if role not in made:
            await users.create_user(ui_ctx, UserCreate(username=role, password=PASSWORD, role=Role(role)))
            made.add(role)
        return role

    return make


@pytest.fixture
def sign_in(ui_server: UIServer, user_for: UserFor) -> SignIn:
    """Signs `page` in as a user of `role` through the sign-in form."""

    async def go(page: object, role: str = "admin") -> None:
        from playwright.async_api import Page

        assert isinstance(page, Page)
        username = await user_for(role)
        await page.goto(ui_server.url("/ui/login"))
        await page.get_by_label("Username").fill(username)
        await page.get_by_label("Password").fill(PASSWORD)
        await page.get_by_role("button", name="Sign in").click()
        await page.wait_for_url(lambda url: "/ui/login" not in url)

    return go


@pytest.fixture
def screenshot(tmp_path: Path) -> Screenshot:
    """Saves a full-page PNG of `page` as `<name>.png` and returns its path."""
    folder = Path(os.environ.get("SMARTAP_UI_SCREENSHOTS") or tmp_path / "screenshots")

    async def take(page: object, name: str) -> Path:
        from playwright.async_api import Page

        assert isinstance(page, Page)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{name}.png"
        await _capture(page, path)
        return path

    return take


async def _capture(page: object, path: Path, attempts: int = 3) -> None:
    """Takes the full-page PNG, retrying Chromium's transient capture refusal.

    Headless Chromium sometimes refuses `Page.captureScreenshot` ("Unable to capture screenshot")
    when the compositor is starved, as on CI's two shared cores (seen once in a CI run; the
    puppeteer and Playwright trackers report the same). The page itself is fine, so the capture is
    tried again, and finally as a viewport-only shot, before the test fails for it.
    """
    from playwright.async_api import Error, Page

    assert isinstance(page, Page)
    for _ in range(attempts):
        try:
            await page.screenshot(path=str(path), full_page=True)
            return
        except Error as refused:
            if "Unable to capture screenshot" not in str(refused):
                raise
    await page.screenshot(path=str(path))
