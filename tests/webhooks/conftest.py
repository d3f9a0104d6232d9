"""Fixtures of the webhook tests: the API's (`api_ctx`, `api_app`, `anon`: the app on the test
database, SQLite and PostgreSQL, with no API key), shared from tests/api/conftest.py."""

from tests.api.conftest import anon, api_app, api_ctx  # noqa: F401 - fixtures used by name
