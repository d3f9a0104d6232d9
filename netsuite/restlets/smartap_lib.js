/**
 * @NApiVersion 2.1
 * @NModuleScope SameAccount
 *
 * SmartAP RESTlet library: what the five SmartAP RESTlets share. Errors in the shape NetSuite turns
 * into the RESTlet error body, query-parameter parsing (id, since, offset, limit), conversion of
 * NetSuite values (dates, numbers, references) to the JSON contract in docs/netsuite.md, the ISO 4217
 * code of currency references (read from the currency record, cached per call), the governance budget,
 * and the one list/get runner every script uses. Not a script of its own: upload it to the same File
 * Cabinet folder as the scripts, which load it as './smartap_lib'.
 */
define(['N/search', 'N/record', 'N/runtime', 'N/error', 'N/format'], (search, record, runtime, error, format) => {
    const DEFAULT_LIMIT = 500;
    const MAX_LIMIT = 1000;

    // Governance: a RESTlet execution has 5,000 usage units (netsuite-connector.md §RESTlets). Unit costs
    // from Oracle's "SuiteScript 2.x API Governance" table: search.create / createColumn 0,
    // ResultSet.getRange 10, Search.runPaged 5, PagedData.fetch 5, record.load / create / transform 10 for
    // transactions and 5 for other standard records, Record.save 20 for transactions. getRemainingUsage() is
    // free.
    const UNITS = Object.freeze({
        GET_RANGE: 10,
        RUN_PAGED: 5,
        PAGED_FETCH: 5,
        LOAD_TRANSACTION: 10,
        LOAD_OTHER: 5,
        CREATE_TRANSACTION: 10,
        SAVE_TRANSACTION: 20,
    });
    // Kept free at every point so that the script never reaches SSS_USAGE_LIMIT_EXCEEDED, which
    // NetSuite raises without letting the script answer (netsuite-connector.md §RESTlets).
    const RESERVE_UNITS = 50;

    const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
    const ISO_TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/;
    const DIGITS = /^\d+$/;

    /**
     * Throws an N/error SuiteScriptError. NetSuite answers an error thrown out of a RESTlet entry point
     * with HTTP 400 and {"error": {"code": name, "message": message}} (netsuite-connector.md §RESTlets,
     * §Concurrency; the SmartAP simulator mirrors exactly that). notifyOff: these are client errors, no
     * e-mail to the admin.
     */
    function fail(name, message) {
        throw error.create({ name, message, notifyOff: true });
    }

    function isEmpty(value) {
        return value === undefined || value === null || value === '';
    }

    function isDate(value) {
        return Object.prototype.toString.call(value) === '[object Date]' && !isNaN(value.getTime());
    }

    function pad(n, width) {
        return String(n).padStart(width || 2, '0');
    }

    function text(value) {
        return isEmpty(value) ? null : String(value);
    }

    // Checkbox values: SuiteScript 2.x returns booleans; older paths and search filters use 'T'/'F'.
    function bool(value) {
        return value === true || value === 'T' || value === 'true';
    }

    // Search results hold numbers as strings ("12.50"), percent fields as "8.25%".
    function num(value) {
        if (isEmpty(value)) {
            return null;
        }
        const n = Number(String(value).replace('%', '').trim());
        return Number.isFinite(n) ? n : null;
    }

    function decimalsOf(n) {
        const s = String(n);
        const dot = s.indexOf('.');
        return dot < 0 || s.includes('e') ? 0 : s.length - dot - 1;
    }

    /** a - b without binary floating-point residue (100.1 - 33.37 is 66.73, not 66.72999999999999). */
    function subtractMoney(a, b) {
        const places = Math.min(Math.max(decimalsOf(a), decimalsOf(b)), 8);
        return Number((a - b).toFixed(places));
    }

    /** Sum of amounts, rounded like subtractMoney. */
    function sumMoney(values) {
        return values.reduce((acc, v) => {
            const places = Math.min(Math.max(decimalsOf(acc), decimalsOf(v)), 8);
            return Number((acc + v).toFixed(places));
        }, 0);
    }

    /** A datetime value (Date from a record, user-formatted string from a search) as ISO-8601 UTC. */
    function isoDateTime(value) {
        if (isEmpty(value)) {
            return null;
        }
        // Search columns return date/times formatted in the user's date/time preference and time zone;
        // format.parse without options.timezone reads them in that same preference. Whether the
        // server-side Date NetSuite builds is exact across DST changes is UNCERTAIN (Oracle's note on
        // server scripts and Pacific time): verify once against a record's System Information tab.
        const d = isDate(value) ? value : format.parse({ value: String(value), type: format.Type.DATETIME });
        return isDate(d) ? d.toISOString() : null;
    }

    /** A date-only value as YYYY-MM-DD. Server-side Dates for date fields sit at local midnight. */
    function isoDate(value) {
        if (isEmpty(value)) {
            return null;
        }
        const d = isDate(value) ? value : format.parse({ value: String(value), type: format.Type.DATE });
        if (!isDate(d)) {
            return null;
        }
        return `${pad(d.getFullYear(), 4)}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
    }

    /** 'YYYY-MM-DD' as the Date (local midnight) that record.setValue expects for date fields, or null. */
    function parseIsoDate(value) {
        const m = ISO_DATE.exec(String(value));
        if (!m) {
            return null;
        }
        const d = new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
        const sameDay = d.getFullYear() === Number(m[1]) && d.getMonth() === Number(m[2]) - 1
            && d.getDate() === Number(m[3]);
        return sameDay ? d : null;
    }

    /** An ISO-8601 timestamp with an explicit zone ('Z' or ±HH:MM) as a Date, or null. */
    function parseIsoTimestamp(value) {
        const m = ISO_TIMESTAMP.exec(String(value));
        if (!m) {
            return null;
        }
        const [y, mo, d, h, mi, s] = [m[1], m[2], m[3], m[4], m[5], m[6] || '0'].map(Number);
        const ms = m[7] ? Math.floor(Number(`0${m[7]}`) * 1000) : 0;
        const utc = Date.UTC(y, mo - 1, d, h, mi, s, ms);
        const check = new Date(utc);
        if (check.getUTCFullYear() !== y || check.getUTCMonth() !== mo - 1 || check.getUTCDate() !== d
            || h > 23 || mi > 59 || s > 59) {
            return null;
        }
        return new Date(utc - zoneOffsetMinutes(m[8]) * 60000);
    }

    function zoneOffsetMinutes(zone) {
        if (zone === 'Z') {
            return 0;
        }
        const digits = zone.replace(':', '');
        const minutes = Number(digits.slice(1, 3)) * 60 + Number(digits.slice(3, 5));
        return digits[0] === '-' ? -minutes : minutes;
    }

    /** {"id", "refName"} for a select field of a record, or null when empty. */
    function recordRef(rec, fieldId) {
        const id = rec.getValue({ fieldId });
        return isEmpty(id) ? null : { id: String(id), refName: text(rec.getText({ fieldId })) };
    }

    function lineRef(rec, sublistId, fieldId, line) {
        const id = rec.getSublistValue({ sublistId, fieldId, line });
        return isEmpty(id) ? null : { id: String(id), refName: text(rec.getSublistText({ sublistId, fieldId, line })) };
    }

    /** {"id", "refName"} for a select column of a search result, or null when empty. */
    function rowRef(row, column) {
        const id = row.getValue(column);
        return isEmpty(id) ? null : { id: String(id), refName: text(row.getText(column)) };
    }

    /**
     * The ISO 4217 codes of currencies, one record.load per distinct currency per RESTlet call. A
     * currency reference's text (refName) is the currency record's display name ("US Dollar",
     * "Euro"), not its code; the code is the record's `symbol` field (the UI's "ISO Code": derived,
     * UNCERTAIN, docs/netsuite.md 10.3; non-codes are refused by the connector). Oracle's
     * Currency record notes (help section_N3201267) show exactly this record.load + getValue('symbol')
     * and state that loading by id works even without Multiple Currencies, where searches and
     * search.lookupFields on currencies are not supported; so no search join is used. record.load of a
     * currency costs 5 units (a non-transaction record, UNITS.LOAD_OTHER). Create one per call (the
     * list/get runner does) so a changed ISO code is never served from an earlier call.
     */
    function currencyCache() {
        const symbols = Object.create(null);
        function known(id) {
            return isEmpty(id) || Object.prototype.hasOwnProperty.call(symbols, String(id));
        }
        function symbolOf(id) {
            if (isEmpty(id)) {
                return null;
            }
            const key = String(id);
            if (!known(key)) {
                const rec = record.load({ type: record.Type.CURRENCY, id: key });
                symbols[key] = text(rec.getValue({ fieldId: 'symbol' }));
            }
            return symbols[key];
        }
        return {
            /** Units the next symbolOf(id) costs: 0 once this call has read that currency. */
            cost: (id) => (known(id) ? 0 : UNITS.LOAD_OTHER),
            symbolOf,
        };
    }

    /** A currency reference {"id", "refName"} with its ISO code added as "symbol", or null. */
    function currencyRef(ref, currencies) {
        return ref === null ? null : { id: ref.id, refName: ref.refName, symbol: currencies.symbolOf(ref.id) };
    }

    function featureOn(feature) {
        return runtime.isFeatureInEffect({ feature });
    }

    function usageLeft() {
        return runtime.getCurrentScript().getRemainingUsage();
    }

    /**
     * Runs build(row) for rows while the budget allows unitCost more units (a number, or a function of
     * the row) and still leaves trailingUnits (work done after the loop) plus the reserve. Returns the
     * built items; fewer than rows means the page was cut short and the caller reports hasMore.
     */
    function buildWithinBudget(rows, unitCost, trailingUnits, build) {
        const costOf = typeof unitCost === 'function' ? unitCost : () => unitCost;
        const items = [];
        for (const row of rows) {
            if (usageLeft() - costOf(row) - trailingUnits < RESERVE_UNITS) {
                break;
            }
            items.push(build(row));
        }
        if (rows.length > 0 && items.length === 0) {
            fail('SSS_USAGE_LIMIT_EXCEEDED', 'Not enough governance units left to read one record; retry the request.');
        }
        return items;
    }

    function parseIntParam(raw, name, fallback, min, max) {
        if (isEmpty(raw)) {
            return fallback;
        }
        const value = String(raw).trim();
        if (!DIGITS.test(value) || Number(value) < min || Number(value) > max) {
            const range = max === Infinity ? `an integer >= ${min}` : `an integer between ${min} and ${max}`;
            fail('INVALID_PARAMETER', `${name} must be ${range}; got "${value}"`);
        }
        return Number(value);
    }

    function parseSince(raw) {
        if (isEmpty(raw)) {
            return null;
        }
        const since = parseIsoTimestamp(String(raw).trim());
        if (!since) {
            fail('INVALID_PARAMETER',
                `since must be an ISO-8601 UTC timestamp such as 2024-05-01T00:00:00Z; got "${raw}"`);
        }
        return since;
    }

    function parseId(raw, name) {
        const value = String(raw).trim();
        if (!DIGITS.test(value)) {
            fail('INVALID_PARAMETER', `${name || 'id'} must be a NetSuite internal id (digits); got "${value}"`);
        }
        return value;
    }

    /** offset/limit/since of a list request. Other parameters (script, deploy, ...) are ignored. */
    function parseListParams(params) {
        return {
            since: parseSince(params.since),
            offset: parseIntParam(params.offset, 'offset', 0, 0, Infinity),
            limit: parseIntParam(params.limit, 'limit', DEFAULT_LIMIT, 1, MAX_LIMIT),
        };
    }

    /** [a, b, c] -> [a, 'AND', b, 'AND', c] (a search filter expression). */
    function allOf(conditions) {
        const out = [];
        conditions.forEach((condition, i) => {
            if (i > 0) {
                out.push('AND');
            }
            out.push(condition);
        });
        return out;
    }

    function sinceFilter(since) {
        // The filter value is a string in the user's date/time preference (format.format without a
        // timezone formats in the user's zone, the zone search filters are read in). Such strings
        // usually stop at minutes, so `since` is honoured at minute precision: records up to 59 s
        // older can come back, never fewer. Clients de-duplicate by id (erp-facts.md §Watermarks).
        const value = format.format({ value: since, type: format.Type.DATETIME });
        return ['lastmodifieddate', search.Operator.ONORAFTER, value];
    }

    function orderColumns() {
        // Deterministic paging: lastmodifieddate alone has ties, so internal id breaks them
        // (Oracle's note on search.create: sort on several fields or rows may change order).
        return [
            search.createColumn({ name: 'lastmodifieddate', sort: search.Sort.ASC }),
            search.createColumn({ name: 'internalid', sort: search.Sort.ASC }),
        ];
    }

    function createSearch(spec, conditions) {
        return search.create({
            type: spec.type,
            filters: allOf(spec.baseFilters().concat(conditions)),
            columns: spec.columns().concat(orderColumns()),
        });
    }

    /**
     * One page of a list: {"items", "offset", "limit", "count", "hasMore", "totalResults"}.
     * Costs 15 units (runPaged for the total, one getRange for the rows) plus what spec.buildItems
     * spends (5 units per distinct currency among them, see currencyCache); getRange takes any start,
     * so offset need not be a multiple of limit.
     */
    function listPage(spec, params) {
        const query = parseListParams(params);
        const conditions = query.since ? [sinceFilter(query.since)] : [];
        const listSearch = createSearch(spec, conditions.concat(spec.listFilters ? spec.listFilters(params) : []));
        const total = listSearch.runPaged({ pageSize: MAX_LIMIT }).count;
        const rows = query.offset < total
            ? listSearch.run().getRange({ start: query.offset, end: query.offset + query.limit })
            : [];
        const items = spec.buildItems(rows, currencyCache());
        return {
            items,
            offset: query.offset,
            limit: query.limit,
            count: items.length,
            hasMore: query.offset + items.length < total,
            totalResults: total,
        };
    }

    /** The one record matching conditions (10 units plus buildItems), or NOT_FOUND. */
    function getOne(spec, conditions, notFoundMessage) {
        const rows = createSearch(spec, conditions).run().getRange({ start: 0, end: 1 });
        if (rows.length === 0) {
            fail('NOT_FOUND', notFoundMessage);
        }
        return spec.buildItems(rows, currencyCache())[0];
    }

    function getById(spec, rawId) {
        const id = parseId(rawId, 'id');
        return getOne(spec, [['internalid', search.Operator.ANYOF, [id]]], `${spec.label} ${id} not found`);
    }

    /**
     * The GET entry point of the simple scripts: `id` -> one record, otherwise a list page.
     * spec: {type, label, baseFilters(), columns(), buildItems(rows, currencies), listFilters?(params)};
     * buildItems gets a fresh currencyCache() for the call.
     */
    function handleGet(spec, params) {
        const p = params || {};
        return isEmpty(p.id) ? listPage(spec, p) : getById(spec, p.id);
    }

    return {
        DEFAULT_LIMIT,
        MAX_LIMIT,
        UNITS,
        RESERVE_UNITS,
        fail,
        isEmpty,
        isDate,
        text,
        bool,
        num,
        subtractMoney,
        sumMoney,
        isoDateTime,
        isoDate,
        parseIsoDate,
        parseIsoTimestamp,
        recordRef,
        lineRef,
        rowRef,
        currencyCache,
        currencyRef,
        featureOn,
        usageLeft,
        buildWithinBudget,
        parseId,
        parseListParams,
        allOf,
        listPage,
        getOne,
        getById,
        handleGet,
    };
});
