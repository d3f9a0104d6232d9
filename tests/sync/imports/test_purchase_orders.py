"""Purchase-order page writes (sync/imports/purchase_orders.py, purchase_order_digest.py; issue 17).

The digest renders the hash's canonical JSON itself: it must give the hash `canonical_hash(
erp_projection(...))` gives and the record errors the projection's checks give, or every stored
`synced_hash` would look changed after an upgrade. A written PO's lines become the ERP's set, keeping
the rows (and ids, which invoice lines refer to) of lines that did not change. SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from cryptography.fernet import Fernet
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from smartap_erp.db.models import (
    ERPPurchaseOrderLink,
    ERPVendorLink,
    PurchaseOrder,
    PurchaseOrderLine,
    Vendor,
)
from smartap_erp.db.vault import CredentialVault, KeyRing
from smartap_erp.domain.enums import PurchaseOrderStatus
from smartap_erp.domain.models import ERPPurchaseOrder, ERPPurchaseOrderLine
from smartap_erp.domain.money import MoneyError
from smartap_erp.domain.results import RecordError
from smartap_erp.sync.context import SyncContext
from smartap_erp.sync.imports import purchase_order_digest as digests
from smartap_erp.sync.imports.planning import Policy
from smartap_erp.sync.imports.purchase_order_digest import LINES, ORDERS, DigestedPage, digest
from smartap_erp.sync.imports.purchase_orders import (
    POPagePlan,
    PurchaseOrderImport,
    erp_projection,
    plan_po_page,
    write_po_page,
)
from smartap_erp.sync.imports.run import ImportRun
from smartap_erp.sync.records import canonical_hash, too_long
from tests.jobs.dbhelpers import add_connection
from tests.sync.imports.paged_erp import PagedERP

NOW = dt.datetime(2024, 6, 3, 12, 0, tzinfo=dt.UTC)
VENDOR = uuid.UUID("0190a0b0-0000-7000-8000-000000000001")
Factory = async_sessionmaker[AsyncSession]


def reference(po: ERPPurchaseOrder, vendor: uuid.UUID) -> str | RecordError:
    """What the page writer computed before the digest: the projection's hash, or its record error."""
    try:
        projection = erp_projection(po, vendor)
    except MoneyError as exc:
        return RecordError(record_id=po.external_id, field="amount", message=str(exc))
    bad = too_long(ORDERS, projection) or next(
        (e for e in (too_long(LINES, line) for line in projection["lines"]) if e), None
    )
    return bad.model_copy(update={"record_id": po.external_id}) if bad else canonical_hash(projection)


# mostly values that pass (a hash to compare), sometimes past the 64 characters most columns hold
texts = st.text(max_size=20) | st.text(min_size=60, max_size=70)
amounts = st.decimals(allow_nan=False, allow_infinity=False, min_value=-(10**9), max_value=10**9)
cents = st.integers(-(10**8), 10**8).map(lambda n: Decimal(n).scaleb(-2))
money = cents | st.integers(-(10**6), 10**6).map(Decimal) | amounts  # amounts: mostly too fine
lines = st.builds(
    dict,
    line_id=st.text(min_size=1, max_size=66),
    description=st.none() | texts,
    quantity=amounts,
    unit_price=st.none() | amounts,
    amount=money,
    account_code=st.none() | texts,
    item_code=st.none() | texts,
    tax_code=st.none() | texts,
)
orders = st.builds(
    dict,
    external_id=st.text(min_size=1, max_size=10),
    po_number=texts,
    vendor_id=st.just("V1"),
    total_amount=money,
    currency=st.sampled_from(["USD", "EUR", "USD", "KWD", "JPY", "CLF"]),
    status=st.sampled_from(list(PurchaseOrderStatus)),
    order_date=st.none() | st.dates(),
    line_items=st.lists(lines, max_size=4),
)


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(orders)
def test_the_digest_gives_the_projections_hash_and_errors(fields: dict[str, Any]) -> None:
    try:
        po = ERPPurchaseOrder.model_validate(fields)
    except ValidationError:  # e.g. an id of spaces only: never reaches a page writer
        return
    done = digest(po)
    expected = reference(po, VENDOR)
    event("hash" if isinstance(expected, str) else f"error on {expected.field}")
    assert (done.error if done.error else done.hash(VENDOR)) == expected


def test_equal_decimals_written_differently_hash_alike() -> None:
    digests._DECIMALS.clear()  # the texts are cached by value: the first one written sets it

    def po(quantity: str) -> ERPPurchaseOrder:
        line = ERPPurchaseOrderLine(line_id="1", quantity=Decimal(quantity), amount=Decimal("1"))
        return _order("1", total="1", lines=(line,))

    for quantity in ("12.50", "12.5", "1.25E+1", "-0", "0.000", "0"):
        assert digest(po(quantity)).hash(VENDOR) == reference(po(quantity), VENDOR)


def _line(n: int, quantity: str = "1", description: str | None = None) -> ERPPurchaseOrderLine:
    return ERPPurchaseOrderLine(
        line_id=f"L{n}",
        description=description or f"Item {n}",
        quantity=Decimal(quantity),
        unit_price=Decimal("2.50"),
        amount=Decimal("2.50") * Decimal(quantity),
        account_code="6000",
    )


