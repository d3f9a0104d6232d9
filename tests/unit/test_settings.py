"""Settings come from the seed's environment variables; bad values fail with one line naming them."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr

from smartap_erp.errors import ConfigurationError
from smartap_erp.settings import DEFAULT_DATABASE_URL, app_home, load_settings

SEED_VARIABLES = {
    "QUICKBOOKS_CLIENT_ID": "qb-id",
    "QUICKBOOKS_CLIENT_SECRET": "qb-secret",
    "QUICKBOOKS_REDIRECT_URI": "http://localhost:3000/api/auth/quickbooks/callback",
    "XERO_CLIENT_ID": "xero-id",
    "XERO_CLIENT_SECRET": "xero-secret",
    "XERO_REDIRECT_URI": "http://localhost:3000/api/auth/xero/callback",
    "SAP_SERVICE_LAYER_URL": "https://sap.example.com:50000",
    "SAP_VERIFY_SSL": "false",
    "NETSUITE_ACCOUNT_ID": "1234567_SB1",
    "NETSUITE_CONSUMER_KEY": "ns-key",
    "NETSUITE_CONSUMER_SECRET": "ns-secret",
    "NETSUITE_RESTLET_URL": "https://1234567-sb1.restlets.api.netsuite.com/app/site/hosting/restlet.nl",
    "ERP_SYNC_ENABLED": "false",
    "ERP_SYNC_INTERVAL_MINUTES": "15",
    "ERP_MAX_SYNC_RETRIES": "5",
    "ERP_SYNC_BATCH_SIZE": "250",
}


def test_defaults_are_the_embedded_ones() -> None:
    settings = load_settings()
    assert DEFAULT_DATABASE_URL.endswith("///data/smartap.db")
    assert settings.database_url == f"sqlite+aiosqlite:///{app_home() / 'data' / 'smartap.db'}"
    assert settings.is_sqlite and settings.data_dir == app_home() / "data"
    assert (settings.erp_sync_enabled, settings.erp_sync_interval_minutes) == (True, 60)
    assert (settings.erp_max_sync_retries, settings.erp_sync_batch_size) == (3, 100)
    assert settings.smartap_encryption_keys is None and settings.sap_verify_ssl is True


def test_every_seed_variable_is_read_under_its_name(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in SEED_VARIABLES.items():
        monkeypatch.setenv(name, value)
    settings = load_settings()
    for name, value in SEED_VARIABLES.items():
        field = getattr(settings, name.lower())
        shown = field.get_secret_value() if isinstance(field, SecretStr) else field
        expected: object = {"false": False}.get(value, int(value) if value.isdigit() else value)
        actual = str(shown).rstrip("/") if isinstance(expected, str) else shown
        assert actual == expected, name


def test_secrets_are_not_shown_in_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XERO_CLIENT_SECRET", "very-secret-value")
    assert "very-secret-value" not in repr(load_settings())


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("ERP_SYNC_INTERVAL_MINUTES", "abc", "ERP_SYNC_INTERVAL_MINUTES: Input should be a valid integer"),
        (
            "ERP_SYNC_INTERVAL_MINUTES",
            "0",
            "ERP_SYNC_INTERVAL_MINUTES: Input should be greater than or equal to 1",
        ),
        ("ERP_SYNC_BATCH_SIZE", "5000", "ERP_SYNC_BATCH_SIZE: Input should be less than or equal to 1000"),
        ("ERP_SYNC_ENABLED", "maybe", "ERP_SYNC_ENABLED: Input should be a valid boolean"),
        ("SAP_SERVICE_LAYER_URL", "not a url", "SAP_SERVICE_LAYER_URL: Input should be a valid URL"),
        ("DATABASE_URL", "mysql://x/y", "DATABASE_URL: expected a sqlite:// or postgresql:// URL"),
        ("NETSUITE_ACCOUNT_ID", "12 34", "NETSUITE_ACCOUNT_ID: String should match pattern"),
    ],
)
def test_invalid_value_fails_with_one_line_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, expected: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigurationError) as caught:
        load_settings()
    message = str(caught.value)
    assert expected in message
    assert "\n" not in message


def test_secret_values_are_not_echoed_in_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XERO_CLIENT_SECRET", "")
    monkeypatch.setenv("NETSUITE_CONSUMER_KEY", "")
    monkeypatch.setenv("ERP_MAX_SYNC_RETRIES", "-1")
    with pytest.raises(ConfigurationError) as caught:
        load_settings()
    assert "ERP_MAX_SYNC_RETRIES" in str(caught.value)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("sqlite:////var/lib/x.db", "sqlite+aiosqlite:////var/lib/x.db"),
        ("sqlite:///:memory:", "sqlite+aiosqlite:///:memory:"),
        ("postgresql://postgres@127.0.0.1/test", "postgresql+asyncpg://postgres@127.0.0.1/test"),
        ("postgres://u:p@h/db", "postgresql+asyncpg://u:p@h/db"),
        ("postgresql+asyncpg://h/db", "postgresql+asyncpg://h/db"),
    ],
)
def test_database_urls_use_async_drivers(monkeypatch: pytest.MonkeyPatch, given: str, expected: str) -> None:
    monkeypatch.setenv("DATABASE_URL", given)
    assert load_settings().database_url == expected


def test_payment_sync_interval_defaults_to_30_and_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    assert load_settings().erp_payment_sync_interval_minutes == 30
    monkeypatch.setenv("ERP_PAYMENT_SYNC_INTERVAL_MINUTES", "5")
    assert load_settings().erp_payment_sync_interval_minutes == 5
    monkeypatch.setenv("ERP_PAYMENT_SYNC_INTERVAL_MINUTES", "0")
    with pytest.raises(ConfigurationError, match="ERP_PAYMENT_SYNC_INTERVAL_MINUTES"):
        load_settings()


def test_files_do_not_follow_the_working_directory(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Run from anywhere, the default database and a relative DATABASE_URL stay in one place: the
    checkout the package runs from (issue 12: commands from another directory made ./data/smartap.db)."""
    monkeypatch.chdir(tmp_path)
    home = app_home()
    assert (home / "pyproject.toml").is_file() and (home / "src" / "smartap_erp").is_dir()
    assert load_settings().sqlite_path == home / "data" / "smartap.db"
    monkeypatch.setenv("DATABASE_URL", "sqlite:///elsewhere/x.db?mode=rwc")
    settings = load_settings()
    assert settings.database_url == f"sqlite+aiosqlite:///{home / 'elsewhere' / 'x.db'}?mode=rwc"
    assert settings.sqlite_path == home / "elsewhere" / "x.db"
    assert not (tmp_path / "data").exists()
