'use strict';
// Accounts and tax codes RESTlets: shapes, paging order, since, get by id and NOT_FOUND.
const test = require('node:test');
const assert = require('node:assert/strict');
const { restlet } = require('./support/harness');
const fx = require('./support/fixtures');

function setup(fileName, options) {
    const r = restlet(fileName, options);
    fx.seedReference(r.account);
    return r;
}

test('accounts: shape with number, name, NetSuite type id, currency and lastModifiedDate', () => {
    const r = setup('smartap_account_restlet.js');
    r.account.clock.set('2024-07-04T18:30:00Z');
    const id = r.account.store.add('account', {
        acctnumber: '6300', acctname: 'Freight In', accttype: 'COGS', isinactive: true,
        currency: r.account.store.ref('currency', fx.IDS.EUR),
    });
    assert.deepEqual(r.get({ id }).body, {
        id,
        acctNumber: '6300',
        acctName: 'Freight In',
        acctType: 'COGS',
        isInactive: true,
        // refName is the currency's display name; the ISO code comes from its `symbol` field.
        currency: { id: fx.IDS.EUR, refName: 'Euro', symbol: 'EUR' },
        lastModifiedDate: '2024-07-04T18:30:00.000Z',
    });
});

test('accounts: the seeded chart lists in lastmodifieddate then id order; since narrows it', () => {
    const r = setup('smartap_account_restlet.js');
    r.account.clock.set('2024-08-01T00:00:00Z');
    const late = r.account.store.add('account', { acctnumber: '6400', acctname: 'Rent', accttype: 'Expense' });
    const all = r.get({}).body;
    // The four seeded accounts share one timestamp, so internal id decides among them.
    assert.deepEqual(all.items.map((a) => a.id), ['1', '58', '59', '111', late]);
    assert.equal(all.items.find((a) => a.id === fx.IDS.AP).acctType, 'AcctPay');
    assert.deepEqual(r.get({ since: '2024-07-31T23:59:00Z' }).body.items.map((a) => a.id), [late]);
});

test('accounts: NOT_FOUND and limit validation', () => {
    const r = setup('smartap_account_restlet.js');
    const res = r.get({ id: '4242' });
    assert.deepEqual(res, { status: 400, body: { error: { code: 'NOT_FOUND', message: 'account 4242 not found' } } });
    assert.equal(r.get({ limit: '1001' }).body.error.code, 'INVALID_PARAMETER');
});

test('accounts: no currency column without Multiple Currencies', () => {
    const r = setup('smartap_account_restlet.js', { features: { MULTICURRENCY: false } });
    assert.equal(r.get({ id: fx.IDS.OFFICE }).body.currency, null);
});

test('tax codes: rate as a percent number, description and inactive flag', () => {
    const r = setup('smartap_tax_code_restlet.js');
    const id = r.account.store.add('salestaxitem', {
        itemid: 'VAT-20', description: 'UK standard rate', rate: 20, isinactive: true,
    });
    assert.deepEqual(r.get({ id }).body, {
        id, itemId: 'VAT-20', description: 'UK standard rate', rate: 20, isInactive: true,
    });
    assert.equal(r.get({ id: fx.IDS.TAX_CA }).body.rate, 8.625);
});

test('tax codes: paging and since', () => {
    const r = setup('smartap_tax_code_restlet.js');
    r.account.clock.set('2024-09-01T00:00:00Z');
    const ids = ['GST-5', 'PST-7', 'HST-13'].map((code, i) => {
        r.account.clock.advance(60);
        return r.account.store.add('salestaxitem', { itemid: code, description: code, rate: [5, 7, 13][i] });
    });
    const page = r.get({ since: '2024-09-01T00:00:00Z', limit: '2' }).body;
    assert.deepEqual(page.items.map((t) => t.itemId), ['GST-5', 'PST-7']);
    assert.deepEqual([page.count, page.hasMore, page.totalResults], [2, true, 3]);
    const next = r.get({ since: '2024-09-01T00:00:00Z', limit: '2', offset: '2' }).body;
    assert.deepEqual(next.items.map((t) => t.id), [ids[2]]);
    assert.equal(next.hasMore, false);
    assert.equal(r.get({ id: '9999' }).body.error.message, 'tax code 9999 not found');
});