def _order(
    external_id: str,
    *,
    vendor: str = "V1",
    number: str | None = None,
    total: str | None = None,
    status: PurchaseOrderStatus = PurchaseOrderStatus.OPEN,
    lines: tuple[ERPPurchaseOrderLine, ...] | None = None,
) -> ERPPurchaseOrder:
    items = lines if lines is not None else tuple(_line(n) for n in (1, 2, 3))
    return ERPPurchaseOrder(
        external_id=external_id,
        po_number=number or f"PO-{external_id}",
        vendor_id=vendor,
        total_amount=Decimal(total) if total else sum((line.amount for line in items), Decimal(0)),
        currency="USD",
        status=status,
        order_date=dt.date(2024, 5, 1),
        line_items=items,
        updated_at=NOW,
        version="1",
    )


async def _setup(session_factory: Factory) -> uuid.UUID:
    """A connection whose ERP vendor V1 is mapped to SmartAP vendor VENDOR."""
    connection_id = await add_connection(session_factory, "po")
    async with session_factory() as session, session.begin():
        await session.execute(
            insert(Vendor),
            [{"id": VENDOR, "name": "V", "normalized_name": "v", "created_at": NOW, "updated_at": NOW}],
        )
        await session.execute(
            insert(ERPVendorLink),
            [
                {
                    "connection_id": connection_id,
                    "smartap_vendor_id": VENDOR,
                    "erp_vendor_id": "V1",
                    "created_at": NOW,
                    "updated_at": NOW,
                }
            ],
        )
    return connection_id


async def _write(session_factory: Factory, connection_id: uuid.UUID, records: Any, **kwargs: Any) -> Any:
    async with session_factory() as session, session.begin():
        return await write_po_page(session, connection_id, records, policy=Policy.MANUAL, now=NOW, **kwargs)


async def _lines_of(session_factory: Factory, po_number: str) -> dict[int, tuple[uuid.UUID, Decimal, str]]:
    async with session_factory() as session:
        rows = await session.execute(
            select(PurchaseOrderLine.line_number, PurchaseOrderLine.id, PurchaseOrderLine.quantity)
            .add_columns(PurchaseOrderLine.description)
            .join(PurchaseOrder)
            .where(PurchaseOrder.po_number == po_number)
        )
        return {number: (line_id, quantity, description) for number, line_id, quantity, description in rows}


async def test_a_page_writes_its_pos_and_reports_each_bad_record(session_factory: Factory) -> None:
    connection_id = await _setup(session_factory)
    good = _order("A")
    cents = _order("B", total="1.005")
    long_line = _order("C", lines=(_line(1), _line(2).model_copy(update={"item_code": "x" * 65})))
    page = [good, _order("D", vendor="V9"), cents, long_line, _order("E", vendor="V9", total="1.005")]

    counts = await _write(session_factory, connection_id, page)

    assert counts.created == 1
    assert [(e.record_id, e.field) for e in counts.errors] == [
        ("D", "vendor_id"),
        ("B", "amount"),
        ("C", "item_code"),
        ("E", "vendor_id"),  # an unknown vendor is reported before the amount
    ]
    assert "names vendor V9, which SmartAP has not imported" in counts.errors[0].message
    assert counts.errors[1].message == "1.005 USD has more than 2 decimal places"
    async with session_factory() as session:
        mapping = (await session.scalars(select(ERPPurchaseOrderLink))).one()
        po = await session.get(PurchaseOrder, mapping.smartap_po_id)
    assert po is not None and (po.vendor_id, po.total_minor, po.po_number) == (VENDOR, 750, "PO-A")
    assert mapping.synced_hash == canonical_hash(erp_projection(good, VENDOR))
    assert {n: (q, d) for n, (_, q, d) in (await _lines_of(session_factory, "PO-A")).items()} == {
        n: (Decimal(1), f"Item {n}") for n in (1, 2, 3)
    }


async def test_lines_that_did_not_change_keep_their_rows(session_factory: Factory) -> None:
    connection_id = await _setup(session_factory)
    await _write(session_factory, connection_id, [_order("A")])
    first = await _lines_of(session_factory, "PO-A")

    again = await _write(session_factory, connection_id, [_order("A")])
    closed = await _write(session_factory, connection_id, [_order("A", status=PurchaseOrderStatus.CLOSED)])
    assert (again.unchanged, closed.updated) == (1, 1)
    assert await _lines_of(session_factory, "PO-A") == first  # the header changed: no line rewritten

    edited = (_line(1), _line(2, quantity="3"))  # line 2 changed, line 3 gone
    assert (await _write(session_factory, connection_id, [_order("A", lines=edited)])).updated == 1
    after = await _lines_of(session_factory, "PO-A")
    assert sorted(after) == [1, 2] and after[1] == first[1]
    assert after[2][0] != first[2][0] and after[2][1] == Decimal(3)

    grown = (*edited, _line(3, description="new"))
    assert (await _write(session_factory, connection_id, [_order("A", lines=grown)])).updated == 1
    final = await _lines_of(session_factory, "PO-A")
    assert final[1] == after[1] and final[2] == after[2] and final[3][2] == "new"
    async with session_factory() as session:
        mapping = (await session.scalars(select(ERPPurchaseOrderLink))).one()
        assert await session.scalar(select(func.count()).select_from(PurchaseOrder)) == 1
    assert mapping.sync_count == 4 and mapping.synced_hash == canonical_hash(
        erp_projection(_order("A", lines=grown), VENDOR)
    )


