"""The invoice's tax on its way to the ERP, and the check of the bill total the ERP answers with.

SmartAP keeps one invoice-level `tax_amount`; every ERP takes tax per line, under a tax code
(`TaxCodeRef`, `TaxType`, `TaxCode`/`VatGroup`, `taxCode`: quickbooks.md §Entities, xero.md §Entities,
sap.md §Entities, netsuite-connector.md §Record fields). `plan_tax` spreads the invoice's tax over the lines
that carry a tax code, in proportion to their amounts (largest remainder, in the currency's minor units, so
the shares add up exactly), and refuses, before any call, an invoice whose tax the ERP cannot take: tax but no
line with a tax code; or, for an ERP that computes the tax itself from the codes' rates (`bill_tax = "rates"`:
QuickBooks, SAP Business One), a code without a known rate or rates that give another amount than the
invoice's. ERPs that take the amount itself (`bill_tax = "amounts"`: Xero `TaxAmount`, NetSuite `tax1Amt`) get
the shares as they are. `total_mismatch` compares the total the ERP returns for the bill with the invoice's:
whatever was predicted, the ERP's own figure decides.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal

from smartap_erp.domain.models import ERPInvoice, ERPInvoiceLine, allocate_tax
from smartap_erp.domain.money import minor_unit_exponent

AMOUNTS, RATES = "amounts", "rates"


class TaxRefused(ValueError):
    """The invoice's tax cannot be sent to this ERP; the message says why, in one line."""


def allocate(amounts: Sequence[Decimal], tax: Decimal, currency: str) -> list[Decimal]:
    """`tax` split over `amounts` in proportion, in whole minor units, adding up to `tax` exactly."""
    try:
        return list(allocate_tax(tuple(amounts), tax, currency))
    except ValueError as exc:
        raise TaxRefused(str(exc)) from None


def predicted_tax(line: ERPInvoiceLine, currency: str) -> Decimal:
    """The tax an ERP computes for one line from its code's rate (half up, to the currency's unit)."""
    assert line.tax_rate is not None
    unit = Decimal(1).scaleb(-minor_unit_exponent(currency))
    return (line.amount * line.tax_rate / 100).quantize(unit, rounding=ROUND_HALF_UP)


def plan_tax(invoice: ERPInvoice, *, erp: str, mode: str) -> ERPInvoice:
    """`invoice` with each taxed line's share of the tax, or `TaxRefused` (see the module docstring)."""
    tax, currency = invoice.tax_amount, invoice.currency
    taxed = [i for i, line in enumerate(invoice.line_items) if line.tax_code]
    if not taxed:
        if tax:
            raise TaxRefused(
                f"invoice has tax {tax} {currency} but no line carries a tax code and {erp} cannot "
                "take a tax amount without one: give the taxed lines their tax code"
            )
        return invoice
    shares = allocate([invoice.line_items[i].amount for i in taxed], tax, currency)
    lines = list(invoice.line_items)
    for index, share in zip(taxed, shares, strict=True):
        lines[index] = lines[index].model_copy(update={"tax_amount": share})
    if mode == RATES:
        _check_rates([lines[i] for i in taxed], tax, currency, erp)
    return invoice.model_copy(update={"line_items": tuple(lines)})


def _check_rates(lines: Sequence[ERPInvoiceLine], tax: Decimal, currency: str, erp: str) -> None:
    """The ERP computes the tax: a code without a purchase rate adds none, the others must give ours."""
    computed = sum((predicted_tax(line, currency) for line in lines if line.tax_rate is not None), Decimal(0))
    if computed == tax:
        return
    unknown = sorted({str(line.tax_code) for line in lines if line.tax_rate is None})
    if unknown and not computed:
        raise TaxRefused(
            f"{erp} computes bill tax from the tax codes' purchase rates and tax code "
            f"{', '.join(unknown)} has none, so the invoice's tax {tax} {currency} cannot be sent"
        )
    codes = ", ".join(
        sorted(
            {f"{line.tax_code} at {line.tax_rate if line.tax_rate is not None else 'no'}%" for line in lines}
        )
    )
    raise TaxRefused(
        f"{erp} computes the tax from the line tax codes ({codes}): {computed} {currency}, "
        f"but the invoice's tax is {tax} {currency}; correct the tax or the tax codes"
    )


def total_mismatch(invoice: ERPInvoice, erp_total: Decimal | None) -> str | None:
    """Why the bill the ERP holds is not this invoice's amount, or None when the totals agree."""
    if erp_total is None:
        return (
            f"the ERP did not report the bill's total, so it cannot be checked against {invoice.total_amount}"
        )
    if erp_total != invoice.total_amount:
        unit = Decimal(1).scaleb(-minor_unit_exponent(invoice.currency))
        shown = erp_total.quantize(unit) if erp_total == erp_total.quantize(unit) else erp_total
        return (
            f"the ERP bill totals {shown} {invoice.currency} but the invoice totals "
            f"{invoice.total_amount} {invoice.currency} (tax {invoice.tax_amount})"
        )
    return None
