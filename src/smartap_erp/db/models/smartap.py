"""SmartAP's own side of the books, which the seed assumes exists: vendors, purchase orders and their
lines, invoices and their lines with approval and payment status.

Amounts are integer minor units (`*_minor`) beside a currency code; unit prices and quantities keep
their ERP precision as NUMERIC because ERPs price below the cent (QBO UnitPrice, SAP Price).
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from smartap_erp.db.base import Base, TimeOrderedPrimaryKey, Timestamps, UUIDPrimaryKey, str_enum
from smartap_erp.domain.enums import InvoiceStatus, PurchaseOrderStatus

PRECISE = Numeric(20, 6)


class Vendor(TimeOrderedPrimaryKey, Timestamps, Base):
    __tablename__ = "vendors"

    name: Mapped[str] = mapped_column(String(255))
    normalized_name: Mapped[str] = mapped_column(String(255), index=True)
    email: Mapped[str | None] = mapped_column(String(320), index=True)
    phone: Mapped[str | None] = mapped_column(String(64))
    address: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    tax_id: Mapped[str | None] = mapped_column(String(64), index=True)
    payment_terms: Mapped[str | None] = mapped_column(String(128))
    currency: Mapped[str | None] = mapped_column(String(3))
    is_active: Mapped[bool] = mapped_column(default=True)

    def __repr__(self) -> str:
        return f"Vendor(id={self.id!s}, name={self.name!r})"


class PurchaseOrder(TimeOrderedPrimaryKey, Timestamps, Base):
    __tablename__ = "purchase_orders"
    __table_args__ = (UniqueConstraint("vendor_id", "po_number"),)

    vendor_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("vendors.id", ondelete="RESTRICT"), index=True)
    po_number: Mapped[str] = mapped_column(String(64))
    status: Mapped[PurchaseOrderStatus] = mapped_column(str_enum(PurchaseOrderStatus, "po_status"))
    order_date: Mapped[dt.date | None]
    currency: Mapped[str] = mapped_column(String(3))
    total_minor: Mapped[int] = mapped_column(BigInteger)

    vendor: Mapped[Vendor] = relationship()
    lines: Mapped[list[PurchaseOrderLine]] = relationship(
        back_populates="purchase_order",
        cascade="all, delete-orphan",
        order_by="PurchaseOrderLine.line_number",
    )

    def __repr__(self) -> str:
        return f"PurchaseOrder(id={self.id!s}, po_number={self.po_number!r})"


class PurchaseOrderLine(TimeOrderedPrimaryKey, Base):
    __tablename__ = "purchase_order_lines"
    __table_args__ = (UniqueConstraint("purchase_order_id", "line_number"),)

    purchase_order_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("purchase_orders.id", ondelete="CASCADE"), index=True
    )
    line_number: Mapped[int]
    erp_line_id: Mapped[str | None] = mapped_column(String(64))
    description: Mapped[str | None] = mapped_column(Text)
    quantity: Mapped[Decimal] = mapped_column(PRECISE)
    unit_price: Mapped[Decimal | None] = mapped_column(PRECISE)
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    account_code: Mapped[str | None] = mapped_column(String(64))
    item_code: Mapped[str | None] = mapped_column(String(64))
    tax_code: Mapped[str | None] = mapped_column(String(64))

    purchase_order: Mapped[PurchaseOrder] = relationship(back_populates="lines")


class Invoice(UUIDPrimaryKey, Timestamps, Base):
    """A supplier invoice in SmartAP. One vendor cannot have two invoices with the same number."""

    __tablename__ = "invoices"
    __table_args__ = (UniqueConstraint("vendor_id", "invoice_number"),)

    vendor_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("vendors.id", ondelete="RESTRICT"), index=True)
    purchase_order_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("purchase_orders.id", ondelete="SET NULL"), index=True
    )
    invoice_number: Mapped[str] = mapped_column(String(64))
    invoice_date: Mapped[dt.date]
    due_date: Mapped[dt.date | None]
    currency: Mapped[str] = mapped_column(String(3))
    subtotal_minor: Mapped[int] = mapped_column(BigInteger)
    tax_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    total_minor: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[InvoiceStatus] = mapped_column(
        str_enum(InvoiceStatus, "invoice_status"), default=InvoiceStatus.DRAFT, index=True
    )
    memo: Mapped[str | None] = mapped_column(Text)
    # Why it is `needs_review` (e.g. "bill 145 was voided in QuickBooks"); None otherwise (migration 0017).
    review_reason: Mapped[str | None] = mapped_column(Text)
    approved_at: Mapped[dt.datetime | None]
    approved_by: Mapped[str | None] = mapped_column(String(255))

    vendor: Mapped[Vendor] = relationship()
    lines: Mapped[list[InvoiceLine]] = relationship(
        back_populates="invoice", cascade="all, delete-orphan", order_by="InvoiceLine.line_number"
    )

    def __repr__(self) -> str:
        return f"Invoice(id={self.id!s}, invoice_number={self.invoice_number!r}, status={self.status!s})"


class InvoiceLine(UUIDPrimaryKey, Base):
    __tablename__ = "invoice_lines"
    __table_args__ = (UniqueConstraint("invoice_id", "line_number"),)

    invoice_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("invoices.id", ondelete="CASCADE"), index=True)
    line_number: Mapped[int]
    description: Mapped[str | None] = mapped_column(Text)
    quantity: Mapped[Decimal] = mapped_column(PRECISE)
    unit_price: Mapped[Decimal | None] = mapped_column(PRECISE)
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    account_code: Mapped[str | None] = mapped_column(String(64))
    item_code: Mapped[str | None] = mapped_column(String(64))
    tax_code: Mapped[str | None] = mapped_column(String(64))
    purchase_order_line_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("purchase_order_lines.id", ondelete="SET NULL")
    )

    invoice: Mapped[Invoice] = relationship(back_populates="lines")
