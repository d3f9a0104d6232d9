"""Benchmark (not a test): the worker's CPU per record of reading a QuickBooks vendor page (issue 17, goal 1).

Pages of 1,000 vendors are rendered by the QuickBooks simulator in process (`SELECT * FROM Vendor WHERE
Active IN (true, false) ORDERBY Id STARTPOSITION s MAXRESULTS 1000`, the import's own statement, through
`httpx.ASGITransport`), then each stage of the read path is timed on those bytes with `time.process_time`
and printed as CPU microseconds per record: `decode` (`json_body`: the bytes to JSON, decimals as
`Decimal`), `guard` (the paging loop's repeated-page check, each page against a different one before it,
as in an import), `parse` (`ERPConnector.to_page` with `vendor_from_qbo`: each record to an `ERPVendor`)
and their sum. A pass reads every page in turn, each once, as an import does (fresh objects for each
page; a best-of over the same page reused warm memory and showed a third of the decode cost); the
figures are the median of `--rounds` passes.

    .venv/bin/python -m bench.parse_pages [--vendors 10000] [--rounds 7]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import statistics
import time
from collections import deque

import httpx

from erpsim.core import SimConfig
from smartap_erp.connectors.base import ERPConnector
from smartap_erp.connectors.quickbooks.payloads import vendor_from_qbo
from smartap_erp.domain.enums import ERPSystem
from smartap_erp.http.call import Call, json_body
from smartap_erp.http.paginate import _Guard

PAGE = 1000
ERP = ERPSystem.QUICKBOOKS
STAGES = ("decode", "guard", "parse")
STATEMENT = "SELECT * FROM Vendor WHERE Active IN (true, false) ORDERBY Id STARTPOSITION {} MAXRESULTS 1000"


async def render_pages(vendors: int) -> list[httpx.Response]:
    """Every page of `vendors` vendors as the simulator answers it (status, headers, bytes, request)."""
    from erpsim.quickbooks import create_app

    app = create_app(SimConfig(vendors=vendors, purchase_orders=0, bills=0, limits="off"))
    creds = app.state.sim.credentials()
    headers = {"Authorization": f"Bearer {creds['access_token']}", "Accept": "application/json"}
    base = f"/v3/company/{creds['realm_id']}/query"
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://qbo", headers=headers
    ) as client:
        pages = []
        for start in range(1, vendors + 1, PAGE):
            response = await client.get(base, params={"query": STATEMENT.format(start), "minorversion": "75"})
            assert response.status_code == 200, response.text[:500]
            pages.append(response)
    return pages


def one_pass(pages: list[httpx.Response]) -> dict[str, float]:
    """CPU seconds of each stage over every page, read in turn as the paging loop reads them. A page is
    freed two pages later, between the timings, so no stage is charged for freeing another page's
    objects and memory is reused as in an import."""
    spent = dict.fromkeys(STAGES, 0.0)
    guard = _Guard(ERP)
    call = Call.get("query")
    kept: deque[tuple[object, object]] = deque(maxlen=2)
    for number, response in enumerate(pages, 1):
        started = time.process_time()
        body = json_body(response, ERP, shape=(dict, list))
        decoded = time.process_time()
        rows = body["QueryResponse"]["Vendor"]
        guard.new_rows(rows, number, call, "http://qbo/query")
        guarded = time.process_time()
        page = ERPConnector.to_page(None, rows, vendor_from_qbo, "Id")  # type: ignore[arg-type]
        parsed = time.process_time()
        assert len(page) == len(rows), page.errors[:1]
        kept.append((body, page))
        spent["decode"] += decoded - started
        spent["guard"] += guarded - decoded
        spent["parse"] += parsed - guarded
    return spent


def measure(pages: list[httpx.Response], rounds: int) -> dict[str, float]:
    """CPU microseconds per record of each stage: the median of `rounds` passes."""
    records = sum(len(json_body(page, ERP)["QueryResponse"]["Vendor"]) for page in pages)
    passes = [one_pass(pages) for _ in range(rounds)]
    figures = {stage: statistics.median(p[stage] for p in passes) * 1e6 / records for stage in STAGES}
    figures["total"] = sum(figures.values())
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--vendors", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    pages = asyncio.run(render_pages(args.vendors))
    gc.collect()  # the simulator is gone; what is left (modules, the pages' bytes) is frozen, as the
    gc.freeze()  # worker freezes its start-up objects (jobs/worker.py), so collections scan pages only
    size = sum(len(page.content) for page in pages) / len(pages)
    figures = measure(pages, args.rounds)
    print(f"pages of {PAGE} vendors: {len(pages)}, {size / 1024:.0f} KiB each (mean)")
    print("stage | cpu_us per record")
    for name, value in figures.items():
        print(f"{name} | {value:.2f}")


if __name__ == "__main__":
    main()
