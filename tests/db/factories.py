"""Small builders for database rows used by several test modules."""

from __future__ import annotations

import datetime as dt
import uuid

from smartap_erp.db.models import ERPConnection, Invoice, Vendor
from smartap_erp.domain.enums import ERPSystem, InvoiceStatus


def connection(name: str = "QBO", ciphertext: bytes = b"x") -> ERPConnection:
    return ERPConnection(id=uuid.uuid4(), name=name, system_type=ERPSystem.QUICKBOOKS, credentials=ciphertext)


def vendor(name: str = "Acme Supplies") -> Vendor:
    return Vendor(id=uuid.uuid4(), name=name, normalized_name=name.lower())


def invoice(vendor_id: uuid.UUID, number: str = "INV-1") -> Invoice:
    return Invoice(
        id=uuid.uuid4(),
        vendor_id=vendor_id,
        invoice_number=number,
        invoice_date=dt.date(2026, 1, 5),
        currency="USD",
        subtotal_minor=10000,
        tax_minor=0,
        total_minor=10000,
        status=InvoiceStatus.APPROVED,
    )
