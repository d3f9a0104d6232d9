"""What the simulated Service Layer knows about its entity sets: keys, field kinds and enums.

The OData layer needs the type of every filterable field to compare values the way the Service
Layer does: enums by name or by one-letter value (`CardType eq 'cSupplier'` is `CardType eq 'S'`,
sap.md §Query options), dates given as `'2024-05-01'`, `'20240501'` or `datetime'2024-05-01T00:00:00'` with
the time part ignored, times as `'18:38'`, numbers as Decimal. Names are the `$metadata` names of
sap.md §Entities and §Accounts and tax codes; a field not listed here is unknown and refused in `$filter` /
`$select` / `$orderby`, as the real server refuses properties its `$metadata` does not have.
"""

from __future__ import annotations

from dataclasses import dataclass

# BoYesNoEnum and friends: name -> stored letter (sap.md §Entities, §Accounts and tax codes).
YES_NO = {"tYES": "Y", "tNO": "N"}
ENUMS: dict[str, dict[str, str]] = {
    "BoYesNoEnum": YES_NO,
    "BoCardTypes": {"cCustomer": "C", "cSupplier": "S", "cLid": "L"},
    "BoStatus": {"bost_Open": "O", "bost_Close": "C", "bost_Paid": "P", "bost_Delivered": "D"},
    "BoDocumentTypes": {"dDocument_Items": "I", "dDocument_Service": "S"},
    "BoRcptTypes": {"rCustomer": "C", "rSupplier": "S", "rAccount": "A"},
    "BoRcptInvTypes": {"it_Invoice": "13", "it_PurchaseInvoice": "18", "it_CredItnote": "14"},
    "BoAccountTypes": {"at_Revenues": "I", "at_Expenses": "E", "at_Other": "N"},
    "BoVatCategoryEnum": {"bovcInputTax": "I", "bovcOutputTax": "O"},
    "BoAddressType": {"bo_BillTo": "B", "bo_ShipTo": "S"},
    "BoPaymentsObjectType": {"bopot_IncomingPayments": "24", "bopot_OutgoingPayments": "46"},
}

STRING, INT, NUMBER, DATE, TIME, COLLECTION = "string", "int", "number", "date", "time", "collection"


@dataclass(frozen=True)
class EntitySet:
    """One entity set: its key field and key type, and the kind of each field (or an enum name)."""

    name: str
    key: str
    key_kind: str
    fields: dict[str, str]

    def kind(self, field: str) -> str | None:
        return self.fields.get(field)


