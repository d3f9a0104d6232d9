'use strict';
/**
 * Fake N/record over the in-memory Store: load / create / transform (purchase order -> vendor bill)
 * and a Record with the documented options-object methods, standard and dynamic mode. It is strict
 * where NetSuite is: select fields take the internal id of an existing record, date fields take Date
 * objects, sublist line editing needs dynamic mode, mandatory fields are checked on commit and save,
 * externalId is unique per record type (DUP_RCRD), and every call is charged its usage units.
 */
const { Ref, cloneValue } = require('./store');
const { SuiteScriptError } = require('./n_error');

const Type = {
    VENDOR: 'vendor',
    PURCHASE_ORDER: 'purchaseorder',
    VENDOR_BILL: 'vendorbill',
    VENDOR_PAYMENT: 'vendorpayment',
    ACCOUNT: 'account',
    SALES_TAX_ITEM: 'salestaxitem',
    CURRENCY: 'currency',
};
const TRANSACTIONS = new Set([Type.PURCHASE_ORDER, Type.VENDOR_BILL, Type.VENDOR_PAYMENT]);
const BODY_REFS = {
    entity: 'vendor', account: 'account', createdfrom: 'purchaseorder', currency: 'currency',
    subsidiary: 'subsidiary', terms: 'term',
};
const LINE_REFS = { item: 'item', account: 'account', taxcode: 'salestaxitem', doc: 'vendorbill', orderdoc: 'purchaseorder' };
const DATE_FIELDS = new Set(['trandate', 'duedate']);
const READ_ONLY = new Set(['lastmodifieddate', 'total', 'status', 'amountpaid', 'amountremaining']);
const LINE_NUMBERS = new Set(['quantity', 'rate', 'amount']);
const NOT_BILLABLE = ['Pending Supervisor Approval', 'Rejected by Supervisor', 'Fully Billed', 'Closed', 'Planned'];

function round2(n) {
    return Math.round(n * 100) / 100;
}

function need(options, ...keys) {
    if (!options || typeof options !== 'object') {
        throw new SuiteScriptError('SSS_MISSING_REQD_ARGUMENT', 'options object required');
    }
    keys.forEach((key) => {
        if (options[key] === undefined || options[key] === null) {
            throw new SuiteScriptError('SSS_MISSING_REQD_ARGUMENT', `missing required argument: ${key}`);
        }
    });
}

function invalidValue(value, fieldId) {
    return new SuiteScriptError('INVALID_FLD_VALUE',
        `You have entered an Invalid Field Value ${value} for the following field: ${fieldId}`);
}

class FakeRecord {
    constructor(account, data, isDynamic) {
        this._account = account;
        this._data = data;
        this.isDynamic = Boolean(isDynamic);
        this._current = {};
    }

    get id() {
        return this._data.id === null ? null : Number(this._data.id);
    }

    get type() {
        return this._data.type;
    }

    _lines(sublistId) {
        if (!this._data.sublists[sublistId]) {
            this._data.sublists[sublistId] = [];
        }
        return this._data.sublists[sublistId];
    }

    _ref(refType, value, fieldId) {
        const { store } = this._account;
        if (typeof value !== 'string' && typeof value !== 'number') {
            throw invalidValue(value, fieldId);
        }
        if (!store.exists(refType, value)) {
            throw invalidValue(value, fieldId);
        }
        return store.ref(refType, value);
    }

    getValue(options) {
        need(options, 'fieldId');
        const value = this._data.fields[options.fieldId];
        if (value instanceof Ref) {
            return value.id;
        }
        return value instanceof Date ? new Date(value.getTime()) : value;
    }

    getText(options) {
        need(options, 'fieldId');
        const value = this._data.fields[options.fieldId];
        if (value instanceof Ref) {
            return value.text;
        }
        return value === undefined || value === null ? '' : String(value);
    }

    setValue(options) {
        need(options, 'fieldId');
        const { fieldId, value } = options;
        if (READ_ONLY.has(fieldId)) {
            throw new SuiteScriptError('SSS_INVALID_FIELD_ON_SET', `field ${fieldId} is read-only`);
        }
        if (DATE_FIELDS.has(fieldId) && !(value instanceof Date)) {
            throw invalidValue(value, fieldId);
        }
        const stored = BODY_REFS[fieldId] ? this._ref(BODY_REFS[fieldId], value, fieldId) : value;
        this._data.fields[fieldId] = stored;
        if (this.isDynamic) {
            this._source(fieldId);
        }
        return this;
    }

    /** Dynamic-mode sourcing: what NetSuite fills in when the vendor or the date changes. */
    _source(fieldId) {
        const { store } = this._account;
        const f = this._data.fields;
        if (fieldId === 'entity') {
            const vendor = store.get('vendor', f.entity.id).fields;
            ['currency', 'subsidiary', 'terms'].forEach((k) => { if (vendor[k]) f[k] = vendor[k]; });
            f.account = vendor.payablesaccount || this._account.defaultPayablesAccount();
        }
        if ((fieldId === 'trandate' || fieldId === 'terms') && f.trandate && f.terms) {
            const days = store.get('term', f.terms.id).fields.daysuntilnetdue || 0;
            f.duedate = new Date(f.trandate.getFullYear(), f.trandate.getMonth(), f.trandate.getDate() + days);
        }
    }

