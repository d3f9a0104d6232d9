"""`app.invoice_board` on SQLite and PostgreSQL: each invoice's ERP state judged as
`invoices.invoice_status` judges it (a link wins over the outbox, synced over queued over failed,
needs review over everything), filtered by state in SQL, by connection (states judged on it alone;
`not_synced` lists the invoices it has not seen), and paged by offset."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from smartap_erp.app import invoices
from smartap_erp.app.invoice_board import BoardFilter, invoice_board
from smartap_erp.app.invoices import SyncState
from smartap_erp.db.models import ERPExportOutbox, ERPInvoiceLink, Invoice, Vendor
from smartap_erp.db.models.erp import ExportState
from smartap_erp.domain.enums import InvoiceStatus, PaymentStatus
from smartap_erp.errors import NotFoundError
from tests.app.simulated import SimulatedApp, simulated_app
from tests.app.test_logs import _connection


@pytest.fixture
def ctx(engine: AsyncEngine, session_factory: async_sessionmaker[AsyncSession]) -> SimulatedApp:
    return simulated_app(engine, session_factory)


async def _world(ctx: SimulatedApp) -> tuple[uuid.UUID, uuid.UUID]:
    """Invoices I-1..I-6 (I-6 newest) and their exports on connections A and B."""
    a, b = await _connection(ctx, "A"), await _connection(ctx, "B")
    async with ctx.sessions() as session, session.begin():
        vendor = Vendor(name="Acme", normalized_name="acme")
        session.add(vendor)
        await session.flush()
        made = {}
        for n in range(1, 7):
            status = InvoiceStatus.NEEDS_REVIEW if n == 5 else InvoiceStatus.APPROVED
            made[n] = Invoice(
                vendor_id=vendor.id,
                invoice_number=f"I-{n}",
                invoice_date=dt.date(2024, 5, n),
                currency="USD",
                subtotal_minor=1000 * n,
                tax_minor=0,
                total_minor=1000 * n,
                status=status,
            )
            session.add(made[n])
        await session.flush()

        def outbox(connection: uuid.UUID, n: int, state: ExportState) -> None:
            session.add(
                ERPExportOutbox(
                    connection_id=connection,
                    smartap_invoice_id=made[n].id,
                    idempotency_key=uuid.uuid4().hex,
                    state=state,
                    last_error="refused" if state is ExportState.FAILED else None,
                )
            )

        # I-1 synced on A (link, paid 4.00 of 10.00) and failed on B; I-2 queued on A; I-3 failed on B;
        # I-4 nowhere; I-5 needs review (failed on A); I-6 confirmed on B without a link yet.
        session.add(
            ERPInvoiceLink(
                connection_id=a,
                smartap_invoice_id=made[1].id,
                erp_invoice_id="BILL-1",
                payment_status=PaymentStatus.PARTIAL,
                payment_amount=400,
                payment_currency="USD",
            )
        )
        outbox(a, 1, ExportState.CONFIRMED)
        outbox(b, 1, ExportState.FAILED)
        outbox(a, 2, ExportState.SENT)
        outbox(b, 3, ExportState.FAILED)
        outbox(a, 5, ExportState.FAILED)
        outbox(b, 6, ExportState.CONFIRMED)
    return a, b


def _numbers(page: object) -> list[str]:
    return [row.invoice.invoice_number for row in page.rows]  # type: ignore[attr-defined]


async def test_states_filters_and_pages(ctx: SimulatedApp) -> None:
    a, b = await _world(ctx)
    everything = await invoice_board(ctx, BoardFilter())
    assert _numbers(everything) == ["I-6", "I-5", "I-4", "I-3", "I-2", "I-1"]
    states = {row.invoice.invoice_number: row.state for row in everything.rows}
    assert states == {
        "I-6": SyncState.SYNCED,
        "I-5": SyncState.NEEDS_REVIEW,
        "I-4": SyncState.NOT_SYNCED,
        "I-3": SyncState.FAILED,
        "I-2": SyncState.QUEUED,
        "I-1": SyncState.SYNCED,
    }
    for row in everything.rows:  # the same judgement as one invoice's status
        alone = await invoices.invoice_status(ctx, row.invoice.invoice_number)
        assert (alone.state, alone.exports) == (row.state, row.exports)
    first = everything.rows[-1]
    [on_a, on_b] = first.exports
    assert (on_a.connection, on_a.bill_id, on_a.payment_status) == ("A", "BILL-1", PaymentStatus.PARTIAL)
    assert on_a.paid is not None and str(on_a.paid.amount) == "4.00"
    assert (on_b.state, on_b.error) == (SyncState.FAILED, "refused")

    for state, expected in (
        (SyncState.SYNCED, ["I-6", "I-1"]),
        (SyncState.QUEUED, ["I-2"]),
        (SyncState.FAILED, ["I-3"]),
        (SyncState.NOT_SYNCED, ["I-4"]),
        (SyncState.NEEDS_REVIEW, ["I-5"]),
    ):
        assert _numbers(await invoice_board(ctx, BoardFilter(state=state))) == expected, state

    on_b_only = await invoice_board(ctx, BoardFilter(connection="B"))
    assert _numbers(on_b_only) == ["I-6", "I-3", "I-1"]
    assert [row.state for row in on_b_only.rows] == [SyncState.SYNCED, SyncState.FAILED, SyncState.FAILED]
    assert all(e.connection == "B" for row in on_b_only.rows for e in row.exports)
    assert _numbers(await invoice_board(ctx, BoardFilter(connection=str(b), state=SyncState.FAILED))) == [
        "I-3",
        "I-1",
    ]
    not_on_a = await invoice_board(ctx, BoardFilter(connection=str(a), state=SyncState.NOT_SYNCED))
    assert _numbers(not_on_a) == ["I-6", "I-4", "I-3"]

    page = await invoice_board(ctx, BoardFilter(limit=4))
    assert (_numbers(page), page.has_more) == (["I-6", "I-5", "I-4", "I-3"], True)
    rest = await invoice_board(ctx, BoardFilter(limit=4, offset=4))
    assert (_numbers(rest), rest.has_more) == (["I-2", "I-1"], False)
    with pytest.raises(NotFoundError):
        await invoice_board(ctx, BoardFilter(connection="nowhere"))
