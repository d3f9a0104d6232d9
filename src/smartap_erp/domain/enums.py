"""The enums of the standard model: which ERP, which entity, how a sync went, and record statuses.

Values are lower-case strings so they read the same in JSON, the database and the CLI.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Any

_SYSTEM_KEY = re.compile(r"[a-z][a-z0-9_]{0,31}")  # as `connectors.provider.SYSTEM_KEY`


class ERPSystem(StrEnum):
    """The ERPs the seed names, as constants. Connectors exist for QuickBooks, Xero, SAP and NetSuite.

    `ERPSystem(key)` also accepts the key of an ERP added by a provider (`connectors.provider`), e.g.
    `ERPSystem("acme")`: a member that is not among the listed ones but carries `.value` like them,
    so errors, logs and stored connections name any ERP the same way. Whether an ERP has a provider
    is the registry's question (`connectors.registry`), not this enum's.
    """

    QUICKBOOKS = "quickbooks"
    XERO = "xero"
    SAP = "sap"
    SAGE = "sage"
    NETSUITE = "netsuite"
    ORACLE = "oracle"
    DYNAMICS = "dynamics"

    @classmethod
    def _missing_(cls, value: Any) -> ERPSystem | None:
        if not isinstance(value, str) or not _SYSTEM_KEY.fullmatch(value):
            return None
        member = str.__new__(cls, value)
        member._name_ = value.upper()
        member._value_ = value
        # Cached, so ERPSystem("acme") is ERPSystem("acme"); it stays out of iteration and `in`.
        return cls._value2member_map_.setdefault(value, member)  # type: ignore[return-value]


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
