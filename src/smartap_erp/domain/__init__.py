"""The standard domain model: what every connector reads and writes, independent of any ERP. No I/O."""

from smartap_erp.domain.enums import (
    ConflictStatus,
    ConnectionStatus,
    ERPEntity,
    ERPSystem,
    InvoiceStatus,
    PaymentStatus,
    PurchaseOrderStatus,
    SyncDirection,
    SyncStatus,
)
from smartap_erp.domain.models import (
    ERPAccount,
    ERPAddress,
    ERPInvoice,
    ERPInvoiceLine,
    ERPPayment,
    ERPPaymentStatus,
    ERPPurchaseOrder,
    ERPPurchaseOrderLine,
    ERPTaxCode,
    ERPVendor,
)
from smartap_erp.domain.results import RecordError, SyncResult

__all__ = [
    "ConflictStatus",
    "ConnectionStatus",
    "ERPAccount",
    "ERPAddress",
    "ERPEntity",
    "ERPInvoice",
    "ERPInvoiceLine",
    "ERPPayment",
    "ERPPaymentStatus",
    "ERPPurchaseOrder",
    "ERPPurchaseOrderLine",
    "ERPSystem",
    "ERPTaxCode",
    "ERPVendor",
    "InvoiceStatus",
    "PaymentStatus",
    "PurchaseOrderStatus",
    "RecordError",
    "SyncDirection",
    "SyncResult",
    "SyncStatus",
]
