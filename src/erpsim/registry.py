"""The registry of simulated systems: name -> package exposing `create_app` and `credentials`.

Each simulator lives in `erpsim.<system>` and exposes `create_app(config: SimConfig) -> ASGI app`
and `credentials(config: SimConfig) -> dict[str, str]`. `load_system` imports it on demand; a
system whose package does not exist yet raises `SystemNotAvailable` with a clear message.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from erpsim.core.simulator import SimConfig

SYSTEMS = ("quickbooks", "xero", "sap", "netsuite")


class SystemNotAvailable(LookupError):
    """Unknown system, or one whose simulator is not built yet."""


@dataclass(frozen=True)
class SystemModule:
    name: str
    create_app: Callable[[SimConfig], Any]
    credentials: Callable[[SimConfig], dict[str, str]]


def load_system(name: str) -> SystemModule:
    if name not in SYSTEMS:
        raise SystemNotAvailable(f"unknown system {name!r}; choose one of: {', '.join(SYSTEMS)}")
    try:
        module = importlib.import_module(f"erpsim.{name}")
    except ModuleNotFoundError as exc:
        if exc.name != f"erpsim.{name}":
            raise
        raise SystemNotAvailable(f"the {name} simulator is not available yet") from None
    create_app = getattr(module, "create_app", None)
    credentials = getattr(module, "credentials", None)
    if create_app is None or credentials is None:
        raise SystemNotAvailable(f"the {name} simulator is not available yet (no create_app/credentials)")
    return SystemModule(name, create_app, credentials)
