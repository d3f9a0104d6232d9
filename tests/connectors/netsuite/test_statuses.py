"""SuiteQL's one-letter transaction status, read by the duplicate look-up and the reconciliation read
(connectors/netsuite/statuses.py), against the simulator over real HTTP in both modes."""

from __future__ import annotations

from collections.abc import Callable

from erpsim.core.testing import LiveServer
from smartap_erp.connectors.netsuite import NetSuiteConnector, reconcile
from smartap_erp.connectors.netsuite.statuses import status_label
from tests.connectors.netsuite.test_connector import _invoice

Connect = Callable[..., NetSuiteConnector]


def test_letters_saved_search_codes_and_labels_read_alike() -> None:
    assert status_label({"type": "VendBill", "status": "C"}) == "cancelled"
    assert status_label({"status": "VendBill:B"}, "VendBill") == "paid in full"
    assert status_label({"type": "PurchOrd", "status": "G"}) == "fully billed"
    assert status_label({"type": "VendBill", "status": "Open"}) == "open"  # a label stays a label


async def test_duplicate_lookup_skips_cancelled_bills_by_their_letter(
    connect: Connect, server: LiveServer
) -> None:
    invoice = _invoice(server, "SUP-DUP")
    async with connect() as connector:
        bill = await connector.export_invoice(invoice)
        [found] = await connector.find_bills([invoice])
        assert (found.bill_id, found.status) == (bill.external_id, "open")
        server.sim.mutate("pay_bill", {"bill_id": bill.external_id})
        [paid] = await connector.find_bills([invoice])
        assert paid.status == "paid in full"
        server.sim.mutate("cancel_bill", {"bill_id": bill.external_id})
        assert await connector.find_bills([invoice]) == []  # status 'C': no longer holds the number


async def test_reconciliation_reads_voided_and_paid_from_letters(
    connect: Connect, server: LiveServer
) -> None:
    async with connect() as connector:
        paid = await connector.export_invoice(_invoice(server, "SUP-PAID"))
        voided = await connector.export_invoice(_invoice(server, "SUP-VOID"))
        server.sim.mutate("pay_bill", {"bill_id": paid.external_id})
        server.sim.mutate("cancel_bill", {"bill_id": voided.external_id})
        snapshot = await reconcile.read_snapshot(connector)
    rows = {row.key: row for row in snapshot.bills}
    assert rows[paid.external_id].paid_status == "paid"
    assert (rows[voided.external_id].status, rows[voided.external_id].paid_status) == ("voided", "voided")
    closed = [
        p for p in server.sim.store.ordered("purchaseOrder") if p["status"] in ("Fully Billed", "Closed")
    ]
    po_rows = {row.key: row for row in snapshot.purchase_orders}
    assert all(po_rows[p["id"]].status == "closed" for p in closed)
