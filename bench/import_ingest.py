"""Benchmark (not a test): the local side of an import, no ERP and no latency (issue 17, goal 2). The real
`ImportRun` reads pages of 1,000 already-parsed records from an in-memory connector; the figure is
records / seconds spent from the first page received to the last page's transaction committed
(`ImportRun._write_pages`: field mappings, classification, matching, conflicts, writes, commits; on
PostgreSQL the next page is planned while two are written, `sync/imports/pipeline.py`; the third round's
figures summed each page's own span, the same thing when pages are written one after the other).
`cpu_us` is this process's CPU time (every thread: SQLite works in aiosqlite's) per record over the same
spans, steadier than wall time on a shared machine; PostgreSQL's own work is not in it. Before each
scenario the process's objects, the records built for it included, are frozen out of the cyclic
collector's sight (`gc.freeze()`), as the worker freezes its start-up objects (jobs/worker.py):
otherwise every full collection during the timed pages scans the 40,000 records the benchmark holds,
which a worker never holds (`--no-freeze`: 10-30 us more CPU per first-imported vendor, measured).

Scenarios, each in a fresh scratch database: `vendors first` (an empty connection; 10% of the ERP
vendors match an unmapped SmartAP vendor by tax id and 2% by name and e-mail, half of those differing
so a conflict row is written), `vendors again` (the same vendors re-read: 5% changed in the ERP, 1%
changed on both sides: conflicts, the rest unchanged) and `POs first` (purchase orders with 3 lines each,
their vendors imported before). Targets: vendors >= 20,000/s on SQLite, >= 15,000/s on PostgreSQL; POs
with lines >= 5,000/s.

    .venv/bin/python -m bench.import_ingest --vendors 20000 --pos 10000 [--db sqlite postgresql]
    .venv/bin/python -m bench.import_ingest --memory 10000 200000   # peak RSS of the importer (goal 3)

PostgreSQL: TEST_POSTGRES_URL (default postgresql+asyncpg://postgres@127.0.0.1:5432/test); a scratch
database is created and dropped per run.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import gc
import json
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Callable
from decimal import Decimal
from typing import Any

from bench.vendor_import import _pg, scratch_database

PAGE = 1000
NOW = dt.datetime(2024, 6, 1, tzinfo=dt.UTC)


def vendor(n: int, *, changed: bool = False) -> Any:
    from smartap_erp.domain.models import ERPAddress, ERPVendor

    return ERPVendor(
        external_id=str(n),
        name=f"Vendor {n} Supplies{' (renamed)' if changed else ''}",
        email=f"ap{n}@vendor{n}.example",
        phone=f"+1 555 {n:07d}",
        address=ERPAddress(
            line1=f"{n} Main St", city="Springfield", postal_code=f"{n % 99999:05d}", country="US"
        ),
        tax_id=f"TX-{n:08d}",
        payment_terms="Net 30",
        currency="USD",
        is_active=n % 97 != 0,
        updated_at=NOW,
        version="1" if not changed else "2",
    )


def order(n: int, vendors: int) -> Any:
    from smartap_erp.domain.enums import PurchaseOrderStatus
    from smartap_erp.domain.models import ERPPurchaseOrder, ERPPurchaseOrderLine

    lines = tuple(
        ERPPurchaseOrderLine(
            line_id=str(i),
            description=f"Item {i} of PO {n}",
            quantity=Decimal(i + 1),
            unit_price=Decimal("12.50"),
            amount=Decimal("12.50") * (i + 1),
            account_code="6000",
            item_code=f"SKU-{i}",
        )
        for i in range(3)
    )
    return ERPPurchaseOrder(
        external_id=f"PO{n}",
        po_number=f"PO-{n:07d}",
        vendor_id=str(n % vendors),
        total_amount=sum((line.amount for line in lines), Decimal(0)),
        currency="USD",
        status=PurchaseOrderStatus.OPEN,
        order_date=dt.date(2024, 5, 1),
        line_items=lines,
        updated_at=NOW,
        version="1",
    )


class MemoryERP:
    """Just enough of a connector for `ImportRun.run(erp=...)`: pages from lists built beforehand."""

    change_window = None

    def __init__(self, vendors: list[Any] | int, orders: list[Any]) -> None:
        from smartap_erp.domain.enums import ERPSystem

        self.system = ERPSystem.QUICKBOOKS
        self.vendors, self.orders = vendors, orders

    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)

    async def _pages(self, rows: list[Any] | int) -> AsyncIterator[Any]:
        """Pages of `rows`, or of `rows` vendors made page by page (only a page in memory at a time)."""
        from smartap_erp.connectors.models import RecordPage

        total = rows if isinstance(rows, int) else len(rows)
        for start in range(0, total, PAGE):
            end = min(start + PAGE, total)
            yield RecordPage(
                [vendor(n) for n in range(start, end)] if isinstance(rows, int) else rows[start:end]
            )

    def iter_vendors(self, since: dt.datetime | None = None) -> AsyncIterator[Any]:
        return self._pages(self.vendors)

    def iter_purchase_orders(self, since: dt.datetime | None = None) -> AsyncIterator[Any]:
        return self._pages(self.orders)


async def _seed_unmapped(sessions: Any, vendors: int) -> None:
    """SmartAP vendors no connection maps: 10% share a tax id with an ERP vendor (half of them with
    another phone: a conflict), 2% a name and e-mail."""
    from sqlalchemy import insert

    from smartap_erp.db.models import Vendor
    from smartap_erp.sync.imports.vendor_digest import normalise_name

    rows = []
    for n in range(vendors):
        if n % 10 == 1 or n % 50 == 3:
            source = vendor(n)
            by_tax = n % 10 == 1
            rows.append(
                {
                    "id": uuid.uuid4(),
                    "name": source.name,
                    "normalized_name": normalise_name(source.name),
                    "email": source.email,
                    "phone": source.phone if n % 20 == 1 else "+1 000",
                    "address": source.address.model_dump(exclude_none=True) if source.address else None,
                    "tax_id": source.tax_id if by_tax else None,
                    "payment_terms": source.payment_terms,
                    "currency": source.currency,
                    "is_active": True,
                    "created_at": NOW,
                    "updated_at": NOW,
                }
            )
    async with sessions() as session, session.begin():
        await session.execute(insert(Vendor), rows)


async def _touch_smartap_side(sessions: Any, every: int) -> None:
    """SmartAP-side edits of every `every`-th mapped vendor (a conflict when the ERP changed it too)."""
    from sqlalchemy import select, update

    from smartap_erp.db.models import ERPVendorLink, Vendor

    async with sessions() as session, session.begin():
        ids = [
            vid
            for erp_id, vid in (
                await session.execute(select(ERPVendorLink.erp_vendor_id, ERPVendorLink.smartap_vendor_id))
            ).all()
            if int(erp_id) % every == 0
        ]
        await session.execute(update(Vendor).where(Vendor.id.in_(ids)).values(phone="+1 999", updated_at=NOW))


async def _prepared(engine: Any) -> tuple[Any, Any]:
    """The schema, a sync context and a QuickBooks connection in a scratch database."""
    from cryptography.fernet import Fernet

    from smartap_erp.db.connections import create_connection
    from smartap_erp.db.models import Base
    from smartap_erp.db.session import make_session_factory
    from smartap_erp.db.vault import CredentialVault, KeyRing
    from smartap_erp.domain import ERPSystem
    from smartap_erp.sync.context import SyncContext

    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    sessions = make_session_factory(engine)
    ctx = SyncContext(sessions, CredentialVault(KeyRing([Fernet.generate_key()], "bench")))
    async with sessions() as session:
        connection = await create_connection(
            session,
            vault=ctx.vault,
            name="bench",
            system_type=ERPSystem.QUICKBOOKS,
            credentials={"realm_id": "1", "client_id": "c", "client_secret": "s", "refresh_token": "r"},
            api_url="http://quickbooks.test",
        )
        await session.commit()
    return ctx, connection


async def run_db(backend: str, vendors: int, pos: int, *, freeze: bool = True) -> list[dict[str, Any]]:
    from smartap_erp.db.session import make_engine
    from smartap_erp.sync.imports import run as imports
    from smartap_erp.sync.imports.purchase_orders import PurchaseOrderImport
    from smartap_erp.sync.imports.vendors import VendorImport

    url, scratch = await scratch_database(backend)
    engine = make_engine(url)
    results: list[dict[str, Any]] = []
    try:
        ctx, connection = await _prepared(engine)
        sessions = ctx.session_factory
        page_seconds = page_cpu = 0.0
        original = imports.ImportRun._write_pages

        async def timed(self: Any, *args: Any) -> Any:
            nonlocal page_seconds, page_cpu
            started, cpu = time.perf_counter(), time.process_time()
            try:
                return await original(self, *args)
            finally:
                page_seconds += time.perf_counter() - started
                page_cpu += time.process_time() - cpu

        imports.ImportRun._write_pages = timed  # type: ignore[method-assign]

        async def one(name: str, spec: Any, erp: MemoryERP, count: int, **extra: Any) -> None:
            nonlocal page_seconds, page_cpu
            page_seconds = page_cpu = 0.0
            if freeze:  # as the worker does after start-up; here also the records built beforehand
                gc.freeze()
            run = imports.ImportRun(
                ctx, connection.id, spec, since=None, limit=None, full=True, triggered_by="bench"
            )
            report = await run.run(erp)  # type: ignore[arg-type]
            results.append(
                {
                    "db": backend,
                    "scenario": name,
                    "records": count,
                    "created": report.created_count,
                    "updated": report.updated_count,
                    "unchanged": report.unchanged_count,
                    "conflicts": report.conflict_count,
                    "errors": report.error_count,
                    "seconds": round(page_seconds, 2),
                    "per_s": round(count / page_seconds),
                    "cpu_us": round(page_cpu / count * 1e6, 1),
                    **extra,
                }
            )

        make: Callable[[int], Any] = vendor
        first = [make(n) for n in range(vendors)]
        await _seed_unmapped(sessions, vendors)
        await one("vendors first", VendorImport(), MemoryERP(first, []), vendors)
        await _touch_smartap_side(sessions, 100)
        again = [vendor(n, changed=n % 20 == 0) for n in range(vendors)]
        await one("vendors again", VendorImport(), MemoryERP(again, []), vendors)
        if pos:
            orders = [order(n, vendors) for n in range(pos)]
            erp = MemoryERP(again, orders)

            async def no_vendor_import(_: Any) -> None:
                return None

            spec = PurchaseOrderImport(connection.id, sessions, no_vendor_import)
            await one("POs first (3 lines)", spec, erp, pos)
    finally:
        await engine.dispose()
        if scratch:
            await _pg(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)')
    return results


async def memory_run(vendors: int) -> dict[str, Any]:
    """A first import of `vendors` made page by page (none held by the benchmark): peak RSS of this
    process, which is the importer alone (the worker's code path without HTTP)."""
    import resource

    from smartap_erp.db.session import make_engine
    from smartap_erp.sync.imports.run import ImportRun
    from smartap_erp.sync.imports.vendors import VendorImport

    url, _ = await scratch_database("sqlite")
    engine = make_engine(url)
    try:
        ctx, connection = await _prepared(engine)
        started = time.perf_counter()
        run = ImportRun(
            ctx, connection.id, VendorImport(), since=None, limit=None, full=True, triggered_by="bench"
        )
        report = await run.run(MemoryERP(vendors, []))  # type: ignore[arg-type]
        return {
            "vendors": vendors,
            "created": report.created_count,
            "seconds": round(time.perf_counter() - started, 1),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        }
    finally:
        await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--vendors", type=int, default=20_000)
    parser.add_argument("--pos", type=int, default=10_000)
    parser.add_argument("--db", nargs="+", default=["sqlite", "postgresql"])
    parser.add_argument(
        "--memory", type=int, nargs="+", help="vendor counts: peak RSS of a first import each"
    )
    parser.add_argument("--one-memory", type=int, help=argparse.SUPPRESS)
    parser.add_argument(
        "--no-freeze",
        action="store_true",
        help="leave the records built for the run in the cyclic collector's sight (figures before 2026-12)",
    )
    args = parser.parse_args()
    if args.one_memory:  # child process: one run, so peak RSS is this run's alone
        print(json.dumps(asyncio.run(memory_run(args.one_memory))))
        return
    if args.memory:
        print("vendors | created | seconds | peak_rss_mb")
        for n in args.memory:
            child = subprocess.run(  # noqa: S603 (our own module, fixed arguments)
                [sys.executable, "-m", "bench.import_ingest", "--one-memory", str(n)],
                capture_output=True,
                text=True,
                check=True,
            )
            row = json.loads(child.stdout.strip().splitlines()[-1])
            print(
                " | ".join(str(row[c]) for c in ("vendors", "created", "seconds", "peak_rss_mb")), flush=True
            )
        return
    columns = ["db", "scenario", "records", "created", "updated", "unchanged", "conflicts", "errors"]
    columns += ["seconds", "per_s", "cpu_us"]
    print(" | ".join(columns))
    for backend in args.db:
        for row in asyncio.run(run_db(backend, args.vendors, args.pos, freeze=not args.no_freeze)):
            print(" | ".join(str(row[c]) for c in columns), flush=True)


if __name__ == "__main__":
    main()
