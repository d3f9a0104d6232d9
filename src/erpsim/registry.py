"""The registry of simulated systems: name -> package exposing `create_app` and `credentials`.

Each built-in simulator lives in `erpsim.<system>` and exposes `create_app(config: SimConfig) -> ASGI
app` and `credentials(config: SimConfig) -> dict[str, str]`. `load_system` imports it on demand; a
system whose package does not exist yet raises `SystemNotAvailable` with a clear message.
`load_module` does the same for any module path, e.g. the simulator an ERP provider names
(`SimulatorRef.module`), which may live outside `erpsim` (a fifth ERP's tests).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from erpsim.core.simulator import SimConfig

_FIRST = ("quickbooks", "xero", "sap", "netsuite")


def _systems() -> tuple[str, ...]:
    """Every simulator package beside `erpsim.core` (found by file: a new one needs no list edit)."""
    found = sorted(
        p.parent.name for p in Path(__file__).parent.glob("*/__init__.py") if p.parent.name != "core"
    )
    return tuple([name for name in _FIRST if name in found] + [name for name in found if name not in _FIRST])


SYSTEMS = _systems()


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
    return load_module(f"erpsim.{name}", name=name)


def load_module(path: str, *, name: str | None = None) -> SystemModule:
    """The simulator in module `path` (a package or module with `create_app` and `credentials`)."""
    name = name or path.rpartition(".")[2]
    try:
        module = importlib.import_module(path)
    except ModuleNotFoundError as exc:
        if exc.name is None or not path.startswith(exc.name):
            raise
        raise SystemNotAvailable(f"the {name} simulator is not available yet ({path})") from None
    create_app = getattr(module, "create_app", None)
    credentials = getattr(module, "credentials", None)
    if create_app is None or credentials is None:
        raise SystemNotAvailable(f"the {name} simulator is not available yet (no create_app/credentials)")
    return SystemModule(name, create_app, credentials)
