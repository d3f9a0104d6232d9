"""The registry of ERP providers and `build_connector`, the one factory that turns (ERP, credentials)
into a ready connector talking to the real ERP, or to a simulator when `base_url` points at one.

Providers (`connectors.provider.ERPProvider`) come from three places: the product's own, one per
ERP package that has a `provider.py` (`smartap_erp.connectors.<erp>.provider:PROVIDER`, found by
file and imported on first lookup, so a broken one never stops the others); those named in the
setting `ERP_PROVIDERS` (comma-separated "module:attribute" paths: how an installation adds an ERP
without editing the product); and any registered at runtime with `register_provider`. A provider's
connector class is imported on first use. A connector class may also be registered on its own
(`register_connector`, tests' fake ERPs). An unknown ERP is a `ConfigurationError` that lists the
known ones.
"""

from __future__ import annotations

import logging
import ssl
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import httpx

from smartap_erp.connectors.base import ConnectorOptions, ERPConnector
from smartap_erp.connectors.provider import ERPProvider, load_object
from smartap_erp.errors import ConfigurationError
from smartap_erp.http.clock import Clock, Random, Sleep, system_clock, system_random, system_sleep
from smartap_erp.http.ratelimit import LimiterRegistry, default_limiters
from smartap_erp.http.retry import RetryPolicy
from smartap_erp.http.tokens import TokenStore

if TYPE_CHECKING:
    from smartap_erp.settings import Settings

log = logging.getLogger(__name__)
C = TypeVar("C", bound=type[ERPConnector])

_FIRST = ("quickbooks", "xero", "sap", "netsuite")  # the order people have always seen them in


def builtin_providers() -> dict[str, str]:
    """Every ERP package of the product that has a `provider.py` (`connectors/<erp>/provider.py`),
    key -> import path: a new ERP package is found as it is, no list to edit. Found by file, so
    nothing is imported here."""
    found = sorted(path.parent.name for path in Path(__file__).parent.glob("*/provider.py"))
    ordered = [key for key in _FIRST if key in found] + [key for key in found if key not in _FIRST]
    return {key: f"smartap_erp.connectors.{key}.provider:PROVIDER" for key in ordered}


BUILTIN_PROVIDERS: dict[str, str] = builtin_providers()


class ConnectorRegistry:
    """ERP system key -> provider description (and its connector class, loaded on first use).

    Args:
        builtin_providers: system key -> "module:attribute" of a provider imported on first lookup
            (the four built-in ERPs by default).
        configured: also load the providers the `ERP_PROVIDERS` setting names (the process-wide
            registry does; registries made by tests do not unless asked).
    """

    def __init__(
        self, builtin_providers: Mapping[str, str] | None = None, *, configured: bool = False
    ) -> None:
        self._builtin = dict(BUILTIN_PROVIDERS if builtin_providers is None else builtin_providers)
        self._providers: dict[str, ERPProvider] = {}
        self._classes: dict[str, type[ERPConnector]] = {}
        self._configured = configured
        self._configured_loaded = False

    # ---- registering -------------------------------------------------------------------------
    def register_provider(self, provider: ERPProvider) -> ERPProvider:
        """Add an ERP; registering the same description again is fine, a second one for a key is not."""
        if not isinstance(provider, ERPProvider):
            raise ConfigurationError(f"not an ERPProvider: {provider!r}")
        existing = self._providers.get(provider.system)
        if existing is not None and existing is not provider:
            raise ConfigurationError(f"two providers for ERP {provider.system!r}")
        self._providers[provider.system] = provider
        return provider

    def register_provider_path(self, path: str) -> ERPProvider:
        """Import "module:attribute" and register the provider it names."""
        provider = load_object(path.strip())
        if not isinstance(provider, ERPProvider):
            raise ConfigurationError(f"ERP_PROVIDERS: {path.strip()!r} is not an ERPProvider")
        return self.register_provider(provider)

    def unregister_provider(self, system: str) -> None:
        self._providers.pop(str(system), None)
        self._classes.pop(str(system), None)

    def register(self, cls: C) -> C:
        """Class decorator for a connector without a provider of its own; keyed by its `system`."""
        system = str(cls.system)
        existing = self._classes.get(system)
        if existing is not None and existing is not cls:
            raise ConfigurationError(
                f"two connectors for {system}: {existing.__qualname__} and {cls.__qualname__}"
            )
        self._classes[system] = cls
        return cls

    def unregister(self, system: str) -> None:
        self._classes.pop(str(system), None)

    # ---- looking up --------------------------------------------------------------------------
    def providers(self) -> list[ERPProvider]:
        """Every provider: the built-in ones in their order, then the others in registration order.
        A built-in one that cannot be imported (its package removed) is left out."""
        self._load_configured()
        for system in self._builtin:
            self._builtin_provider(system)
        order = {system: index for index, system in enumerate(self._builtin)}
        return sorted(self._providers.values(), key=lambda p: order.get(p.system, len(order)))

    def keys(self) -> list[str]:
        return [provider.system for provider in self.providers()]

    def find(self, system: str) -> ERPProvider | None:
        """The provider of `system`, or None."""
        key = str(system)
        self._load_configured()
        return self._providers.get(key) or self._builtin_provider(key)

    def provider(self, system: str) -> ERPProvider:
        """The provider of `system`, or a ConfigurationError listing the known ones."""
        found = self.find(system)
        if found is None:
            known = ", ".join([*self.keys(), *sorted(set(self._classes) - set(self._providers))]) or "none"
            raise ConfigurationError(f"unknown ERP system {str(system)!r}; expected one of {known}")
        return found

    def get(self, system: str) -> type[ERPConnector]:
        """The connector class for `system`, imported on first use."""
        key = str(system)
        if key in self._classes:
            return self._classes[key]
        cls = self.provider(key).load_connector()
        self._classes[key] = cls
        return cls

    def available(self) -> list[str]:
        """Systems with a connector (a provider, or a connector registered on its own), sorted."""
        return sorted({*self.keys(), *self._classes})

    def _builtin_provider(self, system: str) -> ERPProvider | None:
        if system in self._providers:
            return self._providers[system]
        path = self._builtin.get(system)
        if path is None:
            return None
        module = path.partition(":")[0]
        try:
            provider = load_object(path)
        except ConfigurationError:
            log.debug("built-in ERP provider %s is not installed", module)
            return None
        if not isinstance(provider, ERPProvider) or provider.system != system:
            raise ConfigurationError(f"{path} is not the ERPProvider of {system!r}")
        return self.register_provider(provider)

    def _load_configured(self) -> None:
        if not self._configured or self._configured_loaded:
            return
        from smartap_erp.settings import get_settings

        for path in get_settings().erp_providers_list:
            self.register_provider_path(path)  # a bad path raises on every lookup until fixed
        self._configured_loaded = True


