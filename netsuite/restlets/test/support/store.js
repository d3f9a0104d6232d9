'use strict';
/**
 * In-memory NetSuite account for the RESTlet tests: records by type and internal id, each with body
 * fields (NetSuite's lower-case field ids) and sublists (arrays of line objects). Select fields hold a
 * Ref (internal id + display text), date and datetime fields hold Dates. The clock stamps
 * lastmodifieddate on every write, as NetSuite does.
 */

class Ref {
    constructor(id, text) {
        this.id = String(id);
        this.text = text === undefined || text === null ? '' : String(text);
    }
}

class Clock {
    constructor(iso) {
        this.ms = Date.parse(iso || '2024-05-01T12:00:00Z');
    }

    now() {
        return new Date(this.ms);
    }

    set(iso) {
        this.ms = Date.parse(iso);
    }

    advance(seconds) {
        this.ms += seconds * 1000;
    }
}

// How each record type is named when another record points at it (the Ref's display text).
const DISPLAY = {
    vendor: (f) => f.companyname || f.entityid,
    account: (f) => (f.acctnumber ? `${f.acctnumber} ${f.acctname}` : f.acctname),
    item: (f) => f.itemid,
    salestaxitem: (f) => f.itemid,
    currency: (f) => f.name,
    subsidiary: (f) => f.name,
    term: (f) => f.name,
    purchaseorder: (f) => `Purchase Order #${f.tranid}`,
    vendorbill: (f) => `Bill #${f.tranid}`,
    vendorpayment: (f) => `Bill Payment #${f.tranid}`,
};

function cloneValue(value) {
    if (value instanceof Date) {
        return new Date(value.getTime());
    }
    if (Array.isArray(value)) {
        return value.map(cloneValue);
    }
    if (value instanceof Ref) {
        return value;
    }
    if (value !== null && typeof value === 'object') {
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, cloneValue(v)]));
    }
    return value;
}

class Store {
    constructor(clock) {
        this.clock = clock || new Clock();
        this.byType = new Map();
        this.nextId = 100;
        this.hooks = { beforeSave: null };
    }

    table(type) {
        if (!this.byType.has(type)) {
            this.byType.set(type, new Map());
        }
        return this.byType.get(type);
    }

    /** Adds a record as it would exist in the account; returns its internal id (string). */
    add(type, fields, sublists, id) {
        const recId = String(id || this.nextId++);
        const data = {
            type,
            id: recId,
            fields: { lastmodifieddate: this.clock.now(), ...cloneValue(fields || {}) },
            sublists: cloneValue(sublists || {}),
        };
        this.table(type).set(recId, data);
        return recId;
    }

    /** Writes a record back (record.save): a copy, with a fresh lastmodifieddate. */
    put(data) {
        const copy = cloneValue(data);
        copy.fields.lastmodifieddate = this.clock.now();
        this.table(data.type).set(copy.id, copy);
    }

    newId() {
        return String(this.nextId++);
    }

    get(type, id) {
        return this.table(type).get(String(id));
    }

    /** A deep copy, as record.load hands out. */
    copy(type, id) {
        const data = this.get(type, id);
        return data ? cloneValue(data) : undefined;
    }

    list(type) {
        return Array.from(this.table(type).values());
    }

    count(type) {
        return this.table(type).size;
    }

    ref(type, id) {
        const data = this.get(type, id);
        if (!data) {
            throw new Error(`test setup: no ${type} ${id}`);
        }
        return new Ref(id, DISPLAY[type] ? DISPLAY[type](data.fields) : id);
    }

    exists(type, id) {
        return this.table(type).has(String(id));
    }
}

module.exports = { Ref, Clock, Store, cloneValue, DISPLAY };
