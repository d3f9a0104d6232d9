"""Benchmark (not a test): what one read costs the QuickBooks and Xero simulators at N vendors (issue 17).

The simulator app is driven in process through `httpx.ASGITransport` (auth, middleware, query, JSON:
everything `erpsim serve` does per request except the socket), no latency, limits off, and each
request's CPU seconds (`time.process_time`) are averaged. QuickBooks: the import's statements
(`SELECT COUNT(*) FROM Vendor WHERE Active IN (true, false)`, then pages of 1,000 `ORDERBY Id` at
STARTPOSITIONs spread over the table), an incremental read (`... AND MetaData.LastUpdatedTime >= t`, 1%
of the vendors changed since t), and a page right after a vendor was edited (the first read after a
write). Xero: Contacts pages of 1,000 (`page=N&pageSize=1000`), with If-Modified-Since, and with `where`.

    .venv/bin/python -m bench.sim_query --vendors 50000 [--system quickbooks xero] [--pages 10]
"""

# ruff: noqa: S608  (QBO query statements sent to the simulator, not SQL)
from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import httpx

from erpsim.core import SimConfig

PAGE = 1000


async def _cpu(request: Callable[[], Awaitable[httpx.Response]], times: int = 1) -> float:
    """Mean CPU seconds of `times` requests (each must answer 200)."""
    spent = 0.0
    for _ in range(times):
        started = time.process_time()
        response = await request()
        spent += time.process_time() - started
        assert response.status_code == 200, response.text[:500]
    return spent / times


def _starts(vendors: int, pages: int) -> list[int]:
    last = max(1, (vendors - 1) // PAGE)
    return [1 + PAGE * (i * last // max(1, pages - 1)) for i in range(pages)]


async def quickbooks(vendors: int, pages: int) -> list[tuple[str, float]]:
    from erpsim.quickbooks import create_app

    app = create_app(SimConfig(vendors=vendors, purchase_orders=0, bills=0, limits="off"))
    sim = app.state.sim
    creds = sim.credentials()
    headers = {"Authorization": f"Bearer {creds['access_token']}", "Accept": "application/json"}
    base = f"/v3/company/{creds['realm_id']}/query"
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://qbo", headers=headers
    ) as client:

        def ask(statement: str) -> Callable[[], Awaitable[httpx.Response]]:
            return lambda: client.get(base, params={"query": statement, "minorversion": "75"})

        where = "WHERE Active IN (true, false)"
        stamps = sorted(sim.store.updated["Vendor"].values())
        since = datetime.fromtimestamp(stamps[len(stamps) * 99 // 100], UTC).isoformat()
        changed = f"{where} AND MetaData.LastUpdatedTime >= '{since}'"
        page = "SELECT * FROM Vendor {} ORDERBY Id STARTPOSITION {} MAXRESULTS 1000"
        rows = [("COUNT(*), first", await _cpu(ask(f"SELECT COUNT(*) FROM Vendor {where}")))]
        rows.append(("COUNT(*), again", await _cpu(ask(f"SELECT COUNT(*) FROM Vendor {where}"), 3)))
        per_page = [await _cpu(ask(page.format(where, s))) for s in _starts(vendors, pages)]
        rows.append(("first page of 1,000 (ORDERBY Id sorted)", per_page[0]))
        rows.append(("page of 1,000 (mean of the others)", sum(per_page[1:]) / max(1, len(per_page) - 1)))
        rows.append(
            ("incremental COUNT(*), 1% changed", await _cpu(ask(f"SELECT COUNT(*) FROM Vendor {changed}")))
        )
        rows.append(("incremental page, 1% changed", await _cpu(ask(page.format(changed, 1)))))
        ops = sim.mutate_ops()
        after = 0.0
        for start in _starts(vendors, 3):
            ops["edit_vendors"]({"count": 1})
            after += await _cpu(ask(page.format(where, start)))
        rows.append(("page right after a vendor edit (mean)", after / 3))
    return rows


async def xero(vendors: int, pages: int) -> list[tuple[str, float]]:
    from erpsim.xero import create_app, credentials

    config = SimConfig(vendors=vendors, purchase_orders=0, bills=0, limits="off")
    app = create_app(config)
    creds = credentials(config)
    headers = {
        "Authorization": f"Bearer {creds['access_token']}",
        "xero-tenant-id": creds["tenant_id"],
        "Accept": "application/json",
    }
    org = app.state.sim.orgs[creds["tenant_id"].lower()]
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://sim", headers=headers
    ) as client:

        def ask(page: int, **extra: str) -> Callable[[], Awaitable[httpx.Response]]:
            headers = {"If-Modified-Since": extra.pop("since")} if "since" in extra else {}
            params = {"page": str(page), "pageSize": "1000", **extra}
            return lambda: client.get("/api.xro/2.0/Contacts", params=params, headers=headers)

        starts = [1 + (s - 1) // PAGE for s in _starts(vendors, pages)]
        per_page = [await _cpu(ask(p)) for p in starts]
        rows = [("Contacts page of 1,000 (mean)", sum(per_page) / len(per_page))]
        stamps = sorted(c["UpdatedDateUTC"] for c in org.contacts.values())
        since = stamps[len(stamps) * 99 // 100].strftime("%Y-%m-%dT%H:%M:%S")
        rows.append(("Contacts If-Modified-Since, 1% changed", await _cpu(ask(1, since=since))))
        rows.append(("Contacts where Name.StartsWith", await _cpu(ask(1, where='Name.StartsWith("A")'))))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--vendors", type=int, default=50_000)
    parser.add_argument("--system", nargs="+", default=["quickbooks", "xero"])
    parser.add_argument("--pages", type=int, default=10)
    args = parser.parse_args()
    print("system | vendors | read | cpu_s per request")
    for system in args.system:
        started = time.perf_counter()
        rows = asyncio.run({"quickbooks": quickbooks, "xero": xero}[system](args.vendors, args.pages))
        for name, seconds in rows:
            print(f"{system} | {args.vendors} | {name} | {seconds:.4f}", flush=True)
        wall = time.perf_counter() - started
        print(f"{system} | {args.vendors} | (whole run, seeding included, wall s) | {wall:.1f}")


if __name__ == "__main__":
    main()