registry = ConnectorRegistry(configured=True)
register_connector = registry.register
register_provider = registry.register_provider


def build_connector(
    system: str,
    credentials: Mapping[str, Any],
    *,
    base_url: str | None = None,
    token_store: TokenStore | None = None,
    clock: Clock = system_clock,
    sleep: Sleep = system_sleep,
    random: Random = system_random,
    transport: httpx.AsyncBaseTransport | None = None,
    limiters: LimiterRegistry | None = None,
    retry: RetryPolicy | None = None,
    timeout: httpx.Timeout | float | None = None,
    verify: ssl.SSLContext | str | bool = True,
    connectors: ConnectorRegistry | None = None,
    settings: Settings | None = None,
) -> ERPConnector:
    """A ready connector for `system`.

    Args:
        system: which ERP: a registered provider's key (`ERPSystem.XERO`, "xero", ...).
        credentials: the connection's credentials (see the provider's `credential_fields`); settings
            the provider declares fill what they lack (e.g. QUICKBOOKS_CLIENT_ID).
        base_url: root URL to use instead of the real production hosts (a simulator, or an SAP
            server); every real path, token endpoints included, is served under it. A setting the
            provider declares as the default API root applies when None.
        token_store: where OAuth 2.0 token pairs are loaded from and saved to (QuickBooks, Xero).
        clock, sleep, random: injected time, sleeping and jitter (tests never wait).
        transport: innermost transport instead of real HTTP (`httpx.MockTransport`, `ASGITransport`).
        limiters: the registry that shares rate limiters between connectors of one ERP key.
        retry: a retry policy instead of the connector's own.
        timeout, verify: httpx timeout; TLS verification (a CA bundle path for self-signed SAP
            servers); a provider's TLS setting (SAP_VERIFY_SSL) turns the default True off.
        connectors: the registry to look the class up in (tests); the module's default otherwise.
        settings: the settings providers read; the process's (`get_settings()`) when None.
    """
    connectors = connectors or registry
    cls = connectors.get(system)
    provider = connectors.find(system)
    if provider is not None:
        if settings is None:
            from smartap_erp.settings import get_settings

            settings = get_settings()
        credentials = provider.with_settings(credentials, settings)
        base_url = base_url or provider.default_base_url(credentials, settings)
        configured = provider.connector_options(settings)
        if verify is True and configured.get("verify") is False:
            log.warning("%s: TLS certificates are not checked (a setting turns verification off)", system)
            verify = False
    options = ConnectorOptions(
        base_url=base_url,
        token_store=token_store,
        transport=transport,
        clock=clock,
        sleep=sleep,
        random=random,
        limiters=limiters if limiters is not None else default_limiters,
        retry=retry,
        timeout=timeout,
        verify=verify,
    )
    return cls.create(credentials, options)
