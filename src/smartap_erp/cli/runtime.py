"""The CLI's way into the application layer: `runtime()` opens an `AppContext` for one command.

`Runtime` and `find_connection` are the application layer's `AppContext` and `resolve_connection`
under the names the CLI modules use. `smartap_erp.app.context` (SQLAlchemy, the models, httpx) is
imported when a command first opens one, not when the CLI starts (issue 17: `--help` stays light).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from smartap_erp.cli.lazy import lazy

if TYPE_CHECKING:
    from smartap_erp.app.context import AppContext as Runtime
    from smartap_erp.app.context import open_app as runtime
    from smartap_erp.app.context import resolve_connection as find_connection
else:
    _context = lazy("smartap_erp.app.context")

    def runtime(*args, **kwargs):
        return _context.open_app(*args, **kwargs)

    def find_connection(*args, **kwargs):
        return _context.resolve_connection(*args, **kwargs)

    def __getattr__(name: str):
        if name == "Runtime":
            return _context.AppContext
        raise AttributeError(name)


__all__ = ["Runtime", "find_connection", "runtime"]
