/**
 * @NApiVersion 2.1
 * @NModuleScope SameAccount
 *
 * SmartAP RESTlet library: validation of the vendor bill POST body. parse(body) returns the request in
 * a normalised form (ids as strings, dates checked, numbers as numbers, each line with its path such as
 * "expense[1]") or throws MISSING_REQUIRED_FIELD / INVALID_FIELD_VALUE with a message that names the
 * field, e.g. "expense[1].account.id is required". Nothing is read from or written to NetSuite here.
 * Loaded as './smartap_bill_input'.
 */
define(['./smartap_lib'], (lib) => {
    const DIGITS = /^\d+$/;
    const NUMBER = /^-?\d+(\.\d+)?$/;

    function missing(path) {
        lib.fail('MISSING_REQUIRED_FIELD', `${path} is required`);
    }

    function invalid(path, why) {
        lib.fail('INVALID_FIELD_VALUE', `${path} ${why}`);
    }

    function isObject(value) {
        return value !== null && typeof value === 'object' && !Array.isArray(value);
    }

    function isAbsent(value) {
        return value === undefined || value === null;
    }

    function optionalString(obj, key, path) {
        const value = obj[key];
        if (isAbsent(value)) {
            return null;
        }
        if (typeof value !== 'string') {
            invalid(path, 'must be a string');
        }
        return value;
    }

    function requiredString(obj, key, path) {
        const value = optionalString(obj, key, path);
        if (value === null || value.trim() === '') {
            missing(path);
        }
        return value.trim();
    }

    /** {"id": "123"} (or a number id) -> {id: "123"}; null when absent and not required. */
    function ref(obj, key, path, required) {
        const value = obj[key];
        if (isAbsent(value)) {
            return required ? missing(`${path}.id`) : null;
        }
        if (!isObject(value)) {
            invalid(path, 'must be an object like {"id": "123"}');
        }
        if (isAbsent(value.id) || value.id === '') {
            missing(`${path}.id`);
        }
        const id = String(value.id).trim();
        if (!(typeof value.id === 'string' || Number.isInteger(value.id)) || !DIGITS.test(id)) {
            invalid(`${path}.id`, 'must be a NetSuite internal id (digits)');
        }
        return { id };
    }

    function date(obj, key, path, required) {
        const value = obj[key];
        if (isAbsent(value) || value === '') {
            return required ? missing(path) : null;
        }
        if (typeof value !== 'string' || lib.parseIsoDate(value) === null) {
            invalid(path, 'must be a date in YYYY-MM-DD form');
        }
        return value;
    }

    /** A JSON number, or a string holding a plain decimal number ("12.50"). */
    function number(obj, key, path, required) {
        const value = obj[key];
        if (isAbsent(value) || value === '') {
            return required ? missing(path) : null;
        }
        const ok = (typeof value === 'number' && Number.isFinite(value))
            || (typeof value === 'string' && NUMBER.test(value.trim()));
        if (!ok) {
            invalid(path, 'must be a number');
        }
        return Number(value);
    }

    function orderLine(obj, path) {
        const value = obj.orderLine;
        if (isAbsent(value) || value === '') {
            return null;
        }
        const id = String(value).trim();
        if (!(typeof value === 'string' || Number.isInteger(value)) || !DIGITS.test(id)) {
            invalid(`${path}.orderLine`, 'must be a purchase order line id (digits)');
        }
        return id;
    }

    function expenseLine(line, path) {
        return {
            path,
            account: ref(line, 'account', `${path}.account`, true),
            amount: number(line, 'amount', `${path}.amount`, true),
            memo: optionalString(line, 'memo', `${path}.memo`),
            taxCode: ref(line, 'taxCode', `${path}.taxCode`, false),
            tax1Amt: number(line, 'tax1Amt', `${path}.tax1Amt`, false),
        };
    }

    function itemLine(line, path) {
        return {
            path,
            item: ref(line, 'item', `${path}.item`, true),
            quantity: number(line, 'quantity', `${path}.quantity`, true),
            rate: number(line, 'rate', `${path}.rate`, true),
            amount: number(line, 'amount', `${path}.amount`, false),
            description: optionalString(line, 'description', `${path}.description`),
            taxCode: ref(line, 'taxCode', `${path}.taxCode`, false),
            tax1Amt: number(line, 'tax1Amt', `${path}.tax1Amt`, false),
            orderLine: orderLine(line, path),
        };
    }

    function lines(data, key, build) {
        const value = data[key];
        if (isAbsent(value)) {
            return [];
        }
        if (!Array.isArray(value)) {
            invalid(key, 'must be an array');
        }
        return value.map((line, i) => {
            const path = `${key}[${i}]`;
            if (!isObject(line)) {
                invalid(path, 'must be an object');
            }
            return build(line, path);
        });
    }

    function checkOrderLines(input) {
        const seen = {};
        input.item.filter((line) => line.orderLine !== null).forEach((line) => {
            if (input.createdFrom === null) {
                invalid(`${line.path}.orderLine`, 'needs createdFrom (the purchase order it bills)');
            }
            if (seen[line.orderLine]) {
                invalid(`${line.path}.orderLine`, `bills purchase order line ${line.orderLine} twice`);
            }
            seen[line.orderLine] = true;
        });
    }

    function toObject(body) {
        // With Content-Type application/json NetSuite hands the entry point a parsed object; with
        // text/plain it hands over the raw string (netsuite-connector.md §RESTlets), which is parsed here.
        if (typeof body !== 'string') {
            return body;
        }
        try {
            return JSON.parse(body);
        } catch (e) {
            return invalid('body', 'must be a JSON object');
        }
    }

    /** The validated, normalised bill request. */
    function parse(body) {
        const data = toObject(body);
        if (!isObject(data)) {
            invalid('body', 'must be a JSON object');
        }
        const input = {
            externalId: requiredString(data, 'externalId', 'externalId'),
            entity: ref(data, 'entity', 'entity', true),
            tranId: requiredString(data, 'tranId', 'tranId'),
            tranDate: date(data, 'tranDate', 'tranDate', true),
            dueDate: date(data, 'dueDate', 'dueDate', false),
            currency: ref(data, 'currency', 'currency', false),
            subsidiary: ref(data, 'subsidiary', 'subsidiary', false),
            account: ref(data, 'account', 'account', false),
            memo: optionalString(data, 'memo', 'memo'),
            createdFrom: ref(data, 'createdFrom', 'createdFrom', false),
            expense: lines(data, 'expense', expenseLine),
            item: lines(data, 'item', itemLine),
        };
        if (input.expense.length === 0 && input.item.length === 0) {
            lib.fail('MISSING_REQUIRED_FIELD', 'expense or item is required: a bill needs at least one line');
        }
        checkOrderLines(input);
        return input;
    }

    return { parse, toObject };
});
