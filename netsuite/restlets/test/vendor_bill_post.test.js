'use strict';
// Vendor bills RESTlet, POST: creation with expense and item lines, idempotency by externalId (also
// under a race), bills for purchase orders (transform, orderLine), validation errors naming the field.
const test = require('node:test');
const assert = require('node:assert/strict');
const { restlet, bind } = require('./support/harness');
const fx = require('./support/fixtures');

function setup() {
    const r = restlet('smartap_vendor_bill_restlet.js');
    fx.seedReference(r.account);
    r.vendor = fx.addVendor(r.account, { companyname: 'Acme Supplies Ltd' });
    return r;
}

function body(r, overrides) {
    return {
        externalId: 'smartap-inv-9f2c',
        entity: { id: r.vendor },
        tranId: 'SUP-1001',
        tranDate: '2024-05-01',
        dueDate: '2024-05-31',
        memo: 'Office restock',
        expense: [
            { account: { id: fx.IDS.OFFICE }, amount: 200.0, memo: 'Paper' },
            { account: { id: fx.IDS.TRAVEL }, amount: '35.40', taxCode: { id: fx.IDS.TAX_CA } },
        ],
        item: [{ item: { id: fx.IDS.WIDGET }, quantity: 3, rate: 12.5, description: 'Widgets' }],
        ...overrides,
    };
}

function assertError(res, code, message) {
    assert.equal(res.status, 400, JSON.stringify(res.body));
    assert.deepEqual(res.body, { error: { code, message } });
}

test('creates a bill with expense and item lines and returns it', () => {
    const r = setup();
    r.account.clock.set('2024-05-02T09:00:00Z');
    const res = r.post(body(r));
    assert.equal(res.status, 200);
    const { bill } = res.body;
    assert.deepEqual(Object.keys(res.body), ['id', 'tranId', 'externalId', 'created', 'bill']);
    assert.deepEqual([res.body.tranId, res.body.externalId, res.body.created, bill.id],
        ['SUP-1001', 'smartap-inv-9f2c', true, res.body.id]);
    assert.deepEqual(
        [bill.entity, bill.tranDate, bill.dueDate, bill.memo, bill.total, bill.amountPaid, bill.amountRemaining],
        [{ id: r.vendor, refName: 'Acme Supplies Ltd' }, '2024-05-01', '2024-05-31', 'Office restock', 272.9, 0, 272.9],
    );
    assert.deepEqual([bill.status, bill.statusRef, bill.createdFrom, bill.payments], ['Open', 'open', null, []]);
    // Sourced from the vendor in dynamic mode.
    assert.deepEqual([bill.currency.id, bill.subsidiary.id], [fx.IDS.USD, fx.IDS.SUBSIDIARY]);
    assert.equal(bill.lastModifiedDate, '2024-05-02T09:00:00.000Z');
    const lineView = (l) => [l.sublist, l.item && l.item.id, l.account && l.account.id, l.quantity, l.rate, l.amount,
        l.description];
    assert.deepEqual(bill.lines.map(lineView), [
        ['item', fx.IDS.WIDGET, null, 3, 12.5, 37.5, 'Widgets'],
        ['expense', null, fx.IDS.OFFICE, null, null, 200, 'Paper'],
        ['expense', null, fx.IDS.TRAVEL, null, null, 35.4, null],
    ]);
    const stored = r.account.store.get('vendorbill', res.body.id);
    assert.equal(stored.fields.externalid, 'smartap-inv-9f2c');
    assert.equal(stored.fields.account.id, fx.IDS.AP);
    assert.equal(stored.sublists.expense[1].taxcode.id, fx.IDS.TAX_CA);
});

test('header references and an explicit item amount are written as given', () => {
    const r = setup();
    const res = r.post(body(r, {
        currency: { id: fx.IDS.EUR }, account: { id: fx.IDS.AP }, subsidiary: { id: 1 },
        expense: [], item: [{ item: { id: Number(fx.IDS.GADGET) }, quantity: 2, rate: 10, amount: 19.99 }],
    }));
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual(res.body.bill.currency, { id: fx.IDS.EUR, refName: 'Euro', symbol: 'EUR' });
    assert.equal(res.body.bill.lines[0].amount, 19.99);
    assert.equal(res.body.bill.total, 19.99);
});

test('posting the same externalId again creates nothing and returns the first bill', () => {
    const r = setup();
    const first = r.post(body(r)).body;
    const count = r.account.store.count('vendorbill');
    const again = r.post(body(r, { tranId: 'SUP-1001-RETRY', expense: [{ account: { id: fx.IDS.OFFICE }, amount: 1 }] }));
    assert.equal(again.status, 200);
    assert.equal(again.body.created, false);
    assert.equal(again.body.id, first.id);
    assert.deepEqual(again.body.bill, first.bill);
    assert.equal(r.account.store.count('vendorbill'), count);
});

