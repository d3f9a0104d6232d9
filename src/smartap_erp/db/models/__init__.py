"""All tables, importable from one place so Alembic sees the whole metadata."""

from smartap_erp.db.base import Base
from smartap_erp.db.models.api_keys import APIKey
from smartap_erp.db.models.erp import (
    ERPConflict,
    ERPConnection,
    ERPExportOutbox,
    ERPFieldMapping,
    ERPInvoiceLink,
    ERPPurchaseOrderLink,
    ERPSyncCursor,
    ERPSyncLog,
    ERPVendorLink,
    ExportState,
)
from smartap_erp.db.models.events import (
    ERPEvent,
    ERPEventDelivery,
    ERPEventDeliveryAttempt,
    ERPEventSubscription,
)
from smartap_erp.db.models.exchanges import ERPSyncLogExchange
from smartap_erp.db.models.idempotency import APIIdempotencyKey
from smartap_erp.db.models.jobs import ERPConnectionLease, ERPSyncRequest, WorkerHeartbeat
from smartap_erp.db.models.oauth import OAuthFlow
from smartap_erp.db.models.ratelimit import RateLimitKey, RateLimitSlot
from smartap_erp.db.models.reconciliation import ERPReconciliationReport
from smartap_erp.db.models.smartap import Invoice, InvoiceLine, PurchaseOrder, PurchaseOrderLine, Vendor
from smartap_erp.db.models.users import UILoginFailure, UISession, UIUser
from smartap_erp.db.models.webhooks import ERPWebhookEvent

__all__ = [
    "APIIdempotencyKey",
    "APIKey",
    "Base",
    "ERPConflict",
    "ERPConnection",
    "ERPConnectionLease",
    "ERPEvent",
    "ERPEventDelivery",
    "ERPEventDeliveryAttempt",
    "ERPEventSubscription",
    "ERPExportOutbox",
    "ERPFieldMapping",
    "ERPInvoiceLink",
    "ERPPurchaseOrderLink",
    "ERPReconciliationReport",
    "ERPSyncCursor",
    "ERPSyncLog",
    "ERPSyncLogExchange",
    "ERPSyncRequest",
    "ERPVendorLink",
    "ERPWebhookEvent",
    "ExportState",
    "Invoice",
    "InvoiceLine",
    "OAuthFlow",
    "PurchaseOrder",
    "PurchaseOrderLine",
    "RateLimitKey",
    "RateLimitSlot",
    "UILoginFailure",
    "UISession",
    "UIUser",
    "Vendor",
    "WorkerHeartbeat",
]
