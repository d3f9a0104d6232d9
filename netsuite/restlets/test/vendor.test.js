'use strict';
// Vendors RESTlet: record shape, since/offset/limit paging with deterministic order, parameter
// validation, get by id and NOT_FOUND, and accounts without OneWorld / Multiple Currencies.
const test = require('node:test');
const assert = require('node:assert/strict');
const { restlet } = require('./support/harness');
const fx = require('./support/fixtures');

function setup(options) {
    const r = restlet('smartap_vendor_restlet.js', options);
    fx.seedReference(r.account);
    return r;
}

/** n vendors, one every 90 s from 2024-05-01T12:00:00Z; returns their ids in modification order. */
function addVendors(r, n) {
    const ids = [];
    for (let i = 0; i < n; i += 1) {
        ids.push(fx.addVendor(r.account));
        r.account.clock.advance(90);
    }
    return ids;
}

function assertError(res, code, pattern) {
    assert.equal(res.status, 400, JSON.stringify(res.body));
    assert.equal(res.body.error.code, code);
    assert.match(res.body.error.message, pattern);
}

test('a vendor comes back in the contract shape, references with refName, currency with its ISO code', () => {
    const r = setup();
    r.account.clock.set('2024-05-01T14:05:42Z');
    const id = fx.addVendor(r.account, {
        entityid: 'ACME', companyname: 'Acme Supplies Ltd',
        fields: {
            externalid: 'ven-77', isperson: false, email: 'billing@acme.test', phone: '+1 415 555 0101',
            taxidnum: '94-1234567', defaultaddress: 'Acme Supplies Ltd\n1 Market St\nSan Francisco CA 94105',
            addr1: '1 Market St', addr2: 'Suite 5', city: 'San Francisco', state: 'CA', zip: '94105',
            country: 'US', isinactive: true, currency: r.account.store.ref('currency', fx.IDS.EUR),
        },
    });
    const res = r.get({ id });
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, {
        id,
        externalId: 'ven-77',
        entityId: 'ACME',
        companyName: 'Acme Supplies Ltd',
        isPerson: false,
        email: 'billing@acme.test',
        phone: '+1 415 555 0101',
        isInactive: true,
        taxIdNum: '94-1234567',
        terms: { id: fx.IDS.NET30, refName: 'Net 30' },
        currency: { id: fx.IDS.EUR, refName: 'Euro', symbol: 'EUR' },
        subsidiary: { id: fx.IDS.SUBSIDIARY, refName: 'Honeycomb Mfg.' },
        defaultAddress: 'Acme Supplies Ltd\n1 Market St\nSan Francisco CA 94105',
        address: { addr1: '1 Market St', addr2: 'Suite 5', city: 'San Francisco', state: 'CA', zip: '94105', country: 'US' },
        // Search date/times carry the user's preference (minutes) in the user's zone; the script
        // converts back to UTC.
        lastModifiedDate: '2024-05-01T14:05:00.000Z',
    });
});

test('pages cover every vendor once, in lastmodifieddate then id order, with hasMore and totals', () => {
    const r = setup();
    const ids = addVendors(r, 7);
    const pages = [0, 3, 6].map((offset) => r.get({ offset: String(offset), limit: '3' }).body);
    assert.deepEqual(pages.map((p) => p.items.map((v) => v.id)), [ids.slice(0, 3), ids.slice(3, 6), ids.slice(6)]);
    assert.deepEqual(pages.map((p) => [p.offset, p.limit, p.count, p.hasMore, p.totalResults]),
        [[0, 3, 3, true, 7], [3, 3, 3, true, 7], [6, 3, 1, false, 7]]);
    const beyond = r.get({ offset: '50', limit: '3' }).body;
    assert.deepEqual([beyond.items, beyond.count, beyond.hasMore, beyond.totalResults], [[], 0, false, 7]);
});

test('offsets need not be multiples of the limit', () => {
    const r = setup();
    const ids = addVendors(r, 6);
    const page = r.get({ offset: '2', limit: '3' }).body;
    assert.deepEqual(page.items.map((v) => v.id), ids.slice(2, 5));
    assert.equal(page.hasMore, true);
});

test('vendors modified in the same minute are ordered by internal id', () => {
    const r = setup();
    const ids = [];
    for (let i = 0; i < 5; i += 1) {
        ids.push(fx.addVendor(r.account, { modified: '2024-05-01T09:30:10Z' }));
    }
    const first = r.get({ limit: '2' }).body.items.map((v) => v.id);
    const rest = r.get({ offset: '2', limit: '3' }).body.items.map((v) => v.id);
    assert.deepEqual(first.concat(rest), ids.slice().sort((a, b) => Number(a) - Number(b)));
});

