"""Fixtures of the contract tests: a simulator served on loopback for a third-party client.

`serve(system)` builds the simulator with a small seeded data set on the real clock (OAuth 1.0a
timestamps and token lifetimes are checked against it, and the clients read the machine clock) and
serves it with uvicorn on 127.0.0.1 at a free port from a background thread, so the synchronous
clients (requests, urllib3) and the async `netsuite` client reach it over a real socket. Rate limits
are off: the contract under test is the wire format, and a burst of paging calls must not depend on
how fast this machine is (the limits have their own tests under tests/erpsim/).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import Any

import pytest

from erpsim.core import SimConfig
from erpsim.core.testing import LiveServer, live_server
from erpsim.registry import load_system

SMALL = {"seed": 11, "vendors": 30, "purchase_orders": 6, "bills": 12, "limits": "off"}


@pytest.fixture
def serve() -> Iterator[Callable[..., LiveServer]]:
    """`serve("quickbooks", **config)` -> the running simulator; every server stops at teardown."""
    with ExitStack() as stack:

        def start(system: str, **options: Any) -> LiveServer:
            config = SimConfig(**{**SMALL, **options})
            return stack.enter_context(live_server(load_system(system).create_app(config)))

        yield start
