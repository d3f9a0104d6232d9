"""Fixtures for the HTTP toolkit tests: a virtual clock, so nothing ever really sleeps."""

from __future__ import annotations

import pytest

from smartap_erp.http.clock import ManualClock


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()
