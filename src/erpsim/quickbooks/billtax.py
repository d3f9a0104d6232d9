"""Tax on purchase transactions (Bill), the way QuickBooks Online computes it.

Lines carry `TaxCodeRef`; a code taxes purchases through the TaxRates of its `PurchaseTaxRateList`
(quickbooks.md §Entities: purchase-side codes are those with a non-empty list; US companies' `TAX`/`NON` codes
have none, and a US bill carries no purchase tax). For every rate, `NetAmountTaxable` is the sum of
the amounts of the lines whose code references it, and the tax line is that times the rate, rounded
half up to the cent; `TxnTaxDetail.TotalTax` is their sum. `GlobalTaxCalculation` (quickbooks.md §Entities):
`TaxExcluded` (the default once a purchase rate applies) adds the tax to the line amounts for
`TotalAmt`; `TaxInclusive` takes it out of them (TotalAmt = the line sum); `NotApplicable` computes
none. UNCERTAIN choice: a `TxnTaxDetail` sent by the client does not override the computed tax (the
non-US tax guide says QuickBooks calculates it from the lines' tax codes); it is replaced.
`add_purchase_tax_code` creates a TaxRate and a purchase TaxCode, as a non-US company's
administrator (or the TaxService endpoint) would.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from erpsim.quickbooks import faults as f
from erpsim.quickbooks.store import QboStore, ref

CENT = Decimal("0.01")
CALCULATIONS = ("TaxExcluded", "TaxInclusive", "NotApplicable")


def _purchase_rates(store: QboStore, code_id: str) -> list[dict[str, Any]]:
    code = store.records["TaxCode"].get(code_id) or {}
    details = (code.get("PurchaseTaxRateList") or {}).get("TaxRateDetail") or []
    rates = (store.records["TaxRate"].get(str(d["TaxRateRef"]["value"])) for d in details)
    return [rate for rate in rates if rate is not None]


def _line_code(line: dict[str, Any]) -> str | None:
    detail = line.get(line["DetailType"]) or {}
    code = detail.get("TaxCodeRef")
    return str(code["value"]) if code else None


def apply_tax(store: QboStore, fields: dict[str, Any], calculation: Any) -> Decimal:
    """Fill `TxnTaxDetail` / `GlobalTaxCalculation` of a validated bill; returns its `TotalAmt`."""
    if calculation is not None and calculation not in CALCULATIONS:
        raise f.invalid_enum(calculation, "GlobalTaxCalculation")
    line_sum = sum((line["Amount"] for line in fields["Line"]), Decimal("0"))
    taxable: dict[str, Decimal] = {}
    rates: dict[str, dict[str, Any]] = {}
    for line in fields["Line"]:
        code = _line_code(line)
        for rate in _purchase_rates(store, code) if code else []:
            rates[rate["Id"]] = rate
            taxable[rate["Id"]] = taxable.get(rate["Id"], Decimal("0")) + line["Amount"]
    if not taxable or calculation == "NotApplicable":
        return line_sum  # no purchase tax (a US company, or tax switched off for this bill)
    inclusive = calculation == "TaxInclusive"
    tax_lines: list[dict[str, Any]] = []
    for rate_id, amount in taxable.items():
        percent = Decimal(str(rates[rate_id]["RateValue"]))
        factor = percent / (100 + percent) if inclusive else percent / 100
        tax = (amount * factor).quantize(CENT, rounding=ROUND_HALF_UP)
        tax_lines.append(
            {
                "Amount": tax,
                "DetailType": "TaxLineDetail",
                "TaxLineDetail": {
                    "TaxRateRef": ref(rate_id, rates[rate_id]["Name"]),
                    "PercentBased": True,
                    "TaxPercent": percent,
                    "NetAmountTaxable": amount - tax if inclusive else amount,
                },
            }
        )
    total_tax = sum((t["Amount"] for t in tax_lines), Decimal("0"))
    fields["GlobalTaxCalculation"] = calculation or "TaxExcluded"
    fields["TxnTaxDetail"] = {"TotalTax": total_tax, "TaxLine": tax_lines}
    return line_sum if inclusive else line_sum + total_tax


def add_purchase_tax_code(store: QboStore, name: str, rate: Decimal) -> dict[str, Any]:
    """A TaxRate of `rate` percent and a TaxCode taxing purchases (and sales) with it."""
    tax_rate = store.insert(
        "TaxRate",
        {
            "Name": name,
            "Description": name,
            "Active": True,
            "RateValue": rate,
            "AgencyRef": ref("1"),
            "SpecialTaxType": "NONE",
            "DisplayType": "ReadOnly",
        },
    )
    details = {
        "TaxRateDetail": [
            {"TaxRateRef": ref(tax_rate["Id"], name), "TaxTypeApplicable": "TaxOnAmount", "TaxOrder": 0}
        ]
    }
    return store.insert(
        "TaxCode",
        {
            "Name": name,
            "Description": name,
            "Active": True,
            "Taxable": True,
            "TaxGroup": False,
            "SalesTaxRateList": details,
            "PurchaseTaxRateList": details,
        },
    )
