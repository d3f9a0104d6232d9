"""`ERPProvider`: everything the product knows about one ERP, in one frozen description.

Each ERP package holds one (`connectors/<erp>/provider.py`, attribute `PROVIDER`): its system key and
display name, how it authenticates (`AuthKind`), the credential fields a person enters
(`CredentialField`, with label, help, secrecy and validation), its OAuth endpoints and scopes, its
rate-limit keys and retry policy, the settings it reads (`ProviderSetting`: which environment
variable fills which credential or connector option), what it can do (`Capabilities`, true only for
what the connector does today), the connector class and the simulator by import path. Importing a
description imports neither: the connector is loaded on first use (`load_connector`), the simulator
only by the demo and tests. The registry (`connectors.registry`) holds the descriptions; everything
that switches on an ERP (token store, CLI, logs, demo, settings) reads them.
"""

from __future__ import annotations

import importlib
import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from smartap_erp.credentials import ConnectorCredentials
from smartap_erp.errors import ConfigurationError
from smartap_erp.http.ratelimit import RateLimitPolicy
from smartap_erp.http.retry import RetryPolicy

if TYPE_CHECKING:
    from smartap_erp.connectors.base import ERPConnector
    from smartap_erp.settings import Settings

SYSTEM_KEY = re.compile(r"^[a-z][a-z0-9_]{0,31}$")  # fits erp_connections.system_type (VARCHAR 32)
SEED_COLUMNS = ("tenant_id", "company_db")  # the seed's erp_connections columns that copy a credential
# The `ERPInvoice` fields a connector can write into a bill, as field mappings name them.
BILL_HEADER = ("invoice_number", "invoice_date", "due_date")
BILL_LINKS = ("memo", "purchase_order_id", "line_items[].po_line_id")
BILL_LINE = tuple(f"line_items[].{name}" for name in ("description", "account_code", "item_code", "tax_code"))
RateLimits = Callable[[ConnectorCredentials], Sequence[tuple[str, RateLimitPolicy]]]


class AuthKind(StrEnum):
    """How an ERP authenticates; OAuth 2.0 ERPs rotate tokens, so their pair lives in the database."""

    OAUTH2 = "oauth2"
    SESSION = "session"
    TOKEN_BASED = "token_based"  # noqa: S105 - an auth kind, not a secret

    @property
    def label(self) -> str:
        return _AUTH_LABELS[self]


_AUTH_LABELS = {
    AuthKind.OAUTH2: "OAuth 2.0",
    AuthKind.SESSION: "session login",
    AuthKind.TOKEN_BASED: "token-based (OAuth 1.0a TBA)",
}


@dataclass(frozen=True)
class CredentialField:
    """One credential a person enters. `pattern` (a full-match regex) or `validator` (returns what is
    wrong, or None) check a given value; `choices` limits it to a few words."""

    name: str
    label: str
    help: str = ""
    secret: bool = False
    required: bool = True
    pattern: str | None = None
    choices: tuple[str, ...] = ()
    validator: Callable[[str], str | None] | None = None

    def problem(self, value: Any) -> str | None:
        """What is wrong with `value` (None if fine). A value is never echoed for a secret field."""
        if value is None or value == "":
            return "is required" if self.required else None
        if not isinstance(value, str | int) or isinstance(value, bool):
            return f"must be text, not {type(value).__name__}"
        text = str(value)
        shown = "" if self.secret else f" (got {text[:60]!r})"
        if self.choices and text not in self.choices:
            return f"must be one of {', '.join(self.choices)}{shown}"
        if self.pattern is not None and not re.fullmatch(self.pattern, text):
            return f"{self.help or 'has an unexpected form'}{shown}"
        if self.validator is not None:
            problem = self.validator(text)
            if problem:
                return problem + shown
        return None


@dataclass(frozen=True)
class OAuthEndpoints:
    """The OAuth 2.0 authorization-code endpoints and the scopes the connector needs."""

    authorize_url: str
    token_url: str
    scopes: tuple[str, ...]
    revoke_url: str | None = None


@dataclass(frozen=True)
class ProviderSetting:
    """A setting (environment variable) the provider reads. `credential`: the credential it fills
    when a connection's credentials lack it; `option`: what else it sets: "verify" (TLS
    verification), "base_url" (the API root of a connection without an API URL) or "redirect_uri"
    (the OAuth connect flow). `applies_to`, if given, limits it to the credentials it returns True for."""

    name: str
    help: str
    credential: str | None = None
    option: str | None = None
    applies_to: Callable[[Mapping[str, Any]], bool] | None = None


