"""`smartap-erp reconcile ...`: reconciliation reports (`smartap_erp.app.reconciliation`; docs/sync.md
§Reconciliation). `run CONNECTION` queues a report for the workers and follows it (`--no-wait` to only
queue; `--inline` runs it in this process with a progress spinner, no worker needed), then shows it;
`show REPORT` prints one report: per object SmartAP's and the ERP's count and totals side by side, then
the differences; `list [CONNECTION]` lists reports, newest first. `--json` everywhere for scripts.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from smartap_erp.cli.events import _run  # one command, one AppContext
from smartap_erp.cli.lazy import lazy
from smartap_erp.cli.output import JsonOption, console, emit, error_console, fail
from smartap_erp.cli.sync import _queued

if TYPE_CHECKING:
    from smartap_erp.app import reconciliation, syncs
    from smartap_erp.app.context import AppContext
else:
    reconciliation = lazy("smartap_erp.app.reconciliation")
    syncs = lazy("smartap_erp.app.syncs")

app = typer.Typer(help="Reconciliation reports: SmartAP against the ERP, per object.", no_args_is_help=True)


def _totals(side: Any) -> str:
    totals = (side or {}).get("totals") or {}
    return ", ".join(f"{amount} {currency}" for currency, amount in totals.items()) or "-"


def _show(report: reconciliation.ReconciliationReport, *, as_json: bool) -> None:
    if as_json:
        emit(report.model_dump(mode="json"), as_json=True)
        return
    head = f"Reconciliation {report.id} of {report.connection_name}: {report.status}"
    table = Table(title=head)
    for name in ("object", "SmartAP count", "ERP count", "SmartAP totals", "ERP totals", "differences"):
        table.add_column(name, overflow="fold")
    for name, figures in report.objects.items():
        data: Any = figures
        if not data.get("read"):
            table.add_row(name.replace("_", " "), "-", "-", "not read for this ERP", "-", "-")
            continue
        erp_count = str(data["erp"]["count"]) + (
            f" ({data['erp_only']} ERP only)" if data.get("erp_only") else ""
        )
        table.add_row(
            name.replace("_", " "),
            str(data["smartap"]["count"]),
            erp_count,
            _totals(data["smartap"]),
            _totals(data["erp"]),
            str(data["differences"]),
        )
    console.print(table)
    console.print(
        f"{report.difference_count} difference(s); {report.request_count} of {report.request_budget} "
        "ERP requests used" + (f"; error: {report.error}" if report.error else ""),
        highlight=False,
    )
    if report.differences:
        rows = [
            {
                "object": d["object"],
                "kind": str(d["kind"]).replace("_", " "),
                "ERP id": d["erp_id"],
                "label": d["label"],
                "SmartAP": _side(d["smartap"]),
                "ERP": _side(d["erp"]),
            }
            for d in report.differences
        ]
        emit(rows, as_json=False, title="Differences")


def _side(value: Any) -> str:
    if not value:
        return "missing"
    amount = f" {value['amount']} {value['currency']}" if value.get("amount") is not None else ""
    return f"{value['status']}{amount}"


@app.command()
def run(
    connection: Annotated[str, typer.Argument(help="Connection name or id.")],
    inline: Annotated[
        bool,
        typer.Option("--inline", help="Run the report in this process instead of queuing it for a worker."),
    ] = False,
    wait: Annotated[
        bool, typer.Option("--wait/--no-wait", help="Follow the queued job until it ends.")
    ] = True,
    as_json: JsonOption = False,
) -> None:
    """Compare SmartAP with the ERP for one connection and show the report."""
    if inline:

        async def here(rt: AppContext) -> reconciliation.ReconciliationReport:
            with error_console.status(f"reconciling {connection} (reading the ERP)..."):
                return await reconciliation.run_inline(rt, connection, triggered_by="cli")

        _show(_run(here), as_json=as_json)
        return

    async def request(rt: AppContext, queue: syncs.JobQueue) -> syncs.JobRequested:
        return await reconciliation.request_report(
            rt, queue, connection, triggered_by="cli", require_worker=wait
        )

    requested, view = asyncio.run(_queued(request, wait=wait))
    if view is None:
        emit(
            {"workflow_id": requested.job_id, "joined": requested.joined, "status": "ENQUEUED"},
            as_json=as_json,
        )
        return
    result: Any = view.result or {}
    if view.error or not isinstance(result, dict) or not result.get("report_id"):
        raise fail(f"{requested.title} failed: {view.error or 'no report'}")
    report_id = str(result["report_id"])
    _show(_run(lambda rt: reconciliation.get_report(rt, report_id)), as_json=as_json)


@app.command()
def show(
    report: Annotated[str, typer.Argument(help="Report id (see `reconcile list`).")],
    as_json: JsonOption = False,
) -> None:
    """One report: counts and totals on each side, then the differences."""
    _show(_run(lambda rt: reconciliation.get_report(rt, report)), as_json=as_json)


@app.command("list")
def list_(
    connection: Annotated[str | None, typer.Argument(help="Only this connection's reports.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=500, help="How many, newest first.")] = 50,
    as_json: JsonOption = False,
) -> None:
    """Reconciliation reports, newest first."""
    found = _run(lambda rt: reconciliation.list_reports(rt, connection, limit=limit))
    rows = [
        {
            "id": str(r.id),
            "connection": r.connection_name,
            "status": r.status,
            "started_at": r.started_at.isoformat(timespec="seconds"),
            "differences": r.difference_count,
            "requests": f"{r.request_count}/{r.request_budget}",
            "triggered_by": r.triggered_by,
        }
        for r in found
    ]
    emit(rows, as_json=as_json, title="Reconciliation reports")
