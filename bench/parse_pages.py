"""Benchmark (not a test): the worker's CPU per record of reading a QuickBooks vendor page (issue 17, goal 1).

Pages of 1,000 vendors are rendered by the QuickBooks simulator in process (`SELECT * FROM Vendor WHERE
Active IN (true, false) ORDERBY Id STARTPOSITION s MAXRESULTS 1000`, the import's own statement, through
`httpx.ASGITransport`), then each stage of the read path is timed on those bytes with `time.process_time`
and printed as CPU microseconds per record: `decode` (`json_body`: the bytes to JSON, decimals as
`Decimal`), `guard` (the paging loop's repeated-page check, each page against a different one before it,
as in an import), `parse` (`ERPConnector.to_page` with `vendor_from_qbo`: each record to an `ERPVendor`)
and their sum. Best of `--rounds` rounds, each over every page.

    .venv/bin/python -m bench.parse_pages [--vendors 5000] [--rounds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Callable
from typing import Any

import httpx

from erpsim.core import SimConfig
from smartap_erp.connectors.base import ERPConnector
from smartap_erp.connectors.quickbooks.payloads import vendor_from_qbo
from smartap_erp.domain.enums import ERPSystem
from smartap_erp.http.call import Call, json_body
from smartap_erp.http.paginate import _Guard

PAGE = 1000
ERP = ERPSystem.QUICKBOOKS
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


def _best(stage: Callable[[], Any], rounds: int) -> float:
    """The least CPU seconds of `rounds` runs of `stage`."""
    best = float("inf")
    for _ in range(rounds):
        started = time.process_time()
        stage()
        best = min(best, time.process_time() - started)
    return best


def measure(pages: list[httpx.Response], rounds: int) -> dict[str, float]:
    """CPU microseconds per record of each stage, over every page."""
    bodies = [json_body(page, ERP, shape=(dict, list)) for page in pages]
    rows = [body["QueryResponse"]["Vendor"] for body in bodies]
    records = sum(len(r) for r in rows)
    call = Call.get("query")

    def decode() -> None:
        for page in pages:
            json_body(page, ERP, shape=(dict, list))

    def guard() -> None:
        checker = _Guard(ERP)
        for number, page_rows in enumerate(rows, 1):
            checker.new_rows(page_rows, number, call, "http://qbo/query")

    def parse() -> None:
        for page_rows in rows:
            page = ERPConnector.to_page(None, page_rows, vendor_from_qbo, "Id")  # type: ignore[arg-type]
            assert not page.errors, page.errors[:1]

    figures = {stage.__name__: _best(stage, rounds) * 1e6 / records for stage in (decode, guard, parse)}
    figures["total"] = sum(figures.values())
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--vendors", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    pages = asyncio.run(render_pages(args.vendors))
    size = sum(len(page.content) for page in pages) / len(pages)
    figures = measure(pages, args.rounds)
    print(f"pages of {PAGE} vendors: {len(pages)}, {size / 1024:.0f} KiB each (mean)")
    print("stage | cpu_us per record")
    for name, value in figures.items():
        print(f"{name} | {value:.2f}")


if __name__ == "__main__":
    main()
