"""The connector registry and `build_connector`, the one factory that turns (ERP, credentials) into a
ready connector talking to the real ERP, or to a simulator when `base_url` points at one.

Connector classes register with `@register_connector` (keyed by their `system`). The four built-in
ERPs are imported lazily on first request (`smartap_erp.connectors.quickbooks`, `.xero`, `.sap`,
`.netsuite`), so a missing or broken connector never stops the others from loading. An unknown or
unsupported ERP is a `ConfigurationError` that lists the ones available.
"""

from __future__ import annotations

import importlib
import ssl
from collections.abc import Mapping
from typing import Any, TypeVar

import httpx

from smartap_erp.connectors.base import ConnectorOptions, ERPConnector
from smartap_erp.domain.enums import ERPSystem
from smartap_erp.errors import ConfigurationError
from smartap_erp.http.clock import Clock, Random, Sleep, system_clock, system_random, system_sleep
from smartap_erp.http.ratelimit import LimiterRegistry, default_limiters
from smartap_erp.http.retry import RetryPolicy
from smartap_erp.http.tokens import TokenStore

C = TypeVar("C", bound=type[ERPConnector])

BUILTIN_MODULES: dict[ERPSystem, str] = {
    ERPSystem.QUICKBOOKS: "smartap_erp.connectors.quickbooks",
    ERPSystem.XERO: "smartap_erp.connectors.xero",
    ERPSystem.SAP: "smartap_erp.connectors.sap",
    ERPSystem.NETSUITE: "smartap_erp.connectors.netsuite",
}


class ConnectorRegistry:
    """ERP system -> connector class."""

    def __init__(self, builtin_modules: Mapping[ERPSystem, str] | None = None) -> None:
        self._classes: dict[ERPSystem, type[ERPConnector]] = {}
        self._builtin = dict(BUILTIN_MODULES if builtin_modules is None else builtin_modules)

    def register(self, cls: C) -> C:
        """Class decorator; the key is the class's `system` (`ERPSystem.XERO` ...)."""
        system = ERPSystem(cls.system)
        existing = self._classes.get(system)
        if existing is not None and existing is not cls:
            raise ConfigurationError(
                f"two connectors for {system.value}: {existing.__qualname__} and {cls.__qualname__}"
            )
        self._classes[system] = cls
        return cls

    def unregister(self, system: ERPSystem) -> None:
        self._classes.pop(system, None)

    def get(self, system: ERPSystem | str) -> type[ERPConnector]:
        """The connector class for `system`, importing a built-in one on first use."""
        erp = _system(system)
        if erp not in self._classes and erp in self._builtin:
            self._import_builtin(erp)
        if erp not in self._classes:
            raise ConfigurationError(
                f"no connector for ERP {erp.value!r}; available: {', '.join(self.available()) or 'none'}"
            )
        return self._classes[erp]

    def available(self) -> list[str]:
        """Systems with a connector (registered, or built-in and importable)."""
        for erp in self._builtin:
            if erp not in self._classes:
                self._import_builtin(erp)
        return sorted(erp.value for erp in self._classes)

    def _import_builtin(self, erp: ERPSystem) -> None:
        module = self._builtin[erp]
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name is None or not module.startswith(exc.name):
                raise  # the connector exists but one of its own imports is broken: a bug to surface


registry = ConnectorRegistry()
register_connector = registry.register


def _system(value: ERPSystem | str) -> ERPSystem:
    try:
        return ERPSystem(value)
    except ValueError:
        known = ", ".join(erp.value for erp in ERPSystem)
        raise ConfigurationError(f"unknown ERP system {value!r}; expected one of {known}") from None


def build_connector(
    system: ERPSystem | str,
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
) -> ERPConnector:
    """A ready connector for `system`.

    Args:
        system: which ERP (`ERPSystem` or its value, e.g. "xero").
        credentials: the connection's credentials (see each connector's `required_credentials`).
        base_url: root URL to use instead of the real production hosts (a simulator, or an SAP
            server); every real path, token endpoints included, is served under it.
        token_store: where OAuth 2.0 token pairs are loaded from and saved to (QuickBooks, Xero).
        clock, sleep, random: injected time, sleeping and jitter (tests never wait).
        transport: innermost transport instead of real HTTP (`httpx.MockTransport`, `ASGITransport`).
        limiters: the registry that shares rate limiters between connectors of one ERP key.
        retry: a retry policy instead of the connector's own.
        timeout, verify: httpx timeout; TLS verification (a CA bundle path for self-signed SAP servers).
        connectors: the registry to look the class up in (tests); the module's default otherwise.
    """
    cls = (connectors or registry).get(system)
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