@dataclass(frozen=True)
class Capabilities:
    """What the connector really does today (planned work is False)."""

    batch_export: bool = False  # several bills per request
    change_feed: bool = False  # reads only what changed since the last sync
    payment_feed: bool = False  # payment changes read as a feed, not bill by bill
    webhooks: bool = False  # the ERP's push notifications are received
    deletions: bool = False  # records deleted in the ERP are noticed
    lock_dates: bool = False  # the ERP's closed periods are honoured before export

    def as_dict(self) -> dict[str, bool]:
        return {name: bool(getattr(self, name)) for name in self.__dataclass_fields__}


@dataclass(frozen=True)
class SimulatorRef:
    """Where the ERP's simulator lives (a module with `create_app` and `credentials`) and how the
    demo pays a bill in it through `/_sim/mutate` ({"op": pay_op, pay_key: id})."""

    module: str
    pay_op: str = "pay_bill"
    pay_key: str = "bill_id"
    numeric_id: bool = False


@dataclass(frozen=True)
class ERPProvider:
    """One ERP, described. See the module docstring for each part."""

    system: str
    name: str
    auth: AuthKind
    connector: str  # "package.module:Class", imported on first use
    credential_fields: tuple[CredentialField, ...]
    rate_limits: RateLimits = field(default=lambda _credentials: ())
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    oauth: OAuthEndpoints | None = None
    settings: tuple[ProviderSetting, ...] = ()
    capabilities: Capabilities = field(default_factory=Capabilities)
    simulator: SimulatorRef | None = None
    # Credential fields the seed's `erp_connections` table also keeps as columns of the same name.
    columns: tuple[str, ...] = ()
    # The `ERPInvoice` fields its connector writes into a bill (what an invoice field mapping may target).
    bill_fields: tuple[str, ...] = (*BILL_HEADER, *BILL_LINKS, *BILL_LINE)

    def __post_init__(self) -> None:
        if not SYSTEM_KEY.match(self.system):
            raise ConfigurationError(
                f"ERP provider key {self.system!r}: expected lower-case letters, digits and _ "
                "(at most 32, starting with a letter)"
            )
        if ":" not in self.connector:
            raise ConfigurationError(f"{self.system} provider: connector must be 'module:Class'")
        names = [f.name for f in self.credential_fields]
        if len(set(names)) != len(names):
            raise ConfigurationError(f"{self.system} provider: a credential field is declared twice")
        unknown = [c for c in self.columns if c not in names or c not in SEED_COLUMNS]
        if unknown:
            raise ConfigurationError(
                f"{self.system} provider: columns {unknown} must be credential fields and one of "
                f"{', '.join(SEED_COLUMNS)}"
            )

    # ---- credentials ---------------------------------------------------------------------------
    @property
    def required_credentials(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.credential_fields if f.required)

    def credential_field(self, name: str) -> CredentialField:
        for candidate in self.credential_fields:
            if candidate.name == name:
                return candidate
        raise KeyError(name)

    def missing_credentials(self, credentials: Mapping[str, Any]) -> list[str]:
        """The required fields without a value, in declaration order."""
        return [f.name for f in self.credential_fields if f.required and _blank(credentials.get(f.name))]

    def credential_problems(self, credentials: Mapping[str, Any]) -> list[str]:
        """One line per bad field: first the missing ones together ("quickbooks needs client_secret,
        realm_id"), then each given value that fails its check ("realm_id (Company ID): ..."); []
        if all good. Secret values are never shown."""
        missing = self.missing_credentials(credentials)
        problems = [f"{self.system} needs {', '.join(missing)}"] if missing else []
        for spec in self.credential_fields:
            if spec.name in missing:
                continue
            problem = spec.problem(credentials.get(spec.name))
            if problem:
                problems.append(f"{spec.name} ({spec.label}): {problem}")
        return problems

    def validate_credentials(self, credentials: Mapping[str, Any], *, source: str = "") -> dict[str, Any]:
        """The credentials as a plain dict, or one ConfigurationError naming every bad field."""
        problems = self.credential_problems(credentials)
        if problems:
            where = f"{source}: " if source else f"{self.system} credentials: "
            raise ConfigurationError(where + "; ".join(problems))
        return dict(credentials)

    def column_values(self, credentials: Mapping[str, Any]) -> dict[str, str | None]:
        """The values of the credential fields the connection row also keeps as columns."""
        return {name: (str(credentials[name]) if credentials.get(name) else None) for name in self.columns}

    # ---- settings ------------------------------------------------------------------------------
    def setting_value(self, settings: Settings | None, name: str) -> Any:
        """A declared setting's value: from `Settings` when it has the field, else the environment
        (a provider added by an installation declares settings `Settings` does not know)."""
        if name not in {s.name for s in self.settings}:
            raise KeyError(f"{self.system} provider does not declare the setting {name}")
        attribute = name.lower()
        if settings is not None and attribute in type(settings).model_fields:
            value = getattr(settings, attribute)
        else:
            value = os.environ.get(name) or None
        if value is None:
            return None
        secret = getattr(value, "get_secret_value", None)
        return secret() if callable(secret) else value

    def with_settings(self, credentials: Mapping[str, Any], settings: Settings | None) -> dict[str, Any]:
        """The credentials, with every declared setting that fills a credential applied where the
        connection's own value is missing (a connection's value always wins)."""
        filled = dict(credentials)
        for setting in self.settings:
            if setting.credential is None or filled.get(setting.credential):
                continue
            if setting.applies_to is not None and not setting.applies_to(filled):
                continue
            value = self.setting_value(settings, setting.name)
            if value is not None and value != "":
                filled[setting.credential] = str(value)
        return filled

    def connector_options(self, settings: Settings | None) -> dict[str, Any]:
        """Connector options set by declared settings (e.g. TLS verification)."""
        options: dict[str, Any] = {}
        for setting in self.settings:
            if setting.option == "verify":
                value = self.setting_value(settings, setting.name)
                if value is not None:
                    options["verify"] = value if isinstance(value, bool) else _truthy(str(value))
        return options

    def default_base_url(self, credentials: Mapping[str, Any], settings: Settings | None) -> str | None:
        """The API root a declared setting gives a connection that names none, or None."""
        for setting in self.settings:
            if setting.option != "base_url":
                continue
            if setting.applies_to is not None and not setting.applies_to(credentials):
                continue
            value = self.setting_value(settings, setting.name)
            if value:
                return str(value)
        return None

    def redirect_uri(self, settings: Settings | None) -> str | None:
        """The OAuth redirect URI of the connect flow, from the setting that declares it."""
        for setting in self.settings:
            if setting.option == "redirect_uri":
                value = self.setting_value(settings, setting.name)
                return None if value is None else str(value)
        return None

    # ---- lazily loaded parts -------------------------------------------------------------------
    def load_connector(self) -> type[ERPConnector]:
        """The connector class, imported now (a broken import surfaces as itself, not as absent)."""
        from smartap_erp.connectors.base import ERPConnector

        loaded = load_object(self.connector)
        if not (isinstance(loaded, type) and issubclass(loaded, ERPConnector)):
            raise ConfigurationError(f"{self.system} provider: {self.connector} is not an ERPConnector class")
        return loaded

    def describe(self) -> dict[str, Any]:
        """What `about --json` shows: no secrets, no code."""
        return {
            "system": self.system,
            "name": self.name,
            "auth": self.auth.label,
            "capabilities": self.capabilities.as_dict(),
            "credential_fields": [
                {"name": f.name, "label": f.label, "secret": f.secret, "required": f.required}
                for f in self.credential_fields
            ],
            "settings": [s.name for s in self.settings],
            "oauth_scopes": list(self.oauth.scopes) if self.oauth else [],
        }


def load_object(path: str) -> Any:
    """`"package.module:attribute"` imported and returned; a clear ConfigurationError if malformed
    or absent (an import error inside the module itself propagates: it is a bug to see)."""
    module_name, sep, attribute = path.partition(":")
    if not sep or not module_name or not attribute:
        raise ConfigurationError(f"{path!r}: expected an import path 'package.module:attribute'")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name is None or not module_name.startswith(exc.name):
            raise
        raise ConfigurationError(f"{path!r}: no module {module_name}") from None
    try:
        return getattr(module, attribute)
    except AttributeError:
        raise ConfigurationError(f"{path!r}: {module_name} has no {attribute}") from None


def _blank(value: Any) -> bool:
    return value is None or value == ""


def _truthy(text: str) -> bool:
    return text.strip().lower() not in ("0", "false", "no", "off", "")