test('a bill made in NetSuite with that externalId is returned, not duplicated', () => {
    const r = setup();
    const existing = fx.addBill(r.account, { vendor: r.vendor, expenses: [{ amount: 5 }], fields: { externalid: 'smartap-inv-9f2c' } });
    const res = r.post(body(r));
    assert.deepEqual([res.body.created, res.body.id, r.account.store.count('vendorbill')], [false, existing, 1]);
});

test('a concurrent request that saves the same externalId first wins; this one answers created false', () => {
    const r = setup();
    let rival = null;
    r.account.store.hooks.beforeSave = (data) => {
        r.account.store.hooks.beforeSave = null;
        rival = fx.addBill(r.account, { vendor: r.vendor, expenses: [{ amount: 5 }], fields: { externalid: data.fields.externalid } });
    };
    const res = r.post(body(r));
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual([res.body.created, res.body.id, r.account.store.count('vendorbill')], [false, rival, 1]);
});

test('a text/plain body (a JSON string) is accepted', () => {
    const r = setup();
    const res = r.post(JSON.stringify(body(r)));
    assert.equal(res.body.created, true);
});

test('validation errors name the field and nothing is written', () => {
    const r = setup();
    const cases = [
        [{ externalId: undefined }, 'MISSING_REQUIRED_FIELD', 'externalId is required'],
        [{ externalId: '   ' }, 'MISSING_REQUIRED_FIELD', 'externalId is required'],
        [{ externalId: 42 }, 'INVALID_FIELD_VALUE', 'externalId must be a string'],
        [{ entity: undefined }, 'MISSING_REQUIRED_FIELD', 'entity.id is required'],
        [{ entity: {} }, 'MISSING_REQUIRED_FIELD', 'entity.id is required'],
        [{ entity: '12' }, 'INVALID_FIELD_VALUE', 'entity must be an object like {"id": "123"}'],
        [{ entity: { id: 'acme' } }, 'INVALID_FIELD_VALUE', 'entity.id must be a NetSuite internal id (digits)'],
        [{ tranId: '' }, 'MISSING_REQUIRED_FIELD', 'tranId is required'],
        [{ tranDate: undefined }, 'MISSING_REQUIRED_FIELD', 'tranDate is required'],
        [{ tranDate: '2024-13-01' }, 'INVALID_FIELD_VALUE', 'tranDate must be a date in YYYY-MM-DD form'],
        [{ tranDate: '2024-02-30' }, 'INVALID_FIELD_VALUE', 'tranDate must be a date in YYYY-MM-DD form'],
        [{ dueDate: '05/31/2024' }, 'INVALID_FIELD_VALUE', 'dueDate must be a date in YYYY-MM-DD form'],
        [{ currency: { id: 'USD' } }, 'INVALID_FIELD_VALUE', 'currency.id must be a NetSuite internal id (digits)'],
        [{ memo: 7 }, 'INVALID_FIELD_VALUE', 'memo must be a string'],
        [{ expense: [], item: [] }, 'MISSING_REQUIRED_FIELD',
            'expense or item is required: a bill needs at least one line'],
        [{ expense: undefined, item: undefined }, 'MISSING_REQUIRED_FIELD',
            'expense or item is required: a bill needs at least one line'],
        [{ expense: { items: [] } }, 'INVALID_FIELD_VALUE', 'expense must be an array'],
        [{ expense: [{ account: { id: '58' }, amount: 1 }, { amount: 2 }] }, 'MISSING_REQUIRED_FIELD',
            'expense[1].account.id is required'],
        [{ expense: [{ account: { id: '58' } }] }, 'MISSING_REQUIRED_FIELD', 'expense[0].amount is required'],
        [{ expense: [{ account: { id: '58' }, amount: 'ten' }] }, 'INVALID_FIELD_VALUE', 'expense[0].amount must be a number'],
        [{ expense: ['58'] }, 'INVALID_FIELD_VALUE', 'expense[0] must be an object'],
        [{ item: [{ item: { id: '201' }, rate: 1 }] }, 'MISSING_REQUIRED_FIELD', 'item[0].quantity is required'],
        [{ item: [{ quantity: 1, rate: 1 }] }, 'MISSING_REQUIRED_FIELD', 'item[0].item.id is required'],
        [{ item: [{ item: { id: '201' }, quantity: 1, rate: 1, taxCode: { id: 'X' } }] }, 'INVALID_FIELD_VALUE',
            'item[0].taxCode.id must be a NetSuite internal id (digits)'],
        [{ item: [{ item: { id: '201' }, quantity: 1, rate: 1, orderLine: 1 }] }, 'INVALID_FIELD_VALUE',
            'item[0].orderLine needs createdFrom (the purchase order it bills)'],
    ];
    cases.forEach(([overrides, code, message]) => assertError(r.post(body(r, overrides)), code, message));
    assertError(r.post('not json'), 'INVALID_FIELD_VALUE', 'body must be a JSON object');
    assertError(r.post([body(r)]), 'INVALID_FIELD_VALUE', 'body must be a JSON object');
    assert.equal(r.account.store.count('vendorbill'), 0);
});

