"""The CLI's way into the application layer: `runtime()` opens an `AppContext` for one command.

`Runtime` and `find_connection` are the application layer's `AppContext` and `resolve_connection`
under the names the CLI modules use.
"""

from __future__ import annotations

from smartap_erp.app.context import AppContext as Runtime
from smartap_erp.app.context import open_app as runtime
from smartap_erp.app.context import resolve_connection as find_connection

__all__ = ["Runtime", "find_connection", "runtime"]