test('since keeps vendors modified at or after it, at minute precision, across time zones', () => {
    const r = setup();
    const before = fx.addVendor(r.account, { modified: '2024-05-01T13:59:59Z' });
    const sameMinute = fx.addVendor(r.account, { modified: '2024-05-01T14:00:05Z' });
    const after = fx.addVendor(r.account, { modified: '2024-05-02T03:00:00Z' });
    const utc = r.get({ since: '2024-05-01T14:00:30Z' }).body;
    assert.deepEqual(utc.items.map((v) => v.id), [sameMinute, after]);
    assert.equal(utc.totalResults, 2);
    // The same instant written with an offset selects the same vendors.
    const offset = r.get({ since: '2024-05-01T16:00:30+02:00' }).body;
    assert.deepEqual(offset.items.map((v) => v.id), [sameMinute, after]);
    assert.ok(!offset.items.some((v) => v.id === before));
    assert.deepEqual(r.get({ since: '2024-05-02T03:00:00.000Z' }).body.items.map((v) => v.id), [after]);
    assert.deepEqual(r.get({ since: '2024-05-02T03:01:00Z' }).body.items, []);
});

test('limit defaults to 500 and accepts 1 to 1000', () => {
    const r = setup();
    addVendors(r, 2);
    assert.equal(r.get({}).body.limit, 500);
    assert.equal(r.get(undefined).body.limit, 500);
    assert.equal(r.get({ limit: '1000' }).body.limit, 1000);
    assert.equal(r.get({ limit: '1' }).body.count, 1);
});

test('bad limit, offset or since is INVALID_PARAMETER naming the parameter', () => {
    const r = setup();
    addVendors(r, 2);
    for (const limit of ['1001', '5000', 'abc', '0', '-1', '2.5', '1e3']) {
        assertError(r.get({ limit }), 'INVALID_PARAMETER', /^limit must be an integer between 1 and 1000/);
    }
    for (const offset of ['-3', 'x', '1.5']) {
        assertError(r.get({ offset }), 'INVALID_PARAMETER', /^offset must be an integer >= 0/);
    }
    for (const since of ['yesterday', '2024-05-01', '2024-05-01T10:00:00', '2024-02-30T00:00:00Z', '2024-05-01T25:00:00Z']) {
        assertError(r.get({ since }), 'INVALID_PARAMETER', /^since must be an ISO-8601 UTC timestamp/);
    }
});

test('get by id: NOT_FOUND for a missing id or another record type, INVALID_PARAMETER for a non-id', () => {
    const r = setup();
    const [id] = addVendors(r, 1);
    assert.equal(r.get({ id, limit: 'ignored-with-id' }).body.id, id);
    assertError(r.get({ id: '999999' }), 'NOT_FOUND', /^vendor 999999 not found$/);
    const poId = fx.addPurchaseOrder(r.account, { vendor: id, items: [{ quantity: 1, rate: 1 }] });
    assertError(r.get({ id: poId }), 'NOT_FOUND', new RegExp(`^vendor ${poId} not found$`));
    assertError(r.get({ id: 'ACME' }), 'INVALID_PARAMETER', /^id must be a NetSuite internal id/);
});

test('the script and deploy query parameters NetSuite passes along are ignored', () => {
    const r = setup();
    addVendors(r, 2);
    const res = r.get({ script: '123', deploy: '1', limit: '1' });
    assert.equal(res.status, 200);
    assert.equal(res.body.count, 1);
});

test('without OneWorld and Multiple Currencies the search skips those columns', () => {
    const r = setup({ features: { SUBSIDIARIES: false, MULTICURRENCY: false } });
    const [id] = addVendors(r, 1);
    const vendor = r.get({ id }).body;
    assert.equal(vendor.subsidiary, null);
    assert.equal(vendor.currency, null);
    assert.deepEqual(vendor.terms, { id: fx.IDS.NET30, refName: 'Net 30' });
});

test('listing stays within a few units: two searches and one read per distinct currency', () => {
    const r = setup();
    addVendors(r, 40);
    const page = r.get({ limit: '1000' }).body;
    // 15 for the searches, 5 for the one currency record (USD), read once for the 40 vendors.
    assert.equal(r.account.governance.used, 20);
    assert.ok(page.items.every((v) => v.currency.symbol === 'USD' && v.currency.refName === 'US Dollar'));
    const loads = r.account.governance.calls.filter(([what]) => what === 'record.load currency');
    assert.equal(loads.length, 1);
});

test('each distinct currency is read once per call, and again in the next call', () => {
    const r = setup();
    const { store } = r.account;
    const byCurrency = [fx.IDS.EUR, fx.IDS.GBP, fx.IDS.EUR, fx.IDS.USD, fx.IDS.GBP].map((cur) => {
        r.account.clock.advance(90);
        return [fx.addVendor(r.account, { fields: { currency: store.ref('currency', cur) } }), cur];
    });
    const page = r.get({}).body;
    assert.deepEqual(page.items.map((v) => [v.id, v.currency.id, v.currency.symbol]),
        byCurrency.map(([id, cur]) => [id, cur, { 1: 'USD', 2: 'EUR', 3: 'GBP' }[cur]]));
    assert.deepEqual(page.items.map((v) => v.currency.refName), ['Euro', 'British pound', 'Euro', 'US Dollar', 'British pound']);
    assert.equal(r.account.governance.used, 15 + 3 * 5);
    // A new call starts with an empty cache: an ISO code changed in between is picked up.
    store.get('currency', fx.IDS.GBP).fields.symbol = 'GBX';
    const again = r.get({ id: byCurrency[1][0] }).body;
    assert.deepEqual(again.currency, { id: fx.IDS.GBP, refName: 'British pound', symbol: 'GBX' });
    assert.equal(r.account.governance.used, 10 + 5);
});
