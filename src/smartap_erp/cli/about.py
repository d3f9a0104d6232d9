"""`smartap-erp about`: what this installation can do, per ERP, and where its data lives."""

from __future__ import annotations

from rich.table import Table

from smartap_erp import __version__
from smartap_erp.cli.output import JsonOption, console, emit
from smartap_erp.settings import get_settings

CAPABILITIES = (
    "import vendors",
    "import purchase orders",
    "export approved invoices as bills",
    "track bill payment status",
    "read chart of accounts and tax codes",
)
ERPS = {
    "quickbooks": "QuickBooks Online",
    "xero": "Xero",
    "sap": "SAP Business One",
    "netsuite": "NetSuite",
}


def available_connectors() -> set[str]:
    """The ERPs whose connector is registered (imported on demand by the registry)."""
    from smartap_erp.connectors.registry import registry

    return set(registry.available())


def about(as_json: JsonOption = False) -> None:
    """Show what the product does, which ERP connectors this installation has, and its settings."""
    settings = get_settings()
    available = available_connectors()
    erps = [
        {"system": key, "name": name, "connector": "available" if key in available else "not available"}
        for key, name in ERPS.items()
    ]
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
    for column in ("system", "name", "connector"):
        table.add_column(column)
    for erp in erps:
        table.add_row(erp["system"], erp["name"], erp["connector"])
    console.print(table)
    console.print(f"Database: {summary['database']}  (migrated; see `smartap-erp db current`)")
    console.print("Commands: `smartap-erp --help`. Docs: README.md and docs/.")
