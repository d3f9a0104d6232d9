'use strict';
// Vendor bills RESTlet, GET: shape, payments applied (found by search) with amountPaid and
// amountRemaining, statusRef, lookup by externalId, listing, NOT_FOUND.
const test = require('node:test');
const assert = require('node:assert/strict');
const { restlet } = require('./support/harness');
const fx = require('./support/fixtures');

function setup(options) {
    const r = restlet('smartap_vendor_bill_restlet.js', options);
    fx.seedReference(r.account);
    const vendor = fx.addVendor(r.account, { companyname: 'Acme Supplies Ltd' });
    return { r, vendor };
}

test('a partly paid bill: payments, amountPaid, amountRemaining and status', () => {
    const { r, vendor } = setup();
    const po = fx.addPurchaseOrder(r.account, { vendor, tranid: 'PO-7', items: [{ quantity: 4, rate: 25 }] });
    const id = fx.addBill(r.account, {
        vendor, tranid: 'INV-1001', trandate: '2024-05-10', memo: 'May delivery',
        items: [{ quantity: 4, rate: 25, description: 'Widgets' }],
        expenses: [{ account: fx.IDS.TRAVEL, amount: 20.25, memo: 'Freight' }],
        fields: {
            externalid: 'ap-inv-1001', duedate: fx.day('2024-06-09'),
            createdfrom: r.account.store.ref('purchaseorder', po),
        },
    });
    const pay1 = fx.payBills(r.account, { [id]: 50 }, { tranid: 'PAY-1', trandate: '2024-05-20' });
    r.account.clock.set('2024-05-25T16:45:10Z');
    const pay2 = fx.payBills(r.account, { [id]: 30.1 }, { tranid: 'PAY-2', trandate: '2024-05-25' });
    const bill = r.get({ id }).body;
    assert.deepEqual(bill, {
        id,
        externalId: 'ap-inv-1001',
        tranId: 'INV-1001',
        entity: { id: vendor, refName: 'Acme Supplies Ltd' },
        tranDate: '2024-05-10',
        dueDate: '2024-06-09',
        status: 'Open',
        statusRef: 'open',
        currency: { id: fx.IDS.USD, refName: 'US Dollar', symbol: 'USD' },
        subsidiary: { id: fx.IDS.SUBSIDIARY, refName: 'Honeycomb Mfg.' },
        memo: 'May delivery',
        total: 120.25,
        amountPaid: 80.1,
        amountRemaining: 40.15,
        createdFrom: { id: po, refName: 'Purchase Order #PO-7' },
        lastModifiedDate: '2024-05-25T16:45:10.000Z',
        lines: [
            {
                line: '1', sublist: 'item', item: { id: fx.IDS.WIDGET, refName: 'WIDGET-1' }, account: null,
                description: 'Widgets', quantity: 4, rate: 25, amount: 100, quantityBilled: 0, isClosed: false,
            },
            {
                line: '2', sublist: 'expense', item: null, account: { id: fx.IDS.TRAVEL, refName: '6200 Travel' },
                description: 'Freight', quantity: null, rate: null, amount: 20.25, quantityBilled: null, isClosed: false,
            },
        ],
        payments: [
            { id: pay1, tranId: 'PAY-1', tranDate: '2024-05-20', amount: 50 },
            { id: pay2, tranId: 'PAY-2', tranDate: '2024-05-25', amount: 30.1 },
        ],
    });
});

test('a fully paid bill is statusRef paid with nothing remaining', () => {
    const { r, vendor } = setup();
    const id = fx.addBill(r.account, { vendor, expenses: [{ amount: 75 }] });
    fx.payBills(r.account, { [id]: 75 });
    const bill = r.get({ id }).body;
    assert.deepEqual([bill.status, bill.statusRef, bill.amountPaid, bill.amountRemaining], ['Paid In Full', 'paid', 75, 0]);
});

