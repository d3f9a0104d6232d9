"""The enums of the standard model: which ERP, which entity, how a sync went, and record statuses.

Values are lower-case strings so they read the same in JSON, the database and the CLI.
"""

from __future__ import annotations

from enum import StrEnum


class ERPSystem(StrEnum):
    """Every ERP the seed names. Connectors exist for QuickBooks, Xero, SAP and NetSuite."""

    QUICKBOOKS = "quickbooks"
    XERO = "xero"
    SAP = "sap"
    SAGE = "sage"
    NETSUITE = "netsuite"
    ORACLE = "oracle"
    DYNAMICS = "dynamics"


class SyncStatus(StrEnum):
    PENDING = "pending"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    FAILED = "failed"
    PARTIAL = "partial"


class ERPEntity(StrEnum):
    VENDOR = "vendor"
    PURCHASE_ORDER = "purchase_order"
    INVOICE = "invoice"
    PAYMENT = "payment"
    ACCOUNT = "account"
    TAX_CODE = "tax_code"


class SyncDirection(StrEnum):
    IMPORT = "import"
    EXPORT = "export"


class PaymentStatus(StrEnum):
    """How much of a bill the ERP says is paid."""

    UNPAID = "unpaid"
    PARTIAL = "partial"
    PAID = "paid"
    VOIDED = "voided"


class PurchaseOrderStatus(StrEnum):
    """Standard PO status; each connector maps its ERP's values onto these."""

    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"
    CANCELLED = "cancelled"


class InvoiceStatus(StrEnum):
    """The life of a SmartAP invoice, from receipt to paid in the ERP."""

    DRAFT = "draft"
    PENDING_APPROVAL = "pending_approval"
    APPROVED = "approved"
    EXPORTED = "exported"
    # The ERP holds a bill for it whose total differs from the invoice's: a person must look.
    NEEDS_REVIEW = "needs_review"
    PARTIALLY_PAID = "partially_paid"
    PAID = "paid"
    REJECTED = "rejected"


class ConnectionStatus(StrEnum):
    ACTIVE = "active"
    INACTIVE = "inactive"
    ERROR = "error"
    PENDING = "pending"


class ConflictStatus(StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"
