/**
 * @NApiVersion 2.1
 * @NModuleScope SameAccount
 *
 * SmartAP RESTlet library: writes a validated vendor bill request (see smartap_bill_input) into
 * NetSuite and returns the new internal id. A bill for a purchase order is made with record.transform
 * from the PO (what the UI's "Bill" button does, netsuite-connector.md §Record fields [N15]), which links
 * each billed line to its PO line; any other bill with record.create. Both in dynamic mode, lines added with
 * selectNewLine / setCurrentSublistValue / commitLine. A value NetSuite refuses comes back as
 * INVALID_FIELD_VALUE naming the request field ("expense[0].account.id: ..."). Loaded as
 * './smartap_bill_writer'.
 */
define(['N/record', './smartap_lib'], (record, lib) => {
    function rethrowFor(path, action) {
        try {
            return action();
        } catch (e) {
            return lib.fail('INVALID_FIELD_VALUE', `${path}: ${e.message}`);
        }
    }

    function setField(rec, fieldId, value, path) {
        rethrowFor(path, () => rec.setValue({ fieldId, value }));
    }

    /** Sets fieldId unless it already holds that id (a transformed bill inherits the PO's values). */
    function setRefIfDifferent(rec, fieldId, ref, path) {
        if (ref !== null && String(rec.getValue({ fieldId })) !== ref.id) {
            setField(rec, fieldId, ref.id, path);
        }
    }

    function itemValues(line, includeItem) {
        const values = includeItem ? [['item', line.item.id, 'item.id']] : [];
        values.push(['quantity', line.quantity, 'quantity'], ['rate', line.rate, 'rate']);
        // Dynamic mode computes amount = quantity x rate; an explicit amount is set after it.
        if (line.amount !== null) {
            values.push(['amount', line.amount, 'amount']);
        }
        if (line.description !== null) {
            values.push(['description', line.description, 'description']);
        }
        if (line.taxCode !== null) {
            values.push(['taxcode', line.taxCode.id, 'taxCode.id']);
        }
        // The line's share of the invoice tax, set after the code (which sources its own figure).
        if (line.tax1Amt !== null) {
            values.push(['tax1amt', line.tax1Amt, 'tax1Amt']);
        }
        return values;
    }

    function expenseValues(line) {
        const values = [['account', line.account.id, 'account.id'], ['amount', line.amount, 'amount']];
        if (line.memo !== null) {
            values.push(['memo', line.memo, 'memo']);
        }
        if (line.taxCode !== null) {
            values.push(['taxcode', line.taxCode.id, 'taxCode.id']);
        }
        // The line's share of the invoice tax, set after the code (which sources its own figure).
        if (line.tax1Amt !== null) {
            values.push(['tax1amt', line.tax1Amt, 'tax1Amt']);
        }
        return values;
    }

    function setCurrentLine(rec, sublistId, line, values) {
        values.forEach(([fieldId, value, key]) => {
            rethrowFor(`${line.path}.${key}`, () => rec.setCurrentSublistValue({ sublistId, fieldId, value }));
        });
        rethrowFor(line.path, () => rec.commitLine({ sublistId }));
    }

    function addLine(rec, sublistId, line, values) {
        rec.selectNewLine({ sublistId });
        setCurrentLine(rec, sublistId, line, values);
    }

    function newBill(input) {
        const rec = record.create({ type: record.Type.VENDOR_BILL, isDynamic: true });
        // The vendor goes first: in dynamic mode it sources currency, terms, A/P account, subsidiary.
        setField(rec, 'entity', input.entity.id, 'entity.id');
        return rec;
    }

    function fromPurchaseOrder(input) {
        const poId = input.createdFrom.id;
        const rec = rethrowFor('createdFrom.id', () => record.transform({
            fromType: record.Type.PURCHASE_ORDER,
            fromId: Number(poId),
            toType: record.Type.VENDOR_BILL,
            isDynamic: true,
        }));
        const vendor = String(rec.getValue({ fieldId: 'entity' }));
        if (vendor !== input.entity.id) {
            lib.fail('INVALID_FIELD_VALUE',
                `entity.id ${input.entity.id} is not the vendor of purchase order ${poId} (vendor ${vendor})`);
        }
        return rec;
    }

    function setHeader(rec, input) {
        setRefIfDifferent(rec, 'subsidiary', input.subsidiary, 'subsidiary.id');
        // tranDate before dueDate: a new date makes NetSuite recompute the due date from the terms.
        setField(rec, 'trandate', lib.parseIsoDate(input.tranDate), 'tranDate');
        setRefIfDifferent(rec, 'currency', input.currency, 'currency.id');
        setRefIfDifferent(rec, 'account', input.account, 'account.id');
        if (input.dueDate !== null) {
            setField(rec, 'duedate', lib.parseIsoDate(input.dueDate), 'dueDate');
        }
        setField(rec, 'tranid', input.tranId, 'tranId');
        if (input.memo !== null) {
            setField(rec, 'memo', input.memo, 'memo');
        }
        setField(rec, 'externalid', input.externalId, 'externalId');
    }

    function removeAllLines(rec, sublistId) {
        for (let i = rec.getLineCount({ sublistId }) - 1; i >= 0; i -= 1) {
            rec.removeLine({ sublistId, line: i });
        }
    }

    function checkOrderLinesExist(rec, input, ordered) {
        const onOrder = {};
        for (let i = 0; i < rec.getLineCount({ sublistId: 'item' }); i += 1) {
            onOrder[lib.text(rec.getSublistValue({ sublistId: 'item', fieldId: 'orderline', line: i }))] = i;
        }
        ordered.forEach((line) => {
            const i = onOrder[line.orderLine];
            if (i === undefined) {
                lib.fail('INVALID_FIELD_VALUE', `${line.path}.orderLine ${line.orderLine} is not a billable line `
                    + `of purchase order ${input.createdFrom.id}`);
            }
            const item = String(rec.getSublistValue({ sublistId: 'item', fieldId: 'item', line: i }));
            if (item !== line.item.id) {
                lib.fail('INVALID_FIELD_VALUE', `${line.path}.item.id ${line.item.id} does not match item ${item} `
                    + `of purchase order line ${line.orderLine}`);
            }
        });
    }

    /**
     * The transform copies every unbilled PO line; keep the item lines the request bills (setting its
     * quantity, rate, ...), drop the others, and drop the copied expense lines (the request's expense
     * lines are added afterwards).
     */
    function keepOrderedLines(rec, input) {
        const ordered = input.item.filter((line) => line.orderLine !== null);
        checkOrderLinesExist(rec, input, ordered);
        removeAllLines(rec, 'expense');
        for (let i = rec.getLineCount({ sublistId: 'item' }) - 1; i >= 0; i -= 1) {
            const orderLine = lib.text(rec.getSublistValue({ sublistId: 'item', fieldId: 'orderline', line: i }));
            const line = ordered.find((l) => l.orderLine === orderLine);
            if (!line) {
                rec.removeLine({ sublistId: 'item', line: i });
            } else {
                rec.selectLine({ sublistId: 'item', line: i });
                setCurrentLine(rec, 'item', line, itemValues(line, false));
            }
        }
    }

    /** Creates the bill (create or transform 10 units, save 20) and returns its internal id. */
    function create(input) {
        const rec = input.createdFrom === null ? newBill(input) : fromPurchaseOrder(input);
        setHeader(rec, input);
        if (input.createdFrom !== null) {
            keepOrderedLines(rec, input);
        }
        input.item.filter((line) => line.orderLine === null)
            .forEach((line) => addLine(rec, 'item', line, itemValues(line, true)));
        input.expense.forEach((line) => addLine(rec, 'expense', line, expenseValues(line)));
        return String(rec.save({ enableSourcing: true, ignoreMandatoryFields: false }));
    }

    return { create };
});