    getLineCount(options) {
        need(options, 'sublistId');
        return this._lines(options.sublistId).length;
    }

    _line(options) {
        need(options, 'sublistId', 'fieldId', 'line');
        const lines = this._lines(options.sublistId);
        if (!Number.isInteger(options.line) || options.line < 0 || options.line >= lines.length) {
            throw new SuiteScriptError('SSS_INVALID_SUBLIST_OPERATION', `line ${options.line} out of range`);
        }
        return lines[options.line][options.fieldId];
    }

    getSublistValue(options) {
        const value = this._line(options);
        return value instanceof Ref ? value.id : value;
    }

    getSublistText(options) {
        const value = this._line(options);
        if (value instanceof Ref) {
            return value.text;
        }
        return value === undefined || value === null ? '' : String(value);
    }

    _dynamicOnly(what) {
        if (!this.isDynamic) {
            throw new SuiteScriptError('SSS_INVALID_API_USAGE', `${what} is available in dynamic mode only`);
        }
    }

    selectNewLine(options) {
        need(options, 'sublistId');
        this._dynamicOnly('selectNewLine');
        this._current[options.sublistId] = { index: null, values: {} };
        return this;
    }

    selectLine(options) {
        need(options, 'sublistId', 'line');
        this._dynamicOnly('selectLine');
        const lines = this._lines(options.sublistId);
        if (options.line < 0 || options.line >= lines.length) {
            throw new SuiteScriptError('SSS_INVALID_SUBLIST_OPERATION', `line ${options.line} out of range`);
        }
        this._current[options.sublistId] = { index: options.line, values: cloneValue(lines[options.line]) };
        return this;
    }

    setCurrentSublistValue(options) {
        need(options, 'sublistId', 'fieldId');
        this._dynamicOnly('setCurrentSublistValue');
        const current = this._current[options.sublistId];
        if (!current) {
            throw new SuiteScriptError('SSS_INVALID_SUBLIST_OPERATION', 'no line selected');
        }
        const { fieldId, value } = options;
        if (LINE_NUMBERS.has(fieldId) && !(typeof value === 'number' && Number.isFinite(value))) {
            throw invalidValue(value, fieldId);
        }
        current.values[fieldId] = LINE_REFS[fieldId] ? this._ref(LINE_REFS[fieldId], value, fieldId) : value;
        if ((fieldId === 'quantity' || fieldId === 'rate') && typeof current.values.quantity === 'number'
            && typeof current.values.rate === 'number') {
            current.values.amount = round2(current.values.quantity * current.values.rate);
        }
        return this;
    }

    commitLine(options) {
        need(options, 'sublistId');
        this._dynamicOnly('commitLine');
        const current = this._current[options.sublistId];
        if (!current) {
            throw new SuiteScriptError('SSS_INVALID_SUBLIST_OPERATION', 'no line selected');
        }
        const required = options.sublistId === 'expense' ? ['account', 'amount'] : ['item', 'quantity', 'amount'];
        const absent = required.filter((k) => current.values[k] === undefined || current.values[k] === null);
        if (absent.length > 0) {
            throw new SuiteScriptError('USER_ERROR', `Please enter value(s) for: ${absent.join(', ')}`);
        }
        const lines = this._lines(options.sublistId);
        if (current.index === null) {
            lines.push(current.values);
        } else {
            lines[current.index] = current.values;
        }
        delete this._current[options.sublistId];
        return this;
    }

    removeLine(options) {
        need(options, 'sublistId', 'line');
        const lines = this._lines(options.sublistId);
        if (options.line < 0 || options.line >= lines.length) {
            throw new SuiteScriptError('SSS_INVALID_SUBLIST_OPERATION', `line ${options.line} out of range`);
        }
        lines.splice(options.line, 1);
        return this;
    }

    save(options) {
        this._account.governance.charge(TRANSACTIONS.has(this.type) ? 20 : 10, `${this.type}.save`);
        if (options && options.ignoreMandatoryFields) {
            throw new Error('test: the scripts never skip mandatory-field checks');
        }
        return saveRecord(this._account, this._data);
    }
}

