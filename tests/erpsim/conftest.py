"""Fixtures shared by the simulator tests: a loopback server factory and a fixed clock."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import Any

import pytest

from erpsim.core import Clock
from erpsim.core.testing import LiveServer, live_server


@pytest.fixture
def fixed_clock() -> Clock:
    """A clock standing still at 2024-06-03T12:00:00Z until advanced."""
    return Clock.fixed("2024-06-03T12:00:00+00:00")


@pytest.fixture
def live() -> Iterator[Callable[[Any], LiveServer]]:
    """`live(app)` serves `app` on 127.0.0.1 at a free port; every server stops at teardown."""
    with ExitStack() as stack:
        yield lambda app: stack.enter_context(live_server(app))
