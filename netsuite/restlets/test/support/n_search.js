'use strict';
/**
 * Fake N/search over the Store. Each search type knows its columns and filters (an unknown one, or
 * one whose feature is off, fails like NetSuite's SSS_INVALID_SRCH_COL / _FILTER); transaction searches
 * return one row per line plus the main line, as NetSuite does (hence the scripts' mainline filter).
 * Results carry NetSuite's value forms: strings for numbers, user-formatted dates, ids for select
 * fields with the display text behind getText. Rows with equal sort keys come back in an order unlike
 * internal id, so a script that forgets a tie-breaker pages wrongly here too. Units: run().getRange 10,
 * runPaged 5, fetch 5.
 */
const { Ref } = require('./store');
const { SuiteScriptError } = require('./n_error');

const Type = {
    VENDOR: 'vendor',
    PURCHASE_ORDER: 'purchaseorder',
    VENDOR_BILL: 'vendorbill',
    VENDOR_PAYMENT: 'vendorpayment',
    ACCOUNT: 'account',
    SALES_TAX_ITEM: 'salestaxitem',
};
const Operator = { ANYOF: 'anyof', NONEOF: 'noneof', IS: 'is', ONORAFTER: 'onorafter', AFTER: 'after' };
const Sort = { ASC: 'ASC', DESC: 'DESC', NONE: 'NONE' };

const field = (name, kind, extra) => ({ get: (rec) => rec.fields[name], kind, ...extra });
const lineOrHeader = (name, headerName, kind) => ({
    get: (rec, line) => (line ? line[name] : rec.fields[headerName || name]), kind,
});

const STATUS_CODES = {
    purchaseorder: {
        'PurchOrd:A': 'Pending Supervisor Approval', 'PurchOrd:B': 'Pending Receipt',
        'PurchOrd:C': 'Rejected by Supervisor', 'PurchOrd:D': 'Partially Received',
        'PurchOrd:E': 'Pending Billing/Partially Received', 'PurchOrd:F': 'Pending Bill',
        'PurchOrd:G': 'Fully Billed', 'PurchOrd:H': 'Closed', 'PurchOrd:P': 'Planned',
    },
    vendorbill: {
        'VendBill:A': 'Open', 'VendBill:B': 'Paid In Full', 'VendBill:C': 'Cancelled',
        'VendBill:D': 'Pending Approval', 'VendBill:E': 'Rejected',
    },
    vendorpayment: {},
};

function common() {
    return {
        internalid: { get: (rec) => rec.id, kind: 'id' },
        externalid: field('externalid', 'text'),
        lastmodifieddate: field('lastmodifieddate', 'datetime'),
    };
}

function transactionSchema(type) {
    const codes = STATUS_CODES[type];
    return {
        transaction: true,
        ...common(),
        mainline: { get: (rec, line) => line === null, kind: 'bool' },
        tranid: field('tranid', 'text'),
        trandate: field('trandate', 'date'),
        entity: field('entity', 'ref'),
        amount: lineOrHeader('amount', 'total', 'number'),
        // the amount in the transaction's currency (Multiple Currencies only)
        fxamount: { ...lineOrHeader('amount', 'total', 'number'), feature: 'MULTICURRENCY' },
        status: {
            kind: 'status',
            get: (rec) => {
                const code = Object.keys(codes).find((c) => codes[c] === rec.fields.status);
                return code ? new Ref(code, rec.fields.status) : null;
            },
        },
    };
}

const SCHEMAS = {
    vendor: {
        ...common(),
        entityid: field('entityid', 'text'),
        companyname: field('companyname', 'text'),
        isperson: field('isperson', 'bool'),
        email: field('email', 'text'),
        phone: field('phone', 'text'),
        isinactive: field('isinactive', 'bool'),
        taxidnum: field('taxidnum', 'text'),
        terms: field('terms', 'ref'),
        currency: field('currency', 'ref', { feature: 'MULTICURRENCY' }),
        subsidiary: field('subsidiary', 'ref', { feature: 'SUBSIDIARIES' }),
        address: field('defaultaddress', 'text'),
        address1: field('addr1', 'text'),
        address2: field('addr2', 'text'),
        city: field('city', 'text'),
        state: field('state', 'text'),
        zipcode: field('zip', 'text'),
        country: field('country', 'text'),
    },
    account: {
        ...common(),
        number: field('acctnumber', 'text'),
        name: field('acctname', 'text'),
        type: field('accttype', 'text'),
        isinactive: field('isinactive', 'bool'),
        currency: field('currency', 'ref', { feature: 'MULTICURRENCY' }),
    },
    salestaxitem: {
        ...common(),
        itemid: field('itemid', 'text'),
        description: field('description', 'text'),
        rate: field('rate', 'percent'),
        isinactive: field('isinactive', 'bool'),
    },
    purchaseorder: transactionSchema('purchaseorder'),
    vendorbill: transactionSchema('vendorbill'),
    vendorpayment: {
        ...transactionSchema('vendorpayment'),
        appliedtotransaction: { get: (rec, line) => (line ? line.doc : null), kind: 'ref' },
        appliedtolinkamount: { get: (rec, line) => (line ? line.amount : null), kind: 'number' },
        appliedtoforeignamount: {
            get: (rec, line) => (line ? line.amount : null), kind: 'number', feature: 'MULTICURRENCY',
        },
    },
};

