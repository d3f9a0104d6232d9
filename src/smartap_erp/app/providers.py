"""The ERPs this installation can connect to, as every interface shows them: `list_providers` and
`get_provider` turn the registered provider descriptions (`connectors/<erp>/provider.py`, plus any
`ERP_PROVIDERS` adds) into `ProviderInfo` models: name, auth kind, the credential fields a person
enters (label, help, secret or not, required, pattern, choices), OAuth endpoints and scopes, the
settings each reads, capabilities, and whether its connector loads. The CLI's `about` and
`connections add` prompts read them; the API's provider list and the UI's setup wizard will too.
"""

from __future__ import annotations

from smartap_erp.app.models import AppModel
from smartap_erp.connectors.provider import ERPProvider
from smartap_erp.connectors.registry import registry
from smartap_erp.errors import ConfigurationError


class CredentialFieldInfo(AppModel):
    name: str
    label: str
    help: str
    secret: bool
    required: bool
    pattern: str | None
    choices: tuple[str, ...]


class OAuthInfo(AppModel):
    authorize_url: str
    token_url: str
    scopes: tuple[str, ...]


class ProviderInfo(AppModel):
    system: str
    name: str
    auth: str  # "OAuth 2.0", "session login", "token-based (OAuth 1.0a TBA)"
    connector: str  # "available", or "not available (<why>)" for a package that does not load
    credential_fields: tuple[CredentialFieldInfo, ...]
    oauth: OAuthInfo | None
    settings: tuple[str, ...]  # the environment variables it reads
    capabilities: dict[str, bool]


def _connector_state(provider: ERPProvider) -> str:
    try:
        registry.get(provider.system)
    except (ImportError, ConfigurationError) as exc:  # shown, not raised: every ERP is listed
        return f"not available ({type(exc).__name__})"
    return "available"


def _info(provider: ERPProvider) -> ProviderInfo:
    oauth = provider.oauth
    return ProviderInfo(
        system=provider.system,
        name=provider.name,
        auth=provider.auth.label,
        connector=_connector_state(provider),
        credential_fields=tuple(
            CredentialFieldInfo(
                name=field.name,
                label=field.label,
                help=field.help,
                secret=field.secret,
                required=field.required,
                pattern=field.pattern,
                choices=field.choices,
            )
            for field in provider.credential_fields
        ),
        oauth=None
        if oauth is None
        else OAuthInfo(authorize_url=oauth.authorize_url, token_url=oauth.token_url, scopes=oauth.scopes),
        settings=tuple(setting.name for setting in provider.settings),
        capabilities=provider.capabilities.as_dict(),
    )


def list_providers() -> list[ProviderInfo]:
    """Every registered ERP, in registry order (the built-in ones first)."""
    return [_info(provider) for provider in registry.providers()]


def get_provider(system: str) -> ProviderInfo:
    """One ERP by its key; a `ConfigurationError` listing the known ones otherwise."""
    return _info(registry.provider(system))
