'use strict';
// The fakes are only worth their strictness: these checks keep them as strict as NetSuite on the
// points the scripts rely on.
const test = require('node:test');
const assert = require('node:assert/strict');
const { createAccount } = require('./support/harness');
const fx = require('./support/fixtures');

function account(options) {
    const a = createAccount(options);
    fx.seedReference(a);
    return a;
}

test('search: unknown columns, filters and feature-gated fields fail like NetSuite', () => {
    const a = account({ features: { SUBSIDIARIES: false } });
    const search = a.modules['N/search'];
    assert.throws(() => search.create({ type: 'vendor', columns: ['nosuchcolumn'] }), { name: 'SSS_INVALID_SRCH_COL' });
    assert.throws(() => search.create({ type: 'vendor', columns: ['subsidiary'] }), { name: 'SSS_INVALID_SRCH_COL' });
    assert.throws(() => search.create({ type: 'vendor', filters: [['nosuch', 'is', 'x']] }), { name: 'SSS_INVALID_SRCH_FILTER' });
});

test('search: date filters take the user-formatted string, not ISO', () => {
    const a = account();
    fx.addVendor(a);
    const search = a.modules['N/search'];
    const s = search.create({ type: 'vendor', filters: [['lastmodifieddate', 'onorafter', '2024-05-01T00:00:00Z']] });
    assert.throws(() => s.run().getRange({ start: 0, end: 5 }), { name: 'SSS_INVALID_SRCH_FILTER_EXPR' });
});

test('search: getRange is limited to 1,000 rows and charged 10 units', () => {
    const a = account();
    const s = a.modules['N/search'].create({ type: 'vendor' });
    assert.throws(() => s.run().getRange({ start: 0, end: 1001 }), { name: 'SSS_INVALID_SRCH_RESULT_RANGE' });
    const before = a.governance.used;
    s.run().getRange({ start: 0, end: 10 });
    assert.equal(a.governance.used - before, 10);
});

test('format: datetimes round-trip through the user zone at minute precision', () => {
    const { format } = account();
    const text = format.format({ value: new Date('2024-01-15T04:59:40Z'), type: format.Type.DATETIME });
    assert.equal(text, '1/14/2024 11:59 pm');
    assert.equal(format.parse({ value: text, type: format.Type.DATETIME }).toISOString(), '2024-01-15T04:59:00.000Z');
    assert.equal(format.parse({ value: 'garbage', type: format.Type.DATETIME }), 'garbage');
});

test('record: line editing needs dynamic mode; select fields need existing ids; dates need Dates', () => {
    const a = account();
    const record = a.modules['N/record'];
    const standard = record.create({ type: 'vendorbill' });
    assert.throws(() => standard.selectNewLine({ sublistId: 'expense' }), { name: 'SSS_INVALID_API_USAGE' });
    const dynamic = record.create({ type: 'vendorbill', isDynamic: true });
    assert.throws(() => dynamic.setValue({ fieldId: 'entity', value: '999' }), { name: 'INVALID_FLD_VALUE' });
    assert.throws(() => dynamic.setValue({ fieldId: 'trandate', value: '2024-05-01' }), { name: 'INVALID_FLD_VALUE' });
    dynamic.selectNewLine({ sublistId: 'expense' });
    dynamic.setCurrentSublistValue({ sublistId: 'expense', fieldId: 'account', value: fx.IDS.OFFICE });
    assert.throws(() => dynamic.commitLine({ sublistId: 'expense' }), { name: 'USER_ERROR' });
});

test('governance: going past the limit throws SSS_USAGE_LIMIT_EXCEEDED', () => {
    const a = account();
    a.governance.reset(15);
    const s = a.modules['N/search'].create({ type: 'vendor' });
    s.run().getRange({ start: 0, end: 1 });
    assert.throws(() => s.run().getRange({ start: 0, end: 1 }), { name: 'SSS_USAGE_LIMIT_EXCEEDED' });
});

test('record: a currency loads for 5 units; its name is a display name, symbol the ISO code', () => {
    const a = account();
    const record = a.modules['N/record'];
    const before = a.governance.used;
    const rec = record.load({ type: record.Type.CURRENCY, id: fx.IDS.EUR });
    assert.equal(a.governance.used - before, 5);
    assert.deepEqual([rec.getValue({ fieldId: 'name' }), rec.getValue({ fieldId: 'symbol' })], ['Euro', 'EUR']);
    assert.equal(a.store.ref('currency', fx.IDS.USD).text, 'US Dollar');
    assert.throws(() => record.load({ type: record.Type.CURRENCY, id: '999' }), { name: 'RCRD_DNE' });
});
