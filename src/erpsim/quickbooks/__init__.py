"""The QuickBooks Online Accounting API (v3) simulator: OAuth 2.0, query, CRUD, batch, CDC, limits.

`create_app(config)` returns the Starlette app (routes at QBO's real paths under the base URL, plus
`/_sim/`); `credentials(config)` returns the seeded `client_id`, `client_secret`, `realm_id`,
`access_token` and `refresh_token` without building anything. See docs/simulators.md.
"""

from __future__ import annotations

from starlette.applications import Starlette

from erpsim.core.app import build_app
from erpsim.core.simulator import SimConfig
from erpsim.quickbooks.auth import credentials
from erpsim.quickbooks.sim import QuickBooksSim


def create_app(config: SimConfig | None = None) -> Starlette:
    return build_app(QuickBooksSim(config or SimConfig()))


__all__ = ["QuickBooksSim", "create_app", "credentials"]
