"""The SAP Business One Service Layer simulator (`erpsim serve sap`).

`create_app(config)` builds the Starlette app (real paths under `/b1s/v1/` and `/b1s/v2/`, plus the
core's `/_sim/` control endpoints); `credentials(config)` gives the `company_db` / `username` /
`password` a connection uses, from the seed alone. What is simulated, and how faithfully, is in
`erpsim.sap.sim` and the SAP section of `docs/simulators.md`.
"""

from __future__ import annotations

from starlette.applications import Starlette

from erpsim.core import SimConfig, build_app
from erpsim.sap.sim import DEFAULT_MAX_CONCURRENT, SapSim, credentials


def create_app(config: SimConfig, *, max_concurrent: int = DEFAULT_MAX_CONCURRENT) -> Starlette:
    return build_app(SapSim(config, max_concurrent=max_concurrent))


__all__ = ["SapSim", "create_app", "credentials"]
