"""`ConnectorCredentials`: credentials as a read-only mapping that never shows a value (vault and connectors).

Its repr and str list key names only; values under secret-looking names (password, client_secret,
token_secret, access_token ...) are registered with the redactor the moment the object is built, so
they are masked wherever they might surface later. `require()` names missing keys in a
`ConfigurationError` without echoing any value.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from smartap_erp.errors import ConfigurationError
from smartap_erp.http.redact import is_secret_name, register_secret


class ConnectorCredentials(Mapping[str, Any]):
    """Credentials of one connection. Behaves as a read-only dict; repr shows key names only."""

    __slots__ = ("_values",)

    def __init__(self, values: Mapping[str, Any]) -> None:
        self._values = dict(values)
        for name, value in self._values.items():
            if isinstance(value, str) and is_secret_name(name):
                register_secret(value)

    @classmethod
    def of(cls, values: Mapping[str, Any]) -> ConnectorCredentials:
        return values if isinstance(values, ConnectorCredentials) else cls(values)

    def __getitem__(self, key: str) -> Any:
        return self._values[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        return f"ConnectorCredentials(keys={sorted(self._values)!r})"

    __str__ = __repr__

    def to_dict(self) -> dict[str, Any]:
        """A plain copy, for code that must hand the values on (never log it)."""
        return dict(self._values)

    def require(self, *names: str, system: str = "this connection") -> list[str]:
        """The values of `names` as strings, or a ConfigurationError naming every missing one."""
        missing = [name for name in names if not isinstance(self._values.get(name), str | int)]
        missing += [name for name in names if self._values.get(name) == "" and name not in missing]
        if missing:
            raise ConfigurationError(
                f"{system} credentials are missing {', '.join(sorted(missing))} "
                f"(present: {', '.join(sorted(self._values)) or 'none'})"
            )
        return [str(self._values[name]) for name in names]

    def text(self, name: str, default: str | None = None) -> str | None:
        """An optional value as a string."""
        value = self._values.get(name)
        return default if value is None or value == "" else str(value)