function createSearchModule(account) {
    const { store, governance, format, features } = account;

    function schemaOf(type) {
        const schema = SCHEMAS[type];
        if (!schema) {
            throw new SuiteScriptError('SSS_INVALID_RECORD_TYPE', `fake search: unknown type ${type}`);
        }
        return schema;
    }

    function fieldOf(schema, name, errorName) {
        const spec = schema[String(name).toLowerCase()];
        if (!spec || typeof spec !== 'object' || (spec.feature && !features[spec.feature])) {
            throw new SuiteScriptError(errorName, `An nlobjSearch${errorName.endsWith('COL') ? 'Column' : 'Filter'} `
                + `contains an invalid ${errorName.endsWith('COL') ? 'column' : 'filter'}: ${name}`);
        }
        return spec;
    }

    function createColumn(options) {
        if (!options || typeof options.name !== 'string') {
            throw new SuiteScriptError('SSS_MISSING_REQD_ARGUMENT', 'createColumn needs options.name');
        }
        if (options.join || options.summary || options.formula) {
            throw new Error('fake search: joins, summaries and formulas are not modelled');
        }
        return { name: options.name.toLowerCase(), sort: options.sort || Sort.NONE, join: null, summary: null };
    }

    function toColumn(c) {
        return typeof c === 'string' ? createColumn({ name: c }) : c;
    }

    function rowsOf(type, schema) {
        const rows = [];
        store.list(type).forEach((rec) => {
            rows.push({ rec, line: null });
            if (schema.transaction) {
                ['item', 'expense', 'apply'].forEach((s) => (rec.sublists[s] || []).forEach((line) => rows.push({ rec, line })));
            }
        });
        return rows.reverse();
    }

    function raw(schema, row, name) {
        return schema[name].get(row.rec, row.line);
    }

    function keyOf(value) {
        if (value instanceof Ref) {
            return value.id;
        }
        return value === undefined || value === null ? '' : String(value);
    }

    function parseDateValue(value) {
        const asDateTime = format.parse({ value: String(value), type: format.Type.DATETIME });
        if (asDateTime instanceof Date) {
            return asDateTime;
        }
        const asDate = format.parse({ value: String(value), type: format.Type.DATE });
        if (asDate instanceof Date) {
            return asDate;
        }
        throw new SuiteScriptError('SSS_INVALID_SRCH_FILTER_EXPR',
            `Invalid date value ${value} (must be M/D/YYYY or M/D/YYYY h:mm am)`);
    }

    function test(schema, row, condition) {
        const [name, operator, ...rest] = condition;
        const spec = fieldOf(schema, name, 'SSS_INVALID_SRCH_FILTER');
        const value = raw(schema, row, name.toLowerCase());
        const values = rest.flat().map(String);
        switch (String(operator).toLowerCase()) {
            case Operator.ANYOF:
                return values.includes(keyOf(value)) || (values.includes('@NONE@') && keyOf(value) === '');
            case Operator.NONEOF:
                return !values.includes(keyOf(value));
            case Operator.IS:
                if (spec.kind === 'bool') {
                    return Boolean(value) === (values[0] === 'T' || values[0] === 'true');
                }
                return keyOf(value).toLowerCase() === values[0].toLowerCase();
            case Operator.ONORAFTER:
                return value instanceof Date && value.getTime() >= parseDateValue(values[0]).getTime();
            case Operator.AFTER:
                return value instanceof Date && value.getTime() > parseDateValue(values[0]).getTime();
            default:
                throw new SuiteScriptError('SSS_INVALID_SRCH_OPERATOR', `unsupported operator ${operator}`);
        }
    }

    function isCondition(expr) {
        return typeof expr[0] === 'string' && typeof expr[1] === 'string'
            && !['AND', 'OR'].includes(expr[1].toUpperCase());
    }

    function evaluate(schema, row, expr) {
        if (!Array.isArray(expr)) {
            throw new SuiteScriptError('SSS_INVALID_SRCH_FILTER_EXPR', 'filter expressions are arrays');
        }
        if (expr.length === 0) {
            return true;
        }
        if (isCondition(expr)) {
            return test(schema, row, expr);
        }
        let result = evaluate(schema, row, expr[0]);
        for (let i = 1; i < expr.length; i += 2) {
            const op = String(expr[i]).toUpperCase();
            const rhs = evaluate(schema, row, expr[i + 1]);
            if (op === 'AND') {
                result = result && rhs;
            } else if (op === 'OR') {
                result = result || rhs;
            } else {
                throw new SuiteScriptError('SSS_INVALID_SRCH_FILTER_EXPR', `bad join operator ${expr[i]}`);
            }
        }
        return result;
    }

    function checkFilterNames(schema, expr) {
        if (!Array.isArray(expr) || expr.length === 0) {
            return;
        }
        if (isCondition(expr)) {
            fieldOf(schema, expr[0], 'SSS_INVALID_SRCH_FILTER');
            return;
        }
        expr.filter((e, i) => i % 2 === 0).forEach((e) => checkFilterNames(schema, e));
    }

    function sortValue(value) {
        if (value instanceof Date) {
            return value.getTime();
        }
        if (value instanceof Ref) {
            return value.text;
        }
        return value;
    }

    function compare(schema, a, b, column) {
        let x = sortValue(raw(schema, a, column.name));
        let y = sortValue(raw(schema, b, column.name));
        if (schema[column.name].kind === 'id') {
            x = Number(x);
            y = Number(y);
        }
        const order = x < y ? -1 : (x > y ? 1 : 0);
        return column.sort === Sort.DESC ? -order : order;
    }

    function display(schema, row, name, asText) {
        const spec = schema[name];
        const value = raw(schema, row, name);
        if (spec.kind === 'ref' || spec.kind === 'status') {
            if (!(value instanceof Ref)) {
                return asText ? null : '';
            }
            return asText ? value.text : value.id;
        }
        if (asText) {
            return null;
        }
        if (value === undefined || value === null || value === '') {
            return spec.kind === 'bool' ? false : '';
        }
        switch (spec.kind) {
            case 'bool': return Boolean(value);
            case 'date': return format.format({ value, type: format.Type.DATE });
            case 'datetime': return format.format({ value, type: format.Type.DATETIME });
            case 'percent': return `${value}%`;
            default: return String(value);
        }
    }

    function makeResult(type, schema, columns, row) {
        const lookup = (c) => {
            const name = (typeof c === 'string' ? c : c && c.name || '').toLowerCase();
            if (!columns.some((col) => col.name === name)) {
                throw new Error(`fake search: column ${name} is not among the search's columns`);
            }
            return name;
        };
        return {
            id: row.rec.id,
            recordType: type,
            columns,
            getValue: (c) => display(schema, row, lookup(c), false),
            getText: (c) => display(schema, row, lookup(c), true),
        };
    }

    function create(options) {
        if (!options || !options.type) {
            throw new SuiteScriptError('SSS_MISSING_REQD_ARGUMENT', 'search.create needs options.type');
        }
        const { type } = options;
        const schema = schemaOf(type);
        const filters = options.filters || [];
        const columns = (options.columns || []).map(toColumn);
        columns.forEach((c) => fieldOf(schema, c.name, 'SSS_INVALID_SRCH_COL'));
        checkFilterNames(schema, filters);

        function execute() {
            const rows = rowsOf(type, schema).filter((row) => evaluate(schema, row, filters));
            const sorted = columns.filter((c) => c.sort === Sort.ASC || c.sort === Sort.DESC);
            rows.sort((a, b) => sorted.reduce((acc, c) => acc || compare(schema, a, b, c), 0));
            return rows.map((row) => makeResult(type, schema, columns, row));
        }

        return {
            searchType: type,
            filterExpression: filters,
            columns,
            run: () => ({
                getRange(range) {
                    governance.charge(10, `ResultSet.getRange ${type}`);
                    const { start, end } = range || {};
                    if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end < start
                        || end - start > 1000) {
                        throw new SuiteScriptError('SSS_INVALID_SRCH_RESULT_RANGE', `bad range ${start}-${end}`);
                    }
                    return execute().slice(start, end);
                },
            }),
            runPaged(paging) {
                governance.charge(5, `Search.runPaged ${type}`);
                const pageSize = (paging && paging.pageSize) || 50;
                if (pageSize < 5 || pageSize > 1000) {
                    throw new SuiteScriptError('INVALID_PAGE_SIZE', 'pageSize must be 5-1000');
                }
                const all = execute();
                const pageRanges = [];
                for (let i = 0; i * pageSize < all.length; i += 1) {
                    pageRanges.push({ index: i, compoundLabel: String(i) });
                }
                return {
                    count: all.length,
                    pageSize,
                    pageRanges,
                    fetch(opts) {
                        governance.charge(5, `PagedData.fetch ${type}`);
                        const index = opts.index;
                        if (!Number.isInteger(index) || index < 0 || index >= pageRanges.length) {
                            throw new SuiteScriptError('INVALID_PAGE_RANGE', `no page ${index}`);
                        }
                        return { data: all.slice(index * pageSize, (index + 1) * pageSize) };
                    },
                };
            },
        };
    }

    return { Type, Operator, Sort, create, createColumn };
}

module.exports = { createSearchModule, STATUS_CODES };
