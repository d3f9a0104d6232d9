"""The NetSuite simulator: TBA-signed RESTlets and SuiteTalk REST web services over one seeded account.

`create_app(config)` builds the ASGI app (`erpsim serve netsuite`); `credentials(config)` gives the
connection credentials it accepts (`account_id`, `consumer_key`, `consumer_secret`, `token_id`,
`token_secret`), a pure function of the seed. The pieces: `simulator.py` (the `Simulator` subclass,
limits, faults, mutate ops), `auth.py` (OAuth 1.0a HMAC-SHA256 verification), `restlet.py` (the
shipped RESTlets' contract), `rest.py` and `suiteql.py` (record API and SuiteQL), `bills.py`
(vendor bill validation and creation), `store.py` / `seed.py` / `shapes.py` (data and wire shapes),
`errors.py` (NetSuite's error envelopes). Facts: netsuite-connector.md §API facts.
"""

from __future__ import annotations

from starlette.applications import Starlette

from erpsim.core.app import build_app
from erpsim.core.simulator import SimConfig
from erpsim.netsuite.simulator import DEFAULT_CONCURRENCY, NetSuiteSim, credentials


def create_app(config: SimConfig, *, concurrency_limit: int = DEFAULT_CONCURRENCY) -> Starlette:
    """The simulator's app; `concurrency_limit` is the account's limit (netsuite-connector.md §Concurrency,
    default 5)."""
    return build_app(NetSuiteSim(config, concurrency_limit=concurrency_limit))


__all__ = ["NetSuiteSim", "create_app", "credentials"]
