'use strict';
/**
 * Seed data for the fake account: reference records with fixed internal ids (currencies, subsidiary,
 * terms, accounts, items, tax codes) and builders for vendors, purchase orders, bills and vendor
 * payments. lastmodifieddate comes from the account clock unless given (`modified`).
 */
const { Ref } = require('./store');
const { round2 } = require('./n_record');

const IDS = Object.freeze({
    USD: '1', EUR: '2', GBP: '3', SUBSIDIARY: '1', NET30: '2',
    AP: '111', OFFICE: '58', TRAVEL: '59', BANK: '1',
    WIDGET: '201', GADGET: '202', TAX_CA: '7',
});

/** A date-only field value: local midnight, as NetSuite server scripts see date fields. */
function day(iso) {
    const [y, m, d] = iso.split('-').map(Number);
    return new Date(y, m - 1, d);
}

function seedReference(account) {
    const { store } = account;
    // A currency's name (what references show as their text) is a display name; the ISO 4217 code is
    // the record's `symbol` field (UI label "ISO Code"), as in a real account.
    store.add('currency', { name: 'US Dollar', symbol: 'USD', isbasecurrency: true }, {}, IDS.USD);
    store.add('currency', { name: 'Euro', symbol: 'EUR', isbasecurrency: false }, {}, IDS.EUR);
    store.add('currency', { name: 'British pound', symbol: 'GBP', isbasecurrency: false }, {}, IDS.GBP);
    store.add('subsidiary', { name: 'Honeycomb Mfg.' }, {}, IDS.SUBSIDIARY);
    store.add('term', { name: 'Net 30', daysuntilnetdue: 30 }, {}, IDS.NET30);
    store.add('account', { acctnumber: '2000', acctname: 'Accounts Payable', accttype: 'AcctPay' }, {}, IDS.AP);
    store.add('account', { acctnumber: '6100', acctname: 'Office Supplies', accttype: 'Expense' }, {}, IDS.OFFICE);
    store.add('account', { acctnumber: '6200', acctname: 'Travel', accttype: 'Expense' }, {}, IDS.TRAVEL);
    store.add('account', { acctnumber: '1000', acctname: 'Checking', accttype: 'Bank' }, {}, IDS.BANK);
    store.add('item', { itemid: 'WIDGET-1' }, {}, IDS.WIDGET);
    store.add('item', { itemid: 'GADGET-2' }, {}, IDS.GADGET);
    store.add('salestaxitem', { itemid: 'CA-SF', description: 'San Francisco', rate: 8.625 }, {}, IDS.TAX_CA);
}

function withModified(fields, modified) {
    return modified ? { ...fields, lastmodifieddate: new Date(modified) } : fields;
}

function addVendor(account, overrides) {
    const { store } = account;
    const o = overrides || {};
    const fields = {
        entityid: o.entityid || `V-${store.nextId}`,
        companyname: o.companyname || `Vendor ${store.nextId}`,
        isperson: false,
        isinactive: false,
        email: 'ap@example.com',
        phone: '555-0100',
        currency: store.ref('currency', IDS.USD),
        subsidiary: store.ref('subsidiary', IDS.SUBSIDIARY),
        terms: store.ref('term', IDS.NET30),
        ...o.fields,
    };
    return store.add('vendor', withModified(fields, o.modified));
}

function itemLine(account, l, i) {
    return {
        line: String(i + 1),
        item: account.store.ref('item', l.item || IDS.WIDGET),
        description: l.description === undefined ? 'Widget' : l.description,
        quantity: l.quantity,
        rate: l.rate,
        amount: round2(l.quantity * l.rate),
        quantitybilled: l.quantitybilled || 0,
        isclosed: Boolean(l.isclosed),
    };
}

function expenseLine(account, l, i, offset) {
    return {
        line: String(offset + i + 1),
        account: account.store.ref('account', l.account || IDS.OFFICE),
        memo: l.memo === undefined ? 'Expense' : l.memo,
        amount: l.amount,
        isclosed: Boolean(l.isclosed),
    };
}

function transaction(account, type, o) {
    const { store } = account;
    const items = (o.items || []).map((l, i) => itemLine(account, l, i));
    const expenses = (o.expenses || []).map((l, i) => expenseLine(account, l, i, items.length));
    const total = round2(items.concat(expenses).reduce((acc, l) => acc + l.amount, 0));
    const fields = {
        tranid: o.tranid || `${type === 'purchaseorder' ? 'PO' : 'BILL'}-${store.nextId}`,
        entity: store.ref('vendor', o.vendor),
        trandate: day(o.trandate || '2024-05-01'),
        currency: store.ref('currency', o.currency || IDS.USD),
        subsidiary: store.ref('subsidiary', IDS.SUBSIDIARY),
        memo: o.memo === undefined ? null : o.memo,
        total,
        ...o.fields,
    };
    return store.add(type, withModified(fields, o.modified), { item: items, expense: expenses });
}

function addPurchaseOrder(account, o) {
    return transaction(account, 'purchaseorder',
        { ...o, fields: { status: o.status || 'Pending Receipt', ...(o.fields || {}) } });
}

function addBill(account, o) {
    const id = transaction(account, 'vendorbill', o);
    const bill = account.store.get('vendorbill', id);
    Object.assign(bill.fields, {
        status: 'Open', amountpaid: 0, amountremaining: bill.fields.total, ...(o.fields || {}),
    });
    return id;
}

/**
 * A vendor payment applying amounts to bills ({billId: amount}), and the bills updated as NetSuite
 * does: amountpaid / amountremaining / status (Paid In Full at zero).
 */
function payBills(account, applications, o) {
    const { store } = account;
    const opts = o || {};
    const apply = Object.entries(applications).map(([billId, amount], i) => ({
        line: String(i + 1), doc: store.ref('vendorbill', billId), apply: true, amount,
    }));
    const total = round2(apply.reduce((acc, l) => acc + l.amount, 0));
    const vendor = store.get('vendorbill', Object.keys(applications)[0]).fields.entity;
    const id = store.add('vendorpayment', {
        tranid: opts.tranid || `PAY-${store.nextId}`,
        trandate: day(opts.trandate || '2024-06-01'),
        entity: new Ref(vendor.id, vendor.text),
        account: store.ref('account', IDS.BANK),
        total,
        status: 'Online Bill Pay',
    }, { apply });
    Object.entries(applications).forEach(([billId, amount]) => {
        const bill = store.copy('vendorbill', billId);
        bill.fields.amountpaid = round2((bill.fields.amountpaid || 0) + amount);
        bill.fields.amountremaining = round2(bill.fields.total - bill.fields.amountpaid);
        bill.fields.status = bill.fields.amountremaining === 0 ? 'Paid In Full' : 'Open';
        store.put(bill);
    });
    return id;
}

module.exports = { IDS, day, seedReference, addVendor, addPurchaseOrder, addBill, payBills };
