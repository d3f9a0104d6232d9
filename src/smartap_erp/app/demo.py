"""The demo in the application layer: the whole cycle against running simulators (connect, import
vendors and purchase orders, approve sample invoices, export them, pay some in the ERP, sync payment
status) with a callback per step, the figures of what happened per ERP, and switching the demo
connections' schedules off when the demo stops. The story itself is `smartap_erp.demo.scenario`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence

from smartap_erp.app.context import AppContext
from smartap_erp.demo import scenario
from smartap_erp.demo.simulators import RunningSimulator

STEPS = (
    "connect",
    "import vendors",
    "import purchase orders",
    "load and approve invoices",
    "export bills",
    "pay bills in the ERP",
    "sync payment status",
)

OnStep = Callable[[str, str], None]  # the ERP (its key), and what was just done


async def run_cycle(
    ctx: AppContext, sims: Sequence[RunningSimulator], *, worker_id: str, on_step: OnStep
) -> list[scenario.ErpSummary]:
    """The whole cycle on each simulator in turn; `on_step` is called after each of `STEPS`. The
    figures per ERP are a dataclass pydantic (and an API) serves as it is."""
    from smartap_erp.jobs import lease
    from smartap_erp.sync.logs import this_process
    from smartap_erp.sync.service import ERPSyncService

    sync = ctx.sync_context()
    service = ERPSyncService(sync)
    summaries = []
    for sim in sims:

        def step(done: str, system: str = sim.system) -> None:
            on_step(system, done)

        connection = await scenario.connect(sync, sim, worker_id)
        step("connected")
        # One run per connection, as for jobs: no worker's job may run on it meanwhile (jobs.lease).
        async with lease.holding(sync.session_factory, connection.id, this_process()):
            await service.import_vendors(connection.id, triggered_by="demo")
            step("vendors imported")
            await service.import_purchase_orders(connection.id, triggered_by="demo")
            step("purchase orders imported")
            account = await scenario.expense_account(sync, connection)
            today = dt.datetime.now(dt.UTC).date()
            invoice_ids = await scenario.sample_invoices(sync, connection, account, today)
            step(f"{len(invoice_ids)} invoices approved")
            await service.export_invoices(connection.id, invoice_ids, triggered_by="demo")
            step("bills exported")
            await scenario.pay_some(sync, connection, sim)
            step("bills paid in the ERP")
            await service.sync_payment_statuses(connection.id, triggered_by="demo")
            step("payment status synced")
        summaries.append(await scenario.summarise(sync, connection, sim))
    return summaries


async def stop_schedules(ctx: AppContext) -> int:
    """Switch the demo connections' schedules off (their simulators stop with the demo); how many."""
    return await scenario.stop_schedules(ctx.sync_context())
