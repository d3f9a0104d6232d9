"""Payload translation between NetSuite JSON and the standard models, for both connection modes.

Reads the RESTlet contract shapes (docs/netsuite.md: lines merged into `lines`, `statusRef`, bill
`payments`) and the REST record API shapes (netsuite-connector.md §REST record API, §Record fields: sublists
as `{"items": [...]}` with `expandSubResources=true`, status as `{"id", "refName"}`, vendor address in
`addressBook`) into `ERPVendor`, `ERPPurchaseOrder`, `ERPPaymentStatus`, `ERPAccount` and `ERPTaxCode`
(currency codes from the `symbol` of a currency reference, never from its display-name `refName`); SuiteQL
rows (lower-case keys, string values, `T`/`F` booleans, netsuite-connector.md §SuiteQL) into accounts and tax
codes; and an `ERPInvoice` into the vendor bill body of either mode. Amounts arrive as Decimal (bodies are
parsed with `parse_float=Decimal`) and are written back as exact JSON numbers by `dumps`. No I/O here.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from smartap_erp.domain.enums import PaymentStatus, PurchaseOrderStatus
from smartap_erp.domain.models import (
    ERPAccount,
    ERPAddress,
    ERPInvoice,
    ERPPayment,
    ERPPaymentStatus,
    ERPPurchaseOrder,
    ERPPurchaseOrderLine,
    ERPTaxCode,
    ERPVendor,
)

Json = Mapping[str, Any]
PO_STATUSES = {s.value: s for s in PurchaseOrderStatus}
# PO status text -> standard (the same table as the shipped RESTlets, docs/netsuite.md).
PO_STATUS_TEXT = {
    "pending supervisor approval": PurchaseOrderStatus.DRAFT,
    "planned": PurchaseOrderStatus.DRAFT,
    "pending receipt": PurchaseOrderStatus.OPEN,
    "partially received": PurchaseOrderStatus.OPEN,
    "pending billing/partially received": PurchaseOrderStatus.OPEN,
    "pending bill": PurchaseOrderStatus.OPEN,
    "rejected by supervisor": PurchaseOrderStatus.CANCELLED,
    "fully billed": PurchaseOrderStatus.CLOSED,
    "closed": PurchaseOrderStatus.CLOSED,
}
_DECIMAL_MARK = re.compile(r'"__smartap_decimal__:([-0-9.Ee+]+)"')
_ISO_CODE = re.compile(r"[A-Z]{3}")


class CurrencyCodeError(ValueError):
    """A currency reference without a usable ISO 4217 code (`symbol`)."""


def dumps(body: Any) -> bytes:
    """JSON with Decimal written as an exact number (never through float)."""

    def default(value: Any) -> Any:
        if isinstance(value, Decimal):
            return f"__smartap_decimal__:{value}"
        raise TypeError(f"{type(value).__name__} is not JSON serializable")

    text = json.dumps(body, default=default, separators=(",", ":"))
    return _DECIMAL_MARK.sub(lambda m: m.group(1), text).encode()


def parse_datetime(value: str | None) -> dt.datetime | None:
    """NetSuite ISO timestamps (`2024-05-01T10:00:00Z` or with an offset) as aware UTC."""
    if not value:
        return None
    parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed.astimezone(dt.UTC)


def _ref_id(value: Any) -> str | None:
    return str(value["id"]) if isinstance(value, Mapping) and value.get("id") else None


def _ref_name(value: Any) -> str | None:
    return str(value["refName"]) if isinstance(value, Mapping) and value.get("refName") else None


def currency_id(record: Json) -> str | None:
    """The internal id of a record's currency reference, or None."""
    return _ref_id(record.get("currency"))


def currency_code(ref: Any) -> str | None:
    """The ISO 4217 code of a currency reference `{"id", "refName", "symbol"}`; None without one.

    A reference's `refName` is the currency record's display name ("US Dollar", "Euro"), not a code;
    the code is the currency record's `symbol` field (the UI's "ISO Code"; that pairing is derived and
    UNCERTAIN, docs/netsuite.md 10.3, hence the three-letter check below). The RESTlets add it to
    every currency reference (docs/netsuite.md); in REST mode the connector adds it from
    `GET /record/v1/currency/<id>`. A reference without a usable `symbol` raises `CurrencyCodeError`
    (a ValueError), so the record becomes a `RecordError` instead of carrying a wrong or missing
    currency.
    """
    if _ref_id(ref) is None:
        return None
    raw = ref.get("symbol")
    symbol = str(raw or "").strip().upper()
    if not _ISO_CODE.fullmatch(symbol):
        hint = " (older SmartAP RESTlets do not send it: redeploy netsuite/restlets)" if raw is None else ""
        raise CurrencyCodeError(
            f"NetSuite currency {ref['id']} ({ref.get('refName')!r}) has no three-letter "
            f"ISO 4217 code: symbol is {raw!r}{hint}"
        )
    return symbol


