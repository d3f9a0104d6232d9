/**
 * @NApiVersion 2.1
 * @NModuleScope SameAccount
 *
 * SmartAP RESTlet library for transactions (purchase orders and vendor bills): the header fields both
 * share, the item and expense sublists merged into one `lines` array, the status tables that map
 * NetSuite's status text to SmartAP's standard values, loading a page of transactions within the
 * governance budget, and the vendor payments applied to a set of bills. Loaded as './smartap_txn_lib'.
 */
define(['N/search', 'N/record', './smartap_lib'], (search, record, lib) => {
    // Purchase order statuses: UI text -> standard status, with the search filter code of each
    // (netsuite-connector.md §Record fields names the record's `status`; the `PurchOrd:<letter>` codes are
    // the ones NetSuite's saved-search UI shows for the Status filter; `P` (Planned) is UNCERTAIN).
    const PO_STATUSES = [
        { text: 'Pending Supervisor Approval', code: 'PurchOrd:A', standard: 'draft' },
        { text: 'Pending Receipt', code: 'PurchOrd:B', standard: 'open' },
        { text: 'Rejected by Supervisor', code: 'PurchOrd:C', standard: 'cancelled' },
        { text: 'Partially Received', code: 'PurchOrd:D', standard: 'open' },
        { text: 'Pending Billing/Partially Received', code: 'PurchOrd:E', standard: 'open' },
        { text: 'Pending Bill', code: 'PurchOrd:F', standard: 'open' },
        { text: 'Fully Billed', code: 'PurchOrd:G', standard: 'closed' },
        { text: 'Closed', code: 'PurchOrd:H', standard: 'closed' },
        { text: 'Planned', code: 'PurchOrd:P', standard: 'draft' },
    ];

    // Vendor bill statuses (UI labels, netsuite-connector.md §Record fields [N13]). "Payment In Transit"
    // (only with that feature) means a payment has been issued, so SmartAP treats the bill as paid: a
    // decision, documented in docs/netsuite.md.
    const BILL_STATUSES = {
        'open': 'open',
        'paid in full': 'paid',
        'payment in transit': 'paid',
        'pending approval': 'pendingApproval',
        'cancelled': 'cancelled',
        'rejected': 'rejected',
    };

    const PAYMENT_SEARCH_UNITS = 30; // runPaged 5 + up to five fetches of 1,000 applications.

    function statusText(rec) {
        return lib.text(rec.getText({ fieldId: 'status' })) || lib.text(rec.getValue({ fieldId: 'status' }));
    }

    function standardPoStatus(text) {
        const key = String(text || '').toLowerCase();
        const found = PO_STATUSES.find((s) => s.text.toLowerCase() === key);
        return found ? found.standard : null;
    }

    function standardBillStatus(text) {
        return BILL_STATUSES[String(text || '').toLowerCase()] || null;
    }

    /** Search filter codes for standard PO statuses ("open,closed" -> ['PurchOrd:B', ...]). */
    function poStatusCodes(standards) {
        return PO_STATUSES.filter((s) => standards.includes(s.standard)).map((s) => s.code);
    }

    function lineId(rec, sublistId, i) {
        // `line` is the line's id within the transaction (what a bill's `orderline` points at);
        // fall back to the 1-based position when the field is empty.
        return lib.text(rec.getSublistValue({ sublistId, fieldId: 'line', line: i })) || String(i + 1);
    }

    function itemLine(rec, i) {
        const get = (fieldId) => rec.getSublistValue({ sublistId: 'item', fieldId, line: i });
        return {
            line: lineId(rec, 'item', i),
            sublist: 'item',
            item: lib.lineRef(rec, 'item', 'item', i),
            account: null,
            description: lib.text(get('description')),
            quantity: lib.num(get('quantity')),
            rate: lib.num(get('rate')),
            amount: lib.num(get('amount')),
            quantityBilled: lib.num(get('quantitybilled')),
            isClosed: lib.bool(get('isclosed')),
        };
    }

    function expenseLine(rec, i) {
        const get = (fieldId) => rec.getSublistValue({ sublistId: 'expense', fieldId, line: i });
        return {
            line: lineId(rec, 'expense', i),
            sublist: 'expense',
            item: null,
            account: lib.lineRef(rec, 'expense', 'account', i),
            description: lib.text(get('memo')),
            quantity: null,
            rate: null,
            amount: lib.num(get('amount')),
            quantityBilled: null,
            isClosed: lib.bool(get('isclosed')),
        };
    }

    /** Item lines then expense lines, each tagged with its sublist. */
    function readLines(rec) {
        const lines = [];
        const itemCount = Math.max(rec.getLineCount({ sublistId: 'item' }), 0);
        for (let i = 0; i < itemCount; i += 1) {
            lines.push(itemLine(rec, i));
        }
        const expenseCount = Math.max(rec.getLineCount({ sublistId: 'expense' }), 0);
        for (let i = 0; i < expenseCount; i += 1) {
            lines.push(expenseLine(rec, i));
        }
        return lines;
    }

    /**
     * Header fields shared by purchase orders and bills (camelCase as in
     * netsuite-connector.md §Record fields). `currency` carries the ISO code as `symbol`; loadRows has
     * already read it, so no units are spent here.
     */
    function header(rec, currencies) {
        return {
            id: String(rec.id),
            tranId: lib.text(rec.getValue({ fieldId: 'tranid' })),
            entity: lib.recordRef(rec, 'entity'),
            tranDate: lib.isoDate(rec.getValue({ fieldId: 'trandate' })),
            status: statusText(rec),
            currency: lib.currencyRef(lib.recordRef(rec, 'currency'), currencies),
            subsidiary: lib.recordRef(rec, 'subsidiary'),
            memo: lib.text(rec.getValue({ fieldId: 'memo' })),
            total: lib.num(rec.getValue({ fieldId: 'total' })),
            lastModifiedDate: lib.isoDateTime(rec.getValue({ fieldId: 'lastmodifieddate' })),
        };
    }

    /**
     * record.load for each search row (10 units) while the budget lasts, and the ISO code of its
     * currency (record.load of the currency, 5 units, the first time this call meets it). The currency
     * is only known once the transaction is loaded, so each row is budgeted at 15 units; most rows
     * then spend 10.
     */
    function loadRows(type, rows, trailingUnits, currencies) {
        const unitCost = lib.UNITS.LOAD_TRANSACTION + lib.UNITS.LOAD_OTHER;
        return lib.buildWithinBudget(rows, unitCost, trailingUnits, (row) => {
            const rec = record.load({ type, id: row.id, isDynamic: false });
            currencies.symbolOf(rec.getValue({ fieldId: 'currency' }));
            return rec;
        });
    }

    function paymentColumns() {
        // Amount applied to the bill: appliedtolinkamount is in base currency; with Multiple
        // Currencies the bill's own currency is appliedtoforeignamount (UNCERTAIN: both column ids are
        // the ones SuiteScript developers use; confirm in the Records Catalog).
        const amount = lib.featureOn('MULTICURRENCY') ? 'appliedtoforeignamount' : 'appliedtolinkamount';
        return [
            'tranid',
            'appliedtotransaction',
            amount,
            search.createColumn({ name: 'trandate', sort: search.Sort.ASC }),
            search.createColumn({ name: 'internalid', sort: search.Sort.ASC }),
        ];
    }

    /**
     * Vendor payments applied to the given bills: {billId: [{id, tranId, tranDate, amount}]}.
     * One vendorpayment search whose rows are the payments' apply lines (appliedtotransaction = the
     * bill). Costs runPaged 5 + 5 per 1,000 rows.
     */
    function paymentsByBill(billIds) {
        const byBill = {};
        billIds.forEach((id) => { byBill[id] = []; });
        if (billIds.length === 0) {
            return byBill;
        }
        const columns = paymentColumns();
        const paged = search.create({
            type: search.Type.VENDOR_PAYMENT,
            filters: [['appliedtotransaction', search.Operator.ANYOF, billIds]],
            columns,
        }).runPaged({ pageSize: lib.MAX_LIMIT });
        paged.pageRanges.forEach((range) => {
            paged.fetch({ index: range.index }).data.forEach((row) => addPayment(byBill, row, columns[2]));
        });
        return byBill;
    }

    function addPayment(byBill, row, amountColumn) {
        const billId = String(row.getValue('appliedtotransaction'));
        const list = byBill[billId];
        if (!list) {
            return;
        }
        // Payment-side amounts can carry the payment's sign; the contract reports the applied amount.
        const amount = Math.abs(lib.num(row.getValue(amountColumn)) || 0);
        const existing = list.find((p) => p.id === String(row.id));
        if (existing) {
            existing.amount = lib.sumMoney([existing.amount, amount]);
            return;
        }
        list.push({
            id: String(row.id),
            tranId: lib.text(row.getValue('tranid')),
            tranDate: lib.isoDate(row.getValue('trandate')),
            amount,
        });
    }

    return {
        PO_STATUSES,
        PAYMENT_SEARCH_UNITS,
        statusText,
        standardPoStatus,
        standardBillStatus,
        poStatusCodes,
        readLines,
        header,
        loadRows,
        paymentsByBill,
    };
});