function createRecordModule(account) {
    const { store, governance } = account;
    const unitsFor = (type) => (TRANSACTIONS.has(type) ? 10 : 5);

    function load(options) {
        need(options, 'type', 'id');
        governance.charge(unitsFor(options.type), `record.load ${options.type}`);
        const data = store.copy(options.type, options.id);
        if (!data) {
            throw new SuiteScriptError('RCRD_DNE', 'That record does not exist.');
        }
        return new FakeRecord(account, data, options.isDynamic);
    }

    function create(options) {
        need(options, 'type');
        governance.charge(unitsFor(options.type), `record.create ${options.type}`);
        return new FakeRecord(account, { type: options.type, id: null, fields: {}, sublists: {} }, options.isDynamic);
    }

    function transform(options) {
        need(options, 'fromType', 'fromId', 'toType');
        governance.charge(10, `record.transform ${options.fromType}`);
        if (options.fromType !== Type.PURCHASE_ORDER || options.toType !== Type.VENDOR_BILL) {
            throw new SuiteScriptError('INVALID_RCRD_TRANSFORM', 'transformation not supported by the fake');
        }
        const po = store.get(Type.PURCHASE_ORDER, options.fromId);
        if (!po || NOT_BILLABLE.includes(po.fields.status)) {
            throw new SuiteScriptError('INVALID_INITIALIZE_REF',
                `You can not initialize vendorbill: invalid reference ${options.fromId}.`);
        }
        return new FakeRecord(account, billFromOrder(store, po, account), options.isDynamic);
    }

    return { Type, load, create, transform };
}

function sumAmounts(data) {
    const lines = (data.sublists.item || []).concat(data.sublists.expense || []);
    return round2(lines.reduce((acc, l) => acc + (l.amount || 0), 0));
}

/** Gives lines without a line id the next one, as NetSuite numbers transaction lines. */
function numberLines(data) {
    const all = (data.sublists.item || []).concat(data.sublists.expense || []);
    let next = all.reduce((max, l) => Math.max(max, Number(l.line) || 0), 0) + 1;
    all.filter((l) => l.line === undefined).forEach((l) => { l.line = String(next); next += 1; });
}

function checkBill(data) {
    const f = data.fields;
    const absent = ['entity', 'trandate', 'account'].filter((k) => f[k] === undefined || f[k] === null);
    if (absent.length > 0) {
        throw new SuiteScriptError('USER_ERROR', `Please enter value(s) for: ${absent.join(', ')}`);
    }
    if ((data.sublists.item || []).length + (data.sublists.expense || []).length === 0) {
        throw new SuiteScriptError('USER_ERROR', 'You must enter at least one line item for this transaction.');
    }
}

/** A new bill's item lines linked to a purchase order raise that order's billed quantities. */
function billOrderLines(store, data) {
    (data.sublists.item || []).filter((l) => l.orderdoc).forEach((l) => {
        const po = store.copy(Type.PURCHASE_ORDER, l.orderdoc.id);
        const poLine = po.sublists.item.find((x) => x.line === l.orderline);
        poLine.quantitybilled = (poLine.quantitybilled || 0) + l.quantity;
        if (po.sublists.item.every((x) => x.isclosed || x.quantitybilled >= x.quantity)) {
            po.fields.status = 'Fully Billed';
        }
        store.put(po);
    });
}

function saveRecord(account, data) {
    const { store } = account;
    if (data.type === Type.VENDOR_BILL) {
        checkBill(data);
    }
    if (store.hooks.beforeSave) {
        store.hooks.beforeSave(data);
    }
    const ext = data.fields.externalid;
    if (ext && store.list(data.type).some((r) => r.fields.externalid === ext && r.id !== data.id)) {
        throw new SuiteScriptError('DUP_RCRD', 'This record already exists');
    }
    const isNew = data.id === null;
    if (isNew) {
        data.id = store.newId();
    }
    numberLines(data);
    if (data.type === Type.VENDOR_BILL || data.type === Type.PURCHASE_ORDER) {
        data.fields.total = sumAmounts(data);
    }
    if (isNew && data.type === Type.VENDOR_BILL) {
        Object.assign(data.fields, { status: 'Open', amountpaid: 0, amountremaining: data.fields.total });
        billOrderLines(store, data);
    }
    store.put(data);
    return Number(data.id);
}

/** The bill NetSuite pre-fills from a purchase order: its unbilled, open lines, linked back. */
function billFromOrder(store, po, account) {
    const f = po.fields;
    const orderRef = store.ref(Type.PURCHASE_ORDER, po.id);
    const items = (po.sublists.item || []).filter((l) => !l.isclosed && l.quantity - (l.quantitybilled || 0) > 0)
        .map((l) => {
            const quantity = l.quantity - (l.quantitybilled || 0);
            return {
                item: l.item, description: l.description, quantity, rate: l.rate,
                amount: round2(quantity * l.rate), taxcode: l.taxcode, orderdoc: orderRef, orderline: l.line,
            };
        });
    const expenses = (po.sublists.expense || []).filter((l) => !l.isclosed)
        .map((l) => ({ account: l.account, amount: l.amount, memo: l.memo, orderdoc: orderRef, orderline: l.line }));
    return {
        type: Type.VENDOR_BILL,
        id: null,
        fields: {
            entity: f.entity, currency: f.currency, subsidiary: f.subsidiary, terms: f.terms,
            account: account.defaultPayablesAccount(), createdfrom: orderRef,
        },
        sublists: { item: items, expense: expenses },
    };
}

module.exports = { Type, createRecordModule, round2 };
