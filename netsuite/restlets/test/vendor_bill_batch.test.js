'use strict';
// Vendor bills RESTlet, POST {"bills": [...]}: up to 100 bills in one execution, each exactly once by
// externalId and answered in request order (created / existing / error with NetSuite's code /
// notAttempted), within the 5,000-unit budget (netsuite-connector.md §RESTlets). The fake meter throws
// SSS_USAGE_LIMIT_EXCEEDED past the limit, so a batch that overspends fails here.
const test = require('node:test');
const assert = require('node:assert/strict');
const { restlet } = require('./support/harness');
const fx = require('./support/fixtures');

function setup(options) {
    const r = restlet('smartap_vendor_bill_restlet.js', options);
    fx.seedReference(r.account);
    r.vendor = fx.addVendor(r.account, { companyname: 'Acme Supplies Ltd' });
    return r;
}

function bill(r, n, overrides) {
    return {
        externalId: `smartap-inv-${n}`,
        entity: { id: r.vendor },
        tranId: `SUP-${n}`,
        tranDate: '2024-05-01',
        expense: [{ account: { id: fx.IDS.OFFICE }, amount: 100 + n, memo: 'Paper' }],
        ...overrides,
    };
}

function bills(r, count, first) {
    return Array.from({ length: count }, (_, i) => bill(r, (first || 0) + i));
}

const view = (res) => res.body.results.map((x) => [x.index, x.externalId, x.status]);

test('creates every bill and answers each in request order with id, tranId, total and date', () => {
    const r = setup();
    r.account.clock.set('2024-05-02T09:00:00Z');
    const res = r.post({ bills: bills(r, 3) });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual(view(res), [[0, 'smartap-inv-0', 'created'], [1, 'smartap-inv-1', 'created'],
        [2, 'smartap-inv-2', 'created']]);
    res.body.results.forEach((x, i) => {
        const stored = r.account.store.get('vendorbill', x.id);
        assert.deepEqual([x.tranId, x.total, stored.fields.externalid, stored.fields.total],
            [`SUP-${i}`, 100 + i, `smartap-inv-${i}`, 100 + i]);
        assert.match(x.lastModifiedDate, /^2024-05-02T09:00/);
    });
    // the externalId search, three creates and saves, the read-back search
    assert.equal(r.account.governance.used, 10 + 3 * 30 + 10);
});

test('a bill NetSuite or the validation refuses is that bill\'s error; the others are created', () => {
    const r = setup();
    const sent = [bill(r, 0), bill(r, 1, { tranDate: '2024-02-30' }), bill(r, 2, {
        expense: [{ account: { id: '999' }, amount: 5 }],
    }), bill(r, 3)];
    const res = r.post({ bills: sent });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual(view(res).map((v) => v[2]), ['created', 'error', 'error', 'created']);
    assert.deepEqual(res.body.results[1].error,
        { code: 'INVALID_FIELD_VALUE', message: 'tranDate must be a date in YYYY-MM-DD form' });
    assert.equal(res.body.results[2].error.code, 'INVALID_FIELD_VALUE');
    assert.match(res.body.results[2].error.message, /^expense\[0\]\.account\.id: /);
    assert.equal(r.account.store.count('vendorbill'), 2);
});

test('exactly once: a bill already holding the externalId, or twice in the batch, is answered existing', () => {
    const r = setup();
    const before = fx.addBill(r.account, { vendor: r.vendor, expenses: [{ amount: 7 }], fields: { externalid: 'smartap-inv-1' } });
    const res = r.post({ bills: [bill(r, 0), bill(r, 1), bill(r, 0)] });
    assert.deepEqual(view(res).map((v) => v[2]), ['created', 'existing', 'existing']);
    assert.equal(res.body.results[1].id, before);
    assert.equal(res.body.results[1].total, 7);
    assert.equal(res.body.results[2].id, res.body.results[0].id);
    assert.equal(r.account.store.count('vendorbill'), 2);
    // the whole batch again (a retry after a lost answer): nothing written, the same ids
    const again = r.post({ bills: [bill(r, 0), bill(r, 1)] });
    assert.deepEqual(again.body.results.map((x) => [x.status, x.id]),
        [['existing', res.body.results[0].id], ['existing', before]]);
    assert.equal(r.account.store.count('vendorbill'), 2);
});

test('a concurrent request that saves the same externalId first wins: this bill answers existing', () => {
    const r = setup();
    let rival = null;
    r.account.store.hooks.beforeSave = (data) => {
        r.account.store.hooks.beforeSave = null;
        rival = fx.addBill(r.account, { vendor: r.vendor, expenses: [{ amount: 5 }], fields: { externalid: data.fields.externalid } });
    };
    const res = r.post({ bills: bills(r, 2) });
    assert.deepEqual(res.body.results.map((x) => [x.status, x.id === rival]), [['existing', true], ['created', false]]);
    assert.equal(r.account.store.count('vendorbill'), 2);
});

test('a full batch of 100 bills stays far inside 5,000 units', () => {
    const r = setup();
    const res = r.post({ bills: bills(r, 100) });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.ok(res.body.results.every((x) => x.status === 'created'));
    assert.equal(r.account.governance.used, 3020);
    assert.equal(r.account.store.count('vendorbill'), 100);
});

test('low remaining usage stops early: the rest is notAttempted and a second POST completes it', () => {
    const r = setup();
    // 200 units: the look-up takes 10; a bill is attempted while 40 (create, save, a possible second
    // look-up) + 10 (the read-back) + 50 (reserve) are left, so four fit.
    const sent = bills(r, 7);
    const res = r.post({ bills: sent }, { usageLimit: 200 });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual(res.body.results.map((x) => x.status),
        ['created', 'created', 'created', 'created', 'notAttempted', 'notAttempted', 'notAttempted']);
    assert.deepEqual(Object.keys(res.body.results[4]).sort(), ['externalId', 'index', 'status']);
    assert.ok(r.account.governance.remaining() >= 50, `left ${r.account.governance.remaining()}`);
    const rest = r.post({ bills: sent.slice(4) });
    assert.ok(rest.body.results.every((x) => x.status === 'created'));
    assert.equal(r.account.store.count('vendorbill'), 7);
});

test('too few units for even one bill: SSS_USAGE_LIMIT_EXCEEDED and nothing written', () => {
    const r = setup();
    const res = r.post({ bills: bills(r, 2) }, { usageLimit: 100 });
    assert.equal(res.status, 400);
    assert.equal(res.body.error.code, 'SSS_USAGE_LIMIT_EXCEEDED');
    assert.equal(r.account.store.count('vendorbill'), 0);
});

test('the batch itself must be a list of 1 to 100 bills', () => {
    const r = setup();
    [[], 'x', bills(r, 101)].forEach((value) => {
        const res = r.post({ bills: value });
        assert.deepEqual(res.body, { error: { code: 'INVALID_FIELD_VALUE', message: 'bills must be a list of 1 to 100 bills' } });
    });
    const text = r.post(JSON.stringify({ bills: bills(r, 1) }));
    assert.equal(text.body.results[0].status, 'created');
});

test('without Multiple Currencies the total is read from the amount column', () => {
    const r = setup({ features: { MULTICURRENCY: false } });
    const res = r.post({ bills: bills(r, 2) });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual(res.body.results.map((x) => x.total), [100, 101]);
});
