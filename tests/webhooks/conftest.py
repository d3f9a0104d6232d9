"""Fixtures of the webhook tests: the API's (`api_ctx`, `api_app`, `anon`: the app on the test
database, SQLite and PostgreSQL, with no API key), shared from tests/api/conftest.py, and `recorder`, a
webhook endpoint on loopback that records what simulators post (tests/webhooks/recorder.py)."""

from collections.abc import Iterator

import pytest

from erpsim.core.testing import live_server
from tests.api.conftest import anon, api_app, api_ctx  # noqa: F401 - fixtures used by name
from tests.webhooks.recorder import Recorder


@pytest.fixture
def recorder() -> Iterator[tuple[Recorder, str]]:
    found = Recorder()
    with live_server(found.app()) as server:
        yield found, f"{server.base_url}/hook"