async def _add_smartap_po(session_factory: Factory, number: str) -> uuid.UUID:
    """A SmartAP PO no connection maps, equal to what `_order` gives for that number."""
    order = PurchaseOrder(
        vendor_id=VENDOR,
        po_number=number,
        status=PurchaseOrderStatus.OPEN,
        order_date=dt.date(2024, 5, 1),
        currency="USD",
        total_minor=750,
        lines=[
            PurchaseOrderLine(
                line_number=n,
                erp_line_id=f"L{n}",
                description=f"Item {n}",
                quantity=Decimal(1),
                unit_price=Decimal("2.5"),
                amount_minor=250,
                account_code="6000",
            )
            for n in (1, 2, 3)
        ],
    )
    async with session_factory() as session, session.begin():
        session.add(order)
    return order.id


async def test_an_unmapped_smartap_po_with_the_same_number_is_linked(session_factory: Factory) -> None:
    connection_id = await _setup(session_factory)
    await _add_smartap_po(session_factory, "PO-A")
    before = await _lines_of(session_factory, "PO-A")

    counts = await _write(session_factory, connection_id, [_order("A")])

    assert (counts.created, counts.unchanged, counts.conflicts) == (0, 1, 0)  # both sides agree: linked
    assert await _lines_of(session_factory, "PO-A") == before
    async with session_factory() as session:
        assert await session.scalar(select(func.count()).select_from(ERPPurchaseOrderLink)) == 1


async def test_prepare_hands_the_vendors_it_read_to_the_write(session_factory: Factory) -> None:
    connection_id = await _setup(session_factory)
    imported: list[object] = []

    async def vendor_import(erp: object) -> None:
        imported.append(erp)

    importer = PurchaseOrderImport(connection_id, session_factory, vendor_import)
    importer.erp = erp = object()  # type: ignore[assignment]
    known = await importer.prepare([_order("A"), _order("B")])
    assert isinstance(known, DigestedPage)
    assert known.vendors == {"V1": VENDOR} and imported == []
    assert list(known) == [_order("A"), _order("B")]  # the page iterates as its records

    unknown = await importer.prepare([_order("C"), _order("D", vendor="V9")])
    assert isinstance(unknown, DigestedPage)
    assert unknown.vendors is None and imported == [erp]  # a vendor import, once per run

    async with session_factory() as session, session.begin():
        counts = await write_po_page(session, connection_id, known, policy=Policy.MANUAL, now=NOW)
    assert counts.created == 2 and not counts.errors


async def test_pages_written_side_by_side_end_as_one_after_the_other(session_factory: Factory) -> None:
    """`page_writers=2` (PostgreSQL's default, forced on both databases): a PO repeated in the next page
    is applied after the earlier one, and its lines are the later version's."""
    connection_id = await _setup(session_factory)

    async def no_vendor_import(_: object) -> None:
        raise AssertionError("every vendor is known")

    spec = PurchaseOrderImport(connection_id, session_factory, no_vendor_import)
    ctx = SyncContext(
        session_factory, CredentialVault(KeyRing([Fernet.generate_key()], "t")), now=lambda: NOW
    )
    run = ImportRun(
        ctx, connection_id, spec, since=None, limit=None, full=True, triggered_by="test", page_writers=2
    )
    changed = _order("A", lines=(_line(1), _line(2, quantity="4")))
    erp = PagedERP([_order("A"), _order("B")], [changed, _order("C")])
    report = await run.run(erp)  # type: ignore[arg-type]

    assert (report.created_count, report.updated_count, report.errors) == (3, 1, [])
    lines = await _lines_of(session_factory, "PO-A")
    assert sorted(lines) == [1, 2] and lines[2][1] == Decimal(4)


async def test_po_plans_depend_on_a_shared_erp_po_or_a_shared_smartap_po(session_factory: Factory) -> None:
    """What `pipeline.write_planned` checks: plans made from the same state, as pages in flight are."""
    connection_id = await _setup(session_factory)
    await _add_smartap_po(session_factory, "PO-X")

    async def plan(*records: ERPPurchaseOrder) -> POPagePlan:
        async with session_factory() as session:
            return await plan_po_page(session, connection_id, records, policy=Policy.ERP_WINS)

    first = await plan(_order("A"), _order("X1", number="PO-X"))
    assert (await plan(_order("A", total="9"))).depends_on(first)  # the same ERP PO
    assert (await plan(_order("X2", number="PO-X"))).depends_on(first)  # the same SmartAP PO
    assert not (await plan(_order("B"), _order("C"))).depends_on(first)
