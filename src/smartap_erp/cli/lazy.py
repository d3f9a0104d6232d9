"""A module the CLI imports on first use, so `smartap-erp --help` does not pay for the whole application.

Each sub-command module names its application-layer modules with `lazy("smartap_erp.app.x")` at run time
and imports them for real under `TYPE_CHECKING`, so mypy still checks every call. The first attribute
read imports the module (Python caches it in `sys.modules`); start-up only pays for Typer, Rich and the
enums Typer needs as option types (issue 17: the test suite starts the CLI in hundreds of subprocesses).
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any


class LazyModule:
    """Stands in for a module until an attribute is first read; then it is that module's attribute."""

    def __init__(self, name: str) -> None:
        self._name = name

    def _module(self) -> ModuleType:
        return importlib.import_module(self._name)

    def __getattr__(self, attr: str) -> Any:
        return getattr(self._module(), attr)


def lazy(name: str) -> Any:
    """`name`, imported on first attribute access (`Any`: callers import it for real under TYPE_CHECKING)."""
    return LazyModule(name)