_BP_FIELDS = {
    "CardCode": STRING,
    "CardName": STRING,
    "CardForeignName": STRING,
    "CardType": "BoCardTypes",
    "GroupCode": INT,
    "FederalTaxID": STRING,
    "EmailAddress": STRING,
    "Phone1": STRING,
    "Phone2": STRING,
    "Address": STRING,
    "ZipCode": STRING,
    "City": STRING,
    "Country": STRING,
    "MailAddress": STRING,
    "BilltoDefault": STRING,
    "ShipToDefault": STRING,
    "PayTermsGrpCode": INT,
    "Currency": STRING,
    "VatGroup": STRING,
    "VatLiable": "BoYesNoEnum",
    "DebitorAccount": STRING,
    "Valid": "BoYesNoEnum",
    "Frozen": "BoYesNoEnum",
    "CreateDate": DATE,
    "CreateTime": TIME,
    "UpdateDate": DATE,
    "UpdateTime": TIME,
    "BPAddresses": COLLECTION,
}
_DOCUMENT_FIELDS = {
    "DocEntry": INT,
    "DocNum": INT,
    "DocType": "BoDocumentTypes",
    "DocDate": DATE,
    "DocDueDate": DATE,
    "TaxDate": DATE,
    "CardCode": STRING,
    "CardName": STRING,
    "NumAtCard": STRING,
    "DocTotal": NUMBER,
    "DocTotalFc": NUMBER,
    "DocTotalSys": NUMBER,
    "PaidToDate": NUMBER,  # newer Service Layer versions (sap.md §Paid or not)
    "VatSum": NUMBER,
    "DocCurrency": STRING,
    "DocRate": NUMBER,
    "Comments": STRING,
    "JournalMemo": STRING,
    "PaymentGroupCode": INT,
    "DocumentStatus": "BoStatus",
    "Cancelled": "BoYesNoEnum",
    "CreationDate": DATE,
    "UpdateDate": DATE,
    "UpdateTime": TIME,
    "DocumentLines": COLLECTION,
    "DocumentInstallments": COLLECTION,
}
_PAYMENT_FIELDS = {
    "DocEntry": INT,
    "DocNum": INT,
    "DocType": "BoRcptTypes",
    "DocDate": DATE,
    "DueDate": DATE,
    "TaxDate": DATE,
    "CardCode": STRING,
    "CardName": STRING,
    "DocCurrency": STRING,
    "CashAccount": STRING,
    "CashSum": NUMBER,
    "TransferAccount": STRING,
    "TransferSum": NUMBER,
    "TransferDate": DATE,
    "TransferReference": STRING,
    "CounterReference": STRING,
    "Remarks": STRING,
    "JournalRemarks": STRING,
    "ControlAccount": STRING,
    "Cancelled": "BoYesNoEnum",
    "DocObjectCode": "BoPaymentsObjectType",
    "PaymentInvoices": COLLECTION,
    "PaymentChecks": COLLECTION,
}
_ACCOUNT_FIELDS = {
    "Code": STRING,
    "Name": STRING,
    "FormatCode": STRING,
    "Balance": NUMBER,
    "ActiveAccount": "BoYesNoEnum",
    "AccountType": "BoAccountTypes",
    "AcctCurrency": STRING,
    "FatherAccountKey": STRING,
    "ValidFor": "BoYesNoEnum",
    "FrozenFor": "BoYesNoEnum",
    "DefaultVatGroup": STRING,
    "TaxLiableAccount": "BoYesNoEnum",
}
_VAT_FIELDS = {
    "Code": STRING,
    "Name": STRING,
    "Category": "BoVatCategoryEnum",
    "TaxAccount": STRING,
    "Inactive": "BoYesNoEnum",
    "VatGroups_Lines": COLLECTION,
}
_SALES_TAX_FIELDS = {
    "Code": STRING,
    "Name": STRING,
    "Rate": NUMBER,
    "ValidForAP": "BoYesNoEnum",
    "ValidForAR": "BoYesNoEnum",
    "Inactive": "BoYesNoEnum",
    "SalesTaxCodes_Lines": COLLECTION,
}
_TERMS_FIELDS = {"GroupNumber": INT, "PaymentTermsGroupName": STRING, "NumberOfAdditionalDays": INT}

ENTITY_SETS: dict[str, EntitySet] = {
    s.name: s
    for s in (
        EntitySet("BusinessPartners", "CardCode", STRING, _BP_FIELDS),
        EntitySet("PurchaseOrders", "DocEntry", INT, _DOCUMENT_FIELDS),
        EntitySet("PurchaseInvoices", "DocEntry", INT, _DOCUMENT_FIELDS),
        EntitySet("VendorPayments", "DocEntry", INT, _PAYMENT_FIELDS),
        EntitySet("IncomingPayments", "DocEntry", INT, _PAYMENT_FIELDS),
        EntitySet("ChartOfAccounts", "Code", STRING, _ACCOUNT_FIELDS),
        EntitySet("VatGroups", "Code", STRING, _VAT_FIELDS),
        EntitySet("SalesTaxCodes", "Code", STRING, _SALES_TAX_FIELDS),
        EntitySet("PaymentTermsTypes", "GroupNumber", INT, _TERMS_FIELDS),
    )
}