test('a value NetSuite refuses comes back naming the request field', () => {
    const r = setup();
    assertError(r.post(body(r, { expense: [{ account: { id: '58' }, amount: 1 }, { account: { id: '99999' }, amount: 2 }] })),
        'INVALID_FIELD_VALUE',
        'expense[1].account.id: You have entered an Invalid Field Value 99999 for the following field: account');
    assertError(r.post(body(r, { entity: { id: '424242' } })), 'INVALID_FIELD_VALUE',
        'entity.id: You have entered an Invalid Field Value 424242 for the following field: entity');
    assert.equal(r.account.store.count('vendorbill'), 0);
});

function orderSetup() {
    const r = setup();
    const po = fx.addPurchaseOrder(r.account, {
        vendor: r.vendor, tranid: 'PO-77',
        items: [{ item: fx.IDS.WIDGET, quantity: 10, rate: 2 }, { item: fx.IDS.GADGET, quantity: 1, rate: 50 }],
        expenses: [{ amount: 8 }],
    });
    return { r, po };
}

test('a bill for a purchase order links the billed line and updates the order', () => {
    const { r, po } = orderSetup();
    const res = r.post(body(r, {
        createdFrom: { id: po },
        expense: [{ account: { id: fx.IDS.TRAVEL }, amount: 4 }],
        item: [{ item: { id: fx.IDS.WIDGET }, quantity: 4, rate: 2, orderLine: '1' }],
    }));
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const { bill } = res.body;
    assert.deepEqual(bill.createdFrom, { id: po, refName: 'Purchase Order #PO-77' });
    assert.deepEqual(bill.lines.map((l) => [l.sublist, l.quantity, l.amount]), [['item', 4, 8], ['expense', null, 4]]);
    const stored = r.account.store.get('vendorbill', res.body.id);
    assert.deepEqual([stored.sublists.item[0].orderdoc.id, stored.sublists.item[0].orderline], [po, '1']);
    const orders = bind(r.account, 'smartap_purchase_order_restlet.js');
    assert.deepEqual(orders.get({ id: po }).body.lines.map((l) => l.quantityBilled), [4, 0, null]);
});

test('purchase order problems name the field', () => {
    const { r, po } = orderSetup();
    const other = fx.addVendor(r.account);
    const line = (extra) => [{ item: { id: fx.IDS.WIDGET }, quantity: 1, rate: 2, orderLine: '1', ...extra }];
    assertError(r.post(body(r, { createdFrom: { id: po }, entity: { id: other }, item: line() })),
        'INVALID_FIELD_VALUE', `entity.id ${other} is not the vendor of purchase order ${po} (vendor ${r.vendor})`);
    assertError(r.post(body(r, { createdFrom: { id: po }, item: line({ orderLine: '9' }) })),
        'INVALID_FIELD_VALUE', `item[0].orderLine 9 is not a billable line of purchase order ${po}`);
    assertError(r.post(body(r, { createdFrom: { id: po }, item: line({ item: { id: fx.IDS.GADGET } }) })),
        'INVALID_FIELD_VALUE', 'item[0].item.id 202 does not match item 201 of purchase order line 1');
    assertError(r.post(body(r, { createdFrom: { id: po }, item: line().concat(line()) })),
        'INVALID_FIELD_VALUE', 'item[1].orderLine bills purchase order line 1 twice');
    const res = r.post(body(r, { createdFrom: { id: '5555' }, item: line() }));
    assert.equal(res.body.error.code, 'INVALID_FIELD_VALUE');
    assert.match(res.body.error.message, /^createdFrom.id: /);
    assert.equal(r.account.store.count('vendorbill'), 0);
});

test('the script offers get and post only: NetSuite refuses PUT and DELETE itself', () => {
    const r = setup();
    assert.deepEqual(Object.keys(r.script).sort(), ['get', 'post']);
});

test('a POST stays far inside the 5,000-unit budget', () => {
    const r = setup();
    r.post(body(r));
    assert.ok(r.account.governance.used <= 100, `used ${r.account.governance.used} units`);
});