def with_currency_code(record: Json, codes: Mapping[str, str | None]) -> dict[str, Any]:
    """`record` with `codes[id]` as its currency reference's `symbol` (REST reads carry none)."""
    cid = currency_id(record)
    if cid is None:
        return dict(record)
    return {**record, "currency": {**record["currency"], "symbol": codes.get(cid)}}


def _currency(record: Json) -> str | None:
    return currency_code(record.get("currency"))


def _items(sublist: Any) -> list[Json]:
    if isinstance(sublist, Mapping):
        return list(sublist.get("items") or [])
    return list(sublist or [])


def _address(record: Json) -> ERPAddress | None:
    address = record.get("address")
    if not address:
        book = _items(record.get("addressBook"))
        address = book[0].get("addressBookAddress") if book else None
    if not address:
        return None
    return ERPAddress(
        line1=address.get("addr1"),
        line2=address.get("addr2"),
        city=address.get("city"),
        region=address.get("state"),
        postal_code=address.get("zip"),
        country=address.get("country"),
    )


def vendor_from_netsuite(record: Json) -> ERPVendor:
    """A vendor from the RESTlet or REST shape; inactive vendors map to `is_active=False`."""
    name = record.get("companyName") or record.get("entityId")
    return ERPVendor(
        external_id=str(record["id"]),
        name=str(name),
        email=record.get("email") or None,
        phone=record.get("phone") or None,
        address=_address(record),
        tax_id=record.get("taxIdNum") or None,
        payment_terms=_ref_name(record.get("terms")),
        currency=_currency(record),
        is_active=not bool(record.get("isInactive")),
        updated_at=parse_datetime(record.get("lastModifiedDate")),
        version=record.get("lastModifiedDate"),
    )


def _po_status(record: Json) -> PurchaseOrderStatus:
    status = record.get("status")
    if isinstance(status, Mapping):  # REST: {"id": "open", "refName": "Pending Receipt"}
        ref_name = str(status.get("refName", "")).lower()
        if ref_name in PO_STATUS_TEXT:
            return PO_STATUS_TEXT[ref_name]
        return PO_STATUSES[str(status["id"])]
    if record.get("statusRef") in PO_STATUSES:
        return PO_STATUSES[record["statusRef"]]
    return PO_STATUS_TEXT[str(status).lower()]


def _lines(record: Json) -> list[Json]:
    if "lines" in record:
        return list(record["lines"])
    out: list[Json] = []
    for sublist in ("item", "expense"):
        for line in _items(record.get(sublist)):
            description = line.get("description") or line.get("memo")
            out.append({**line, "sublist": sublist, "description": description})
    return out


def _po_line(line: Json) -> ERPPurchaseOrderLine:
    quantity = line.get("quantity")
    return ERPPurchaseOrderLine(
        line_id=str(line["line"]),
        description=line.get("description"),
        quantity=Decimal(str(quantity)) if quantity is not None else Decimal(1),
        unit_price=Decimal(str(line["rate"])) if line.get("rate") is not None else None,
        amount=Decimal(str(line["amount"])),
        account_code=_ref_id(line.get("account")),
        item_code=_ref_id(line.get("item")),
        tax_code=_ref_id(line.get("taxCode")),
    )


def purchase_order_from_netsuite(record: Json, default_currency: str = "USD") -> ERPPurchaseOrder:
    lines = [_po_line(line) for line in _lines(record)]
    total = record.get("total")
    return ERPPurchaseOrder(
        external_id=str(record["id"]),
        po_number=str(record.get("tranId") or record["id"]),
        vendor_id=str(_ref_id(record.get("entity"))),
        total_amount=Decimal(str(total)) if total is not None else sum((x.amount for x in lines), Decimal(0)),
        currency=_currency(record) or default_currency,
        status=_po_status(record),
        order_date=dt.date.fromisoformat(record["tranDate"]) if record.get("tranDate") else None,
        line_items=tuple(lines),
        updated_at=parse_datetime(record.get("lastModifiedDate")),
        version=record.get("lastModifiedDate"),
    )


def _bill_status(record: Json) -> str:
    status = record.get("status")
    if isinstance(status, Mapping):
        return str(status.get("id", ""))
    return str(record.get("statusRef") or status or "")


