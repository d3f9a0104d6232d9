'use strict';
/**
 * Test harness: a fake NetSuite account (store, clock, governance meter, enabled features, user
 * preferences and the fake N/ modules over them), a loader that evaluates a script's
 * define([...], factory) with those modules (resolving './smartap_*' library modules the way NetSuite
 * resolves paths relative to the script's File Cabinet folder), and call(), which runs one entry point
 * as one RESTlet execution and answers like NetSuite: 200 with the JSON-serialised return value, or
 * 400 with {"error": {"code", "message"}} for a thrown SuiteScriptError (netsuite-connector.md §RESTlets).
 */
const fs = require('node:fs');
const path = require('node:path');
const { Clock, Store } = require('./store');
const { Governance } = require('./governance');
const { SuiteScriptError, createErrorModule } = require('./n_error');
const { createRuntimeModule } = require('./n_runtime');
const { createFormatModule } = require('./n_format');
const { createSearchModule } = require('./n_search');
const { createRecordModule } = require('./n_record');

const RESTLET_DIR = path.resolve(__dirname, '..', '..');

function createAccount(options) {
    const opts = options || {};
    const clock = new Clock(opts.now);
    const store = new Store(clock);
    store.nextId = 1000;
    const account = {
        clock,
        store,
        governance: new Governance(),
        features: { SUBSIDIARIES: true, MULTICURRENCY: true, ...(opts.features || {}) },
        format: createFormatModule(opts.prefs),
        logs: [],
        payablesAccountId: '111',
    };
    account.defaultPayablesAccount = () => store.ref('account', account.payablesAccountId);
    account.modules = {
        'N/error': createErrorModule(),
        'N/format': account.format,
        'N/runtime': createRuntimeModule(account.governance, account.features, 'customscript_smartap_test'),
        'N/search': createSearchModule(account),
        'N/record': createRecordModule(account),
    };
    account.log = ['debug', 'audit', 'error', 'emergency'].reduce((log, level) => {
        log[level] = (title, details) => account.logs.push({ level, title, details });
        return log;
    }, {});
    return account;
}

/** Evaluates fileName (relative to the restlets folder) and its library modules; returns its exports. */
function loadScript(account, fileName) {
    const cache = new Map();
    function evaluate(file) {
        if (cache.has(file)) {
            return cache.get(file);
        }
        const source = fs.readFileSync(file, 'utf8');
        let exported;
        let calls = 0;
        const define = (deps, factory) => {
            calls += 1;
            exported = factory(...deps.map((dep) => resolve(dep, path.dirname(file))));
        };
        // Same realm as the tests (new Function, not vm): Dates the fakes hand over stay Dates.
        new Function('define', 'log', `'use strict';\n${source}\n//# sourceURL=${file}`)(define, account.log);
        if (calls !== 1) {
            throw new Error(`${file} must call define() exactly once, called ${calls} times`);
        }
        cache.set(file, exported);
        return exported;
    }
    function resolve(dep, dir) {
        if (dep.startsWith('N/')) {
            if (!account.modules[dep]) {
                throw new Error(`${dep} is not one of the modules the scripts may use`);
            }
            return account.modules[dep];
        }
        if (dep.startsWith('./')) {
            return evaluate(path.resolve(dir, `${dep}.js`));
        }
        throw new Error(`unsupported module id ${dep}`);
    }
    return evaluate(path.join(RESTLET_DIR, fileName));
}

/** Fails on values JSON would silently change (Dates, undefined, NaN): the contract is plain JSON. */
function assertPlainJson(value, where) {
    if (value === null || typeof value === 'string' || typeof value === 'boolean') {
        return;
    }
    if (typeof value === 'number') {
        if (!Number.isFinite(value)) {
            throw new Error(`non-finite number at ${where}`);
        }
        return;
    }
    if (Array.isArray(value)) {
        value.forEach((v, i) => assertPlainJson(v, `${where}[${i}]`));
        return;
    }
    if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
        Object.entries(value).forEach(([k, v]) => assertPlainJson(v, `${where}.${k}`));
        return;
    }
    throw new Error(`${where} is not plain JSON: ${Object.prototype.toString.call(value)} ${String(value)}`);
}

/**
 * One RESTlet execution of script[method](arg) with a fresh usage budget. Errors other than
 * SuiteScriptErrors are bugs in the script and are rethrown.
 */
function call(account, script, method, arg, options) {
    const opts = options || {};
    account.governance.reset(opts.usageLimit === undefined ? 5000 : opts.usageLimit);
    const entry = script[method];
    if (typeof entry !== 'function') {
        throw new Error(`script has no ${method} entry point`);
    }
    try {
        const result = entry(arg);
        assertPlainJson(result, 'response');
        return { status: 200, body: JSON.parse(JSON.stringify(result)) };
    } catch (e) {
        if (e instanceof SuiteScriptError) {
            return { status: 400, body: { error: { code: e.name, message: e.message } } };
        }
        throw e;
    }
}

/** fileName loaded on account: {account, script, get(params, opts), post(body, opts)}. */
function bind(account, fileName) {
    const script = loadScript(account, fileName);
    return {
        account,
        script,
        get: (params, opts) => call(account, script, 'get', params, opts),
        post: (body, opts) => call(account, script, 'post', body, opts),
    };
}

/** A restlet on a fresh account. */
function restlet(fileName, options) {
    return bind(createAccount(options), fileName);
}

module.exports = { RESTLET_DIR, createAccount, loadScript, call, bind, restlet, assertPlainJson };