test('bill statuses map to standard statusRef values', () => {
    const { r, vendor } = setup();
    const expected = {
        'Open': 'open', 'Paid In Full': 'paid', 'Payment In Transit': 'paid', 'Pending Approval': 'pendingApproval',
        'Cancelled': 'cancelled', 'Rejected': 'rejected',
    };
    Object.entries(expected).forEach(([status, statusRef]) => {
        const id = fx.addBill(r.account, { vendor, expenses: [{ amount: 1 }], fields: { status } });
        assert.equal(r.get({ id }).body.statusRef, statusRef, status);
    });
});

test('a payment applied to several bills is split per bill; other bills\' payments stay out', () => {
    const { r, vendor } = setup();
    const a = fx.addBill(r.account, { vendor, expenses: [{ amount: 100 }] });
    const b = fx.addBill(r.account, { vendor, expenses: [{ amount: 200 }] });
    const c = fx.addBill(r.account, { vendor, expenses: [{ amount: 300 }] });
    const shared = fx.payBills(r.account, { [a]: 100, [b]: 60 }, { tranid: 'PAY-SHARED' });
    fx.payBills(r.account, { [c]: 300 }, { tranid: 'PAY-C' });
    const page = r.get({}).body;
    const byId = Object.fromEntries(page.items.map((bill) => [bill.id, bill]));
    assert.deepEqual(byId[a].payments, [{ id: shared, tranId: 'PAY-SHARED', tranDate: '2024-06-01', amount: 100 }]);
    assert.deepEqual(byId[b].payments.map((p) => [p.tranId, p.amount]), [['PAY-SHARED', 60]]);
    assert.deepEqual(byId[c].payments.map((p) => p.tranId), ['PAY-C']);
    assert.deepEqual([byId[b].amountPaid, byId[b].amountRemaining, byId[b].statusRef], [60, 140, 'open']);
});

test('without amountpaid/amountremaining on the record they follow from the payments, to the cent', () => {
    const { r, vendor } = setup();
    const id = fx.addBill(r.account, { vendor, expenses: [{ amount: 100.1 }] });
    fx.payBills(r.account, { [id]: 33.37 });
    fx.payBills(r.account, { [id]: 33.37 });
    const stored = r.account.store.get('vendorbill', id);
    delete stored.fields.amountpaid;
    delete stored.fields.amountremaining;
    const bill = r.get({ id }).body;
    assert.equal(bill.amountPaid, 66.74);
    assert.equal(bill.amountRemaining, 33.36);
});

test('externalId finds the bill; NOT_FOUND otherwise; id with externalId is refused', () => {
    const { r, vendor } = setup();
    const id = fx.addBill(r.account, { vendor, expenses: [{ amount: 9 }], fields: { externalid: 'ap-x/1 & 2' } });
    fx.addBill(r.account, { vendor, expenses: [{ amount: 9 }], fields: { externalid: 'ap-other' } });
    assert.equal(r.get({ externalId: 'ap-x/1 & 2' }).body.id, id);
    assert.deepEqual(r.get({ externalId: 'ap-missing' }).body, {
        error: { code: 'NOT_FOUND', message: 'vendor bill with externalId "ap-missing" not found' },
    });
    assert.equal(r.get({ id, externalId: 'ap-x/1 & 2' }).body.error.code, 'INVALID_PARAMETER');
    assert.equal(r.get({ id: '8888' }).body.error.message, 'vendor bill 8888 not found');
});

test('list: one row per bill, ordered and paged, since honoured', () => {
    const { r, vendor } = setup();
    r.account.clock.set('2024-05-01T00:00:00Z');
    fx.addBill(r.account, { vendor, expenses: [{ amount: 1 }, { amount: 2 }] });
    r.account.clock.set('2024-06-01T00:00:00Z');
    const recent = [1, 2, 3].map((n) => fx.addBill(r.account, { vendor, expenses: [{ amount: n }, { amount: n }] }));
    const first = r.get({ since: '2024-05-31T00:00:00Z', limit: '2' }).body;
    const second = r.get({ since: '2024-05-31T00:00:00Z', limit: '2', offset: '2' }).body;
    assert.deepEqual(first.items.concat(second.items).map((b) => b.id), recent);
    assert.deepEqual([first.totalResults, first.hasMore, second.hasMore], [3, true, false]);
});
