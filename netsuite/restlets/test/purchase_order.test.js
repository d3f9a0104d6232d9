'use strict';
// Purchase orders RESTlet: header and merged item/expense lines, NetSuite status -> statusRef, the
// status filter, paging, get by id and NOT_FOUND.
const test = require('node:test');
const assert = require('node:assert/strict');
const { restlet } = require('./support/harness');
const fx = require('./support/fixtures');
const { STATUS_CODES } = require('./support/n_search');

function setup() {
    const r = restlet('smartap_purchase_order_restlet.js');
    fx.seedReference(r.account);
    const vendor = fx.addVendor(r.account, { companyname: 'Acme Supplies Ltd' });
    return { r, vendor };
}

function addOrder(r, vendor, status) {
    r.account.clock.advance(60);
    return fx.addPurchaseOrder(r.account, { vendor, status, items: [{ quantity: 1, rate: 10 }] });
}

test('a purchase order with item and expense lines in the contract shape', () => {
    const { r, vendor } = setup();
    r.account.clock.set('2024-05-03T08:15:00Z');
    const id = fx.addPurchaseOrder(r.account, {
        vendor, tranid: 'PO-0042', trandate: '2024-05-02', memo: 'Q2 restock', status: 'Partially Received',
        currency: fx.IDS.EUR,
        items: [
            { item: fx.IDS.WIDGET, description: 'Blue widget', quantity: 10, rate: 2.35, quantitybilled: 4 },
            { item: fx.IDS.GADGET, description: null, quantity: 1, rate: 99.99, isclosed: true },
        ],
        expenses: [{ account: fx.IDS.TRAVEL, memo: 'Delivery', amount: 15.5 }],
    });
    const res = r.get({ id });
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, {
        id,
        tranId: 'PO-0042',
        entity: { id: vendor, refName: 'Acme Supplies Ltd' },
        tranDate: '2024-05-02',
        status: 'Partially Received',
        statusRef: 'open',
        currency: { id: fx.IDS.EUR, refName: 'Euro', symbol: 'EUR' },
        subsidiary: { id: fx.IDS.SUBSIDIARY, refName: 'Honeycomb Mfg.' },
        memo: 'Q2 restock',
        total: 138.99,
        lastModifiedDate: '2024-05-03T08:15:00.000Z',
        lines: [
            {
                line: '1', sublist: 'item', item: { id: fx.IDS.WIDGET, refName: 'WIDGET-1' }, account: null,
                description: 'Blue widget', quantity: 10, rate: 2.35, amount: 23.5, quantityBilled: 4, isClosed: false,
            },
            {
                line: '2', sublist: 'item', item: { id: fx.IDS.GADGET, refName: 'GADGET-2' }, account: null,
                description: null, quantity: 1, rate: 99.99, amount: 99.99, quantityBilled: 0, isClosed: true,
            },
            {
                line: '3', sublist: 'expense', item: null, account: { id: fx.IDS.TRAVEL, refName: '6200 Travel' },
                description: 'Delivery', quantity: null, rate: null, amount: 15.5, quantityBilled: null, isClosed: false,
            },
        ],
    });
});

test('every NetSuite purchase order status maps to a standard statusRef', () => {
    const { r, vendor } = setup();
    const expected = {
        'Pending Supervisor Approval': 'draft', 'Planned': 'draft', 'Pending Receipt': 'open',
        'Partially Received': 'open', 'Pending Billing/Partially Received': 'open', 'Pending Bill': 'open',
        'Fully Billed': 'closed', 'Closed': 'closed', 'Rejected by Supervisor': 'cancelled',
    };
    assert.deepEqual(Object.keys(expected).sort(), Object.values(STATUS_CODES.purchaseorder).sort());
    Object.entries(expected).forEach(([status, statusRef]) => {
        const po = r.get({ id: addOrder(r, vendor, status) }).body;
        assert.deepEqual([po.status, po.statusRef], [status, statusRef]);
    });
});

test('the status filter selects purchase orders by standard status', () => {
    const { r, vendor } = setup();
    const ids = {};
    ['Pending Receipt', 'Pending Bill', 'Fully Billed', 'Closed', 'Pending Supervisor Approval',
        'Rejected by Supervisor'].forEach((s) => { ids[s] = addOrder(r, vendor, s); });
    const list = (status) => r.get({ status }).body.items.map((po) => po.id);
    assert.deepEqual(list('open'), [ids['Pending Receipt'], ids['Pending Bill']]);
    assert.deepEqual(list('closed'), [ids['Fully Billed'], ids.Closed]);
    assert.deepEqual(list('draft'), [ids['Pending Supervisor Approval']]);
    assert.deepEqual(list(' Cancelled , draft '), [ids['Pending Supervisor Approval'], ids['Rejected by Supervisor']]);
    assert.equal(list('').length, 6);
    assert.equal(r.get({ status: 'open', limit: '1' }).body.totalResults, 2);
});

test('an unknown status is INVALID_PARAMETER', () => {
    const { r } = setup();
    for (const status of ['pending', 'open,billed', ',']) {
        const res = r.get({ status });
        assert.equal(res.status, 400);
        assert.equal(res.body.error.code, 'INVALID_PARAMETER');
        assert.match(res.body.error.message, /^status must be a comma-separated list of open, closed, draft, cancelled/);
    }
});

test('since, status and paging combine; pages follow lastmodifieddate then id', () => {
    const { r, vendor } = setup();
    r.account.clock.set('2024-05-01T00:00:00Z');
    addOrder(r, vendor, 'Pending Receipt');
    r.account.clock.set('2024-06-01T00:00:00Z');
    const recent = [1, 2, 3, 4].map(() => addOrder(r, vendor, 'Pending Receipt'));
    addOrder(r, vendor, 'Closed');
    const params = { since: '2024-06-01T00:00:00Z', status: 'open', limit: '3' };
    const first = r.get(params).body;
    const second = r.get({ ...params, offset: String(first.count) }).body;
    assert.deepEqual(first.items.concat(second.items).map((po) => po.id), recent);
    assert.deepEqual([first.hasMore, second.hasMore, first.totalResults], [true, false, 4]);
});

test('one row per purchase order, however many lines it has', () => {
    const { r, vendor } = setup();
    fx.addPurchaseOrder(r.account, {
        vendor, items: [1, 2, 3, 4].map((q) => ({ quantity: q, rate: 1 })), expenses: [{ amount: 3 }, { amount: 4 }],
    });
    const page = r.get({}).body;
    assert.equal(page.totalResults, 1);
    assert.equal(page.items[0].lines.length, 6);
});

test('get by id: NOT_FOUND for a missing id and for a vendor bill id', () => {
    const { r, vendor } = setup();
    assert.deepEqual(r.get({ id: '31337' }).body, {
        error: { code: 'NOT_FOUND', message: 'purchase order 31337 not found' },
    });
    const billId = fx.addBill(r.account, { vendor, expenses: [{ amount: 5 }] });
    assert.equal(r.get({ id: billId }).body.error.code, 'NOT_FOUND');
});