def payment_status_from_netsuite(
    bill: Json, payments: Sequence[Json], *, checked_at: dt.datetime, default_currency: str = "USD"
) -> ERPPaymentStatus:
    """Status from amountRemaining, the bill status and the applied vendor payments
    (netsuite-connector.md §Record fields)."""
    total = Decimal(str(bill["total"]))
    remaining = Decimal(str(bill.get("amountRemaining", total)))
    status_id = _bill_status(bill).lower()
    currency = _currency(bill) or default_currency
    items = tuple(
        ERPPayment(
            external_id=str(p["id"]),
            amount=Decimal(str(p["amount"])),
            currency=currency,
            paid_on=dt.date.fromisoformat(str(p["tranDate"])[:10]),
            reference=p.get("tranId"),
        )
        for p in payments
    )
    if status_id in ("cancelled", "rejected"):
        state, remaining = PaymentStatus.VOIDED, total - sum((p.amount for p in items), Decimal(0))
    elif remaining <= 0 or status_id == "paid":
        state = PaymentStatus.PAID
    elif remaining < total:
        state = PaymentStatus.PARTIAL
    else:
        state = PaymentStatus.UNPAID
    return ERPPaymentStatus(
        external_invoice_id=str(bill["id"]),
        status=state,
        currency=currency,
        total_amount=total,
        amount_paid=total - remaining,
        amount_due=remaining,
        payments=items,
        last_payment_date=max((p.paid_on for p in items), default=None),
        checked_at=checked_at,
    )


def _flag(value: Any) -> bool:
    return value in (True, "T", "true", "True")


def account_from_netsuite(record: Json) -> ERPAccount:
    """From the RESTlet shape or a SuiteQL `account` row."""
    return ERPAccount(
        external_id=str(record["id"]),
        code=record.get("acctNumber") or record.get("acctnumber"),
        name=str(record.get("acctName") or record.get("accountsearchdisplayname") or record.get("fullname")),
        account_type=str(record.get("acctType") or record.get("accttype")),
        is_active=not _flag(record.get("isInactive", record.get("isinactive"))),
        currency=_currency(record),
    )


def tax_code_from_netsuite(record: Json) -> ERPTaxCode:
    """From the RESTlet shape or a SuiteQL `salestaxitem` row (rate in percent)."""
    code = str(record.get("itemId") or record.get("itemid"))
    rate = record.get("rate")
    return ERPTaxCode(
        external_id=str(record["id"]),
        code=code,
        name=str(record.get("description") or code),
        rate=Decimal(str(rate).rstrip("%")) if rate not in (None, "") else None,
        is_active=not _flag(record.get("isInactive", record.get("isinactive"))),
    )


def bill_external_id(invoice: ERPInvoice) -> str:
    """Our idempotency key on the bill: NetSuite `externalId` (erp-facts.md §Idempotent export)."""
    return f"smartap-{invoice.smartap_invoice_id or invoice.vendor_id + '-' + invoice.invoice_number}"


def bill_body(invoice: ERPInvoice, *, rest: bool) -> dict[str, Any]:
    """The vendor bill body: RESTlet contract (lines as arrays) or REST (sublists as `{"items"}`)."""
    expense: list[dict[str, Any]] = []
    item: list[dict[str, Any]] = []
    for line, share in zip(invoice.line_items, invoice.line_taxes(), strict=True):
        tax: dict[str, Any] = {"taxCode": {"id": line.tax_code}} if line.tax_code else {}
        if share is not None:  # the line's share of the invoice tax (editable tax1Amt)
            tax["tax1Amt"] = share
        if line.item_code:
            entry: dict[str, Any] = {
                "item": {"id": line.item_code},
                "quantity": line.quantity,
                "rate": line.unit_price if line.unit_price is not None else line.amount / line.quantity,
                "amount": line.amount,
                **tax,
            }
            if line.description:
                entry["description"] = line.description
            if line.po_line_id:
                entry["orderLine"] = line.po_line_id
            item.append(entry)
        else:
            expense.append(
                {
                    "account": {"id": line.account_code},
                    "amount": line.amount,
                    **({"memo": line.description} if line.description else {}),
                    **tax,
                }
            )
    body: dict[str, Any] = {
        "externalId": bill_external_id(invoice),
        "entity": {"id": invoice.vendor_id},
        "tranId": invoice.invoice_number,
        "tranDate": invoice.invoice_date.isoformat(),
    }
    if invoice.due_date:
        body["dueDate"] = invoice.due_date.isoformat()
    if invoice.memo:
        body["memo"] = invoice.memo
    if invoice.purchase_order_id:
        body["createdFrom"] = {"id": invoice.purchase_order_id}
    if expense:
        body["expense"] = {"items": expense} if rest else expense
    if item:
        body["item"] = {"items": item} if rest else item
    return body
