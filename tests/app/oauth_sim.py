"""The QuickBooks and Xero simulators as the OAuth tests reach them: in-process at
`http://<system>.test`, with a 'browser' that follows the authorize page's redirect (for
tests/app/test_oauth.py and tests/api/test_oauth_api.py)."""

from __future__ import annotations

import importlib
from typing import Any

import httpx

from erpsim.core import SimConfig


class Sim:
    """One simulator, reached in-process at `http://<system>.test`, and a 'browser' for it."""

    def __init__(self, system: str) -> None:
        module = importlib.import_module(f"erpsim.{system}")
        self.app = module.create_app(SimConfig(vendors=3, purchase_orders=1, bills=1))
        self.credentials: dict[str, Any] = dict(self.app.state.sim.credentials())
        self.url = f"http://{system}.test"
        self.transport = httpx.ASGITransport(app=self.app)

    def client(self) -> dict[str, str]:
        return {k: self.credentials[k] for k in ("client_id", "client_secret")}

    async def redirect(self, authorize_url: str) -> httpx.URL:
        """What the person's browser does: open the authorize URL; where it is sent back to."""
        async with httpx.AsyncClient(transport=self.transport) as browser:
            response = await browser.get(authorize_url)
        assert response.status_code == 302, response.text
        location = httpx.URL(response.headers["location"])
        redirect_uri = httpx.URL(authorize_url).params["redirect_uri"]
        assert str(location.copy_with(query=None)) == redirect_uri
        return location

    async def approve(self, authorize_url: str) -> dict[str, str]:
        """The query the browser brings back to the redirect URI (code, state, realmId)."""
        return dict((await self.redirect(authorize_url)).params)
