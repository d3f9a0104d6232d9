"""The Xero Accounting API simulator (`erpsim serve xero`): identity, tenants, accounting routes, limits.

`create_app(config)` builds the Starlette app (the `/connect/token` and `/connections` identity
routes, the `/api.xro/2.0/...` accounting routes and the shared `/_sim/` control endpoints);
`credentials(config)` gives the connection credentials a seed accepts from the start. Behaviour is
from the API facts in docs/xero.md and Xero's OpenAPI spec; see docs/simulators.md.
"""

from __future__ import annotations

from starlette.applications import Starlette

from erpsim.core.app import build_app
from erpsim.core.simulator import SimConfig
from erpsim.xero.simulator import XeroSim, credentials

__all__ = ["XeroSim", "create_app", "credentials"]


def create_app(config: SimConfig) -> Starlette:
    return build_app(XeroSim(config))
