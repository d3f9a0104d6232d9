"""Settings read from the environment (and an optional `.env`), under the seed's variable names.

`get_settings()` reads them on first call; nothing is read at import time. An invalid value raises
`ConfigurationError` with one line naming the variable and what was expected. Files do not depend on
the working directory: a relative SQLite path (the default `data/smartap.db` included) is resolved
against `app_home()`, the project checkout the package runs from (found from the package itself),
or the per-user data directory when the package is installed elsewhere; `.env` is read from that
home and then from the working directory. The per-ERP settings (QUICKBOOKS_*, XERO_*, SAP_*,
NETSUITE_*) are declared and read by the ERP's provider description (`connectors/<erp>/provider.py`);
`ERP_PROVIDERS` names providers an installation adds. Documented in docs/configuration.md.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Any

from pydantic import AnyHttpUrl, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from smartap_erp.errors import ConfigurationError

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///data/smartap.db"  # relative: resolved against app_home()
APP_NAME = "smartap-erp"


def app_home() -> Path:
    """Where relative files live: the checkout holding this package's `pyproject.toml` (an editable
    install, as `make run` makes), else `$XDG_DATA_HOME/smartap-erp` (default `~/.local/share/...`)."""
    package = Path(__file__).resolve().parent
    checkout = package.parents[1]
    if (checkout / "pyproject.toml").is_file() and package.parent.name == "src":
        return checkout
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / APP_NAME


# Plain driver names people paste from other tools, mapped to the async drivers we run on.
_ASYNC_DRIVERS = {
    "sqlite": "sqlite+aiosqlite",
    "postgresql": "postgresql+asyncpg",
    "postgres": "postgresql+asyncpg",
    "postgresql+psycopg": "postgresql+asyncpg",
    "postgresql+psycopg2": "postgresql+asyncpg",
}


class Settings(BaseSettings):
    """Everything the product can be configured with. Field names are the environment variables."""

    model_config = SettingsConfigDict(
        env_file=(app_home() / ".env", ".env"),
        env_file_encoding="utf-8",
        case_sensitive=False,
        extra="ignore",
        frozen=True,
    )

    database_url: str = Field(
        DEFAULT_DATABASE_URL, description="SQLAlchemy URL of the database", validate_default=True
    )
    smartap_encryption_keys: SecretStr | None = Field(
        None, description="Comma-separated Fernet keys, newest first"
    )

    # Providers an installation adds: comma-separated "package.module:attribute" import paths.
    erp_providers: str = ""

    # Read by each ERP's provider (`connectors/<erp>/provider.py`, `ProviderSetting`), never directly.
    quickbooks_client_id: str | None = None
    quickbooks_client_secret: SecretStr | None = None
    quickbooks_redirect_uri: AnyHttpUrl | None = None

    xero_client_id: str | None = None
    xero_client_secret: SecretStr | None = None
    xero_redirect_uri: AnyHttpUrl | None = None

    sap_service_layer_url: AnyHttpUrl | None = None
    sap_verify_ssl: bool = True

    netsuite_account_id: str | None = Field(None, pattern=r"^[A-Za-z0-9_-]+$")
    netsuite_consumer_key: str | None = None
    netsuite_consumer_secret: SecretStr | None = None
    netsuite_restlet_url: AnyHttpUrl | None = None

    erp_sync_enabled: bool = True
    erp_sync_interval_minutes: int = Field(60, ge=1, le=10_080)
    erp_max_sync_retries: int = Field(3, ge=0, le=20)
    erp_sync_batch_size: int = Field(100, ge=1, le=1000)
    erp_payment_sync_interval_minutes: int = Field(30, ge=1, le=10_080)

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, value: str) -> str:
        scheme, sep, rest = value.partition("://")
        if not sep:
            raise ValueError("expected a URL such as sqlite:///data/smartap.db or postgresql://host/db")
        scheme = _ASYNC_DRIVERS.get(scheme, scheme)
        if scheme not in ("sqlite+aiosqlite", "postgresql+asyncpg"):
            raise ValueError("expected a sqlite:// or postgresql:// URL")
        if scheme == "sqlite+aiosqlite":
            rest = _anchored_sqlite(rest)
        return f"{scheme}://{rest}"

    @property
    def erp_providers_list(self) -> list[str]:
        """The import paths `ERP_PROVIDERS` names, in order."""
        return [path.strip() for path in self.erp_providers.split(",") if path.strip()]

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def sqlite_path(self) -> Path | None:
        """The database file, or None for PostgreSQL and in-memory SQLite."""
        if not self.is_sqlite:
            return None
        path = self.database_url.partition(":///")[2].split("?")[0]
        return Path(path) if path and path != ":memory:" else None

    @property
    def data_dir(self) -> Path:
        """Where the embedded defaults keep files: beside the SQLite database, else `app_home()/data`."""
        sqlite_path = self.sqlite_path
        return sqlite_path.parent if sqlite_path is not None else app_home() / "data"


def _anchored_sqlite(rest: str) -> str:
    """`/relative/path.db?x` (after `sqlite://`) with a relative path made absolute under app_home()."""
    path, sep, query = rest.removeprefix("/").partition("?")
    if not path or path == ":memory:" or path.startswith("file:") or Path(path).is_absolute():
        return rest
    return f"/{app_home() / path}{sep}{query}"


def load_settings(**overrides: Any) -> Settings:
    """Build Settings from the environment (plus overrides), turning errors into one clear line."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        raise ConfigurationError(describe_settings_error(exc)) from None


def describe_settings_error(exc: ValidationError) -> str:
    """One line per bad variable: its environment name, what was expected, and what was given."""
    lines = []
    for error in exc.errors():
        name = str(error["loc"][0]).upper() if error["loc"] else "settings"
        given = error.get("input")
        shown = "" if _is_secret(name) or isinstance(given, dict) else f" (got {given!r})"
        lines.append(f"{name}: {error['msg'].removeprefix('Value error, ')}{shown}")
    return "invalid configuration: " + "; ".join(lines)


def _is_secret(name: str) -> bool:
    return any(word in name for word in ("SECRET", "KEY", "PASSWORD", "TOKEN"))


@functools.lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once on first use."""
    return load_settings()
