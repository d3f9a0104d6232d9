'use strict';
// The files an administrator uploads: JSDoc tags NetSuite reads, the modules each script may load,
// and the entry points each RESTlet offers.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { RESTLET_DIR, createAccount, loadScript } = require('./support/harness');

const RESTLETS = {
    'smartap_vendor_restlet.js': ['get'],
    'smartap_purchase_order_restlet.js': ['get'],
    'smartap_vendor_bill_restlet.js': ['get', 'post'],
    'smartap_account_restlet.js': ['get'],
    'smartap_tax_code_restlet.js': ['get'],
};
const LIBRARIES = ['smartap_lib.js', 'smartap_txn_lib.js', 'smartap_bill_input.js', 'smartap_bill_writer.js',
    'smartap_bill_batch.js'];
const ALLOWED = new Set(['N/record', 'N/search', 'N/runtime', 'N/error', 'N/format']);

function headerOf(file) {
    const source = fs.readFileSync(path.join(RESTLET_DIR, file), 'utf8');
    const match = /^\/\*\*([\s\S]*?)\*\//.exec(source);
    assert.ok(match, `${file} starts with a JSDoc block`);
    return { source, header: match[1] };
}

function dependencies(source) {
    const match = /define\(\s*\[([^\]]*)\]/.exec(source);
    return match[1].split(',').map((s) => s.trim().replace(/^'|'$/g, '')).filter(Boolean);
}

test('every .js file in the folder is a known script or library', () => {
    const files = fs.readdirSync(RESTLET_DIR).filter((f) => f.endsWith('.js')).sort();
    assert.deepEqual(files, Object.keys(RESTLETS).concat(LIBRARIES).sort());
});

test('RESTlets declare API 2.1, script type Restlet and SameAccount scope', () => {
    Object.keys(RESTLETS).forEach((file) => {
        const { header } = headerOf(file);
        assert.match(header, /@NApiVersion 2\.1\b/, file);
        assert.match(header, /@NScriptType Restlet\b/, file);
        assert.match(header, /@NModuleScope SameAccount\b/, file);
    });
});

test('libraries declare API 2.1 and SameAccount scope but no script type', () => {
    LIBRARIES.forEach((file) => {
        const { header } = headerOf(file);
        assert.match(header, /@NApiVersion 2\.1\b/, file);
        assert.match(header, /@NModuleScope SameAccount\b/, file);
        assert.doesNotMatch(header, /@NScriptType/, file);
    });
});

test('scripts load only N/record, N/search, N/runtime, N/error, N/format and the SmartAP libraries', () => {
    Object.keys(RESTLETS).concat(LIBRARIES).forEach((file) => {
        dependencies(headerOf(file).source).forEach((dep) => {
            const library = dep.startsWith('./') && LIBRARIES.includes(`${dep.slice(2)}.js`);
            assert.ok(ALLOWED.has(dep) || library, `${file} loads ${dep}`);
        });
    });
});

test('each RESTlet exports exactly its entry points', () => {
    Object.entries(RESTLETS).forEach(([file, entries]) => {
        const script = loadScript(createAccount(), file);
        assert.deepEqual(Object.keys(script).sort(), entries, file);
        entries.forEach((name) => assert.equal(typeof script[name], 'function'));
    });
});
