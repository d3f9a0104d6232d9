"""Due jobs: one workflow id per connection and interval, whatever the number of ticks; the tick's cron."""

from __future__ import annotations

import datetime as dt

from smartap_erp.jobs.requests import request_key
from smartap_erp.jobs.schedules import due_jobs, tick_cron

T0 = dt.datetime(2024, 6, 3, 12, 0, tzinfo=dt.UTC)


def test_every_tick_of_one_interval_names_the_same_workflows() -> None:
    connections = [("c1", 15), ("c2", 60)]
    ids_per_tick = [
        {j.workflow_id for j in due_jobs(connections, T0 + dt.timedelta(minutes=m), payment_minutes=30)}
        for m in range(60)
    ]
    c1_sync = {wid for ids in ids_per_tick for wid in ids if wid.startswith("sched-sync-c1-")}
    c2_sync = {wid for ids in ids_per_tick for wid in ids if wid.startswith("sched-sync-c2-")}
    payments = {wid for ids in ids_per_tick for wid in ids if wid.startswith("sched-payments-c1-")}
    assert (len(c1_sync), len(c2_sync), len(payments)) == (4, 1, 2)


def test_shortened_minutes_scale_the_intervals() -> None:
    ticks = [T0 + dt.timedelta(seconds=s) for s in range(10)]
    ids = {
        j.workflow_id for t in ticks for j in due_jobs([("c", 2)], t, payment_minutes=30, minute_seconds=1)
    }
    assert len([i for i in ids if i.startswith("sched-sync-")]) == 5


def test_tick_cron() -> None:
    assert tick_cron(60) == "0 * * * * *"
    assert tick_cron(1) == "* * * * * *"
    assert tick_cron(5) == "*/5 * * * * *"


def test_request_keys_identify_identical_requests() -> None:
    assert request_key("sync", entities=["vendor", "purchase_order"]) == request_key(
        "sync", entities=["purchase_order", "vendor"]
    )
    assert request_key("sync", entities=["vendor"], limit=5) != request_key("sync", entities=["vendor"])
    assert request_key("export", invoice_ids=["b", "a"]) == request_key("export", invoice_ids=["a", "b"])
    assert len(request_key("export", invoice_ids=[str(i) for i in range(1000)])) < 255
