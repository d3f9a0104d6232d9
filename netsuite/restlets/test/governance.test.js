'use strict';
// Governance (netsuite-connector.md §RESTlets: 5,000 units per RESTlet execution): transaction pages load
// each record (10 units), so a large page stops early with hasMore and the next request carries on from
// offset + count. The fake meter throws SSS_USAGE_LIMIT_EXCEEDED past the limit, so a script that overspends
// fails these tests.
const test = require('node:test');
const assert = require('node:assert/strict');
const { restlet } = require('./support/harness');
const fx = require('./support/fixtures');

function withOrders(n) {
    const r = restlet('smartap_purchase_order_restlet.js');
    fx.seedReference(r.account);
    const vendor = fx.addVendor(r.account);
    const ids = [];
    for (let i = 0; i < n; i += 1) {
        r.account.clock.advance(61);
        ids.push(fx.addPurchaseOrder(r.account, { vendor, items: [{ quantity: 1, rate: i + 1 }] }));
    }
    return { r, ids };
}

/** Follows offset + count until hasMore is false; returns the ids and the page sizes. */
function drain(r, params, usageLimit) {
    const ids = [];
    const counts = [];
    let offset = 0;
    for (let guard = 0; guard < 100; guard += 1) {
        const res = r.get({ ...params, offset: String(offset) }, { usageLimit });
        assert.equal(res.status, 200, JSON.stringify(res.body));
        ids.push(...res.body.items.map((item) => item.id));
        counts.push(res.body.count);
        assert.ok(r.account.governance.remaining() >= 0);
        if (!res.body.hasMore) {
            return { ids, counts };
        }
        offset += res.body.count;
    }
    throw new Error('paging did not finish');
}

test('a 500-order page does not fit in 5,000 units: it stops early with hasMore', () => {
    const { r, ids } = withOrders(600);
    const page = r.get({ limit: '500' }).body;
    assert.ok(page.count < 500 && page.count > 400, `count ${page.count}`);
    assert.deepEqual([page.limit, page.hasMore, page.totalResults], [500, true, 600]);
    assert.deepEqual(page.items.map((po) => po.id), ids.slice(0, page.count));
    assert.ok(r.account.governance.remaining() >= 50, `left ${r.account.governance.remaining()}`);
    const all = drain(r, { limit: '500' });
    assert.deepEqual(all.ids, ids);
});

test('low remaining usage cuts the page to what fits and paging still covers everything once', () => {
    const { r, ids } = withOrders(12);
    // 170 units: 15 go to the two searches and 50 stay in reserve. Each row is budgeted at 15 (its
    // load and possibly its currency's); the first spends 15, the others 10, so nine fit.
    const page = r.get({ limit: '12' }, { usageLimit: 170 }).body;
    assert.deepEqual([page.count, page.hasMore, page.totalResults], [9, true, 12]);
    assert.ok(page.items.every((po) => po.currency.symbol === 'USD'));
    const all = drain(r, { limit: '12' }, 120);
    assert.deepEqual(all.counts, [4, 4, 4]);
    assert.deepEqual(all.ids, ids);
});

test('bills keep units for the payment search after the loads', () => {
    const r = restlet('smartap_vendor_bill_restlet.js');
    fx.seedReference(r.account);
    const vendor = fx.addVendor(r.account);
    const ids = [];
    for (let i = 0; i < 8; i += 1) {
        ids.push(fx.addBill(r.account, { vendor, expenses: [{ amount: 10 }] }));
        fx.payBills(r.account, { [ids[i]]: 4 });
    }
    const page = r.get({ limit: '8' }, { usageLimit: 200 }).body;
    // 200 units: 200 - 15 (searches) - 30 (payment search) - 50 (reserve) = 105 leaves room for all
    // eight loads (15 budgeted per row: the load and possibly a currency read; the first row spends
    // 15, the others 10); 150 units leave 55, room for four.
    assert.deepEqual([page.count, page.hasMore], [8, false]);
    assert.ok(page.items.every((bill) => bill.payments.length === 1 && bill.amountRemaining === 6));
    const small = r.get({ limit: '8' }, { usageLimit: 150 }).body;
    assert.deepEqual([small.count, small.hasMore], [4, true]);
    assert.ok(small.items.every((bill) => bill.payments.length === 1));
});

test('too few units for even one record is an error, never an empty page with hasMore', () => {
    const { r } = withOrders(3);
    const res = r.get({}, { usageLimit: 70 });
    assert.equal(res.status, 400);
    assert.equal(res.body.error.code, 'SSS_USAGE_LIMIT_EXCEEDED');
});

test('a page in many currencies reads each currency once and still stays within budget', () => {
    const r = restlet('smartap_purchase_order_restlet.js');
    fx.seedReference(r.account);
    const { store } = r.account;
    const codes = ['CAD', 'JPY', 'CHF', 'AUD', 'SEK', 'NOK', 'DKK', 'NZD'];
    const currencyIds = codes.map((code) => store.add('currency', { name: `Currency ${code}`, symbol: code }));
    const vendor = fx.addVendor(r.account);
    const ids = [];
    for (let i = 0; i < 40; i += 1) {
        r.account.clock.advance(61);
        ids.push(fx.addPurchaseOrder(r.account, {
            vendor, currency: currencyIds[i % codes.length], items: [{ quantity: 1, rate: 1 }],
        }));
    }
    const page = r.get({ limit: '40' }, { usageLimit: 300 }).body;
    // 300 - 15 (searches) - 50 (reserve): rows budgeted at 15, the first eight spend 15 (a new
    // currency each), later ones 10; whatever fits, every item carries its own currency's code.
    assert.ok(page.count > 0 && page.hasMore);
    assert.ok(r.account.governance.remaining() >= 50, `left ${r.account.governance.remaining()}`);
    page.items.forEach((po, i) => assert.equal(po.currency.symbol, codes[i % codes.length]));
    const currencyLoads = r.account.governance.calls.filter(([what]) => what === 'record.load currency');
    assert.equal(currencyLoads.length, Math.min(page.count, codes.length));
    const all = drain(r, { limit: '40' }, 300);
    assert.deepEqual(all.ids, ids);
});
