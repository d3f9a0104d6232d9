"""`smartap-erp about`: what this installation can do, per ERP, and where its data lives.

The ERPs are the registered providers (`app.providers`): the four built-in ones and any an
installation adds through `ERP_PROVIDERS`, each with its name, auth kind and capabilities.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.table import Table

from smartap_erp import __version__
from smartap_erp.cli.lazy import lazy
from smartap_erp.cli.output import JsonOption, console, emit
from smartap_erp.settings import get_settings

if TYPE_CHECKING:
    from smartap_erp.app import providers
else:
    providers = lazy("smartap_erp.app.providers")


CAPABILITIES = (
    "import vendors",
    "import purchase orders",
    "export approved invoices as bills",
    "track bill payment status",
    "read chart of accounts and tax codes",
)


def erp_rows() -> list[dict[str, Any]]:
    """One row per registered ERP provider, in registry order."""
    return [
        {
            "system": info.system,
            "name": info.name,
            "auth": info.auth,
            "connector": info.connector,
            "capabilities": info.capabilities,
        }
        for info in providers.list_providers()
    ]


def about(as_json: JsonOption = False) -> None:
    """Show what the product does, which ERP connectors this installation has, and its settings."""
    settings = get_settings()
    erps = erp_rows()
    summary = {
        "version": __version__,
        "database": settings.database_url.split("@")[-1],
        "scheduled_sync": "on" if settings.erp_sync_enabled else "off",
        "sync_interval_minutes": settings.erp_sync_interval_minutes,
        "capabilities": list(CAPABILITIES),
        "erps": erps,
    }
    if as_json:
        emit(summary, as_json=True)
        return
    console.print(
        f"[bold]SmartAP ERP Connectors[/bold] {__version__}: connects SmartAP's approved "
        "invoices to your books, both ways."
    )
    console.print("It can: " + "; ".join(CAPABILITIES) + ".")
    table = Table(title="ERP connectors")
    for column in ("system", "name", "auth", "connector", "capabilities"):
        table.add_column(column)
    for erp in erps:
        able = ", ".join(name.replace("_", " ") for name, on in erp["capabilities"].items() if on) or "-"
        table.add_row(erp["system"], erp["name"], erp["auth"], erp["connector"], able)
    console.print(table)
    console.print(f"Database: {summary['database']}  (migrated; see `smartap-erp db current`)")
    console.print("Commands: `smartap-erp --help`. Docs: README.md and docs/.")
