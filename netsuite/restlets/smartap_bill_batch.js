/**
 * @NApiVersion 2.1
 * @NModuleScope SameAccount
 *
 * SmartAP RESTlet library: a batch of vendor bills in one POST ({"bills": [...]}, 1 to MAX_BILLS), each
 * created exactly once by externalId, answered bill by bill in request order (docs/netsuite.md 10.5):
 * "created" or "existing" with the bill's id, tranId, total and lastModifiedDate; "error" with
 * NetSuite's code and message (that bill only: the others go on); "notAttempted" when the execution's
 * usage units ran low before its turn (the client sends it again). Units (Oracle's "SuiteScript 2.x API
 * Governance" table, smartap_lib UNITS): one externalId search for the whole batch 10, per bill created
 * record.create or record.transform 10 + Record.save 20 (+ 10 for a second externalId search when the
 * save fails), one read-back search 10: 20 + 30 x 100 = 3,020 of the 5,000 a RESTlet execution has
 * (netsuite-connector.md §RESTlets) for a full batch, 4,020 if every save failed. Loaded as
 * './smartap_bill_batch'.
 */
define(['N/search', './smartap_lib', './smartap_bill_input', './smartap_bill_writer'],
    (search, lib, billInput, billWriter) => {
        const MAX_BILLS = 100;
        const SEARCH_UNITS = lib.UNITS.GET_RANGE;
        // A bill's worst case: its create (or transform) and save, then a second look-up if the save fails.
        const BILL_UNITS = lib.UNITS.CREATE_TRANSACTION + lib.UNITS.SAVE_TRANSACTION + SEARCH_UNITS;

        function isBatch(body) {
            return body !== null && typeof body === 'object' && !Array.isArray(body)
                && Object.prototype.hasOwnProperty.call(body, 'bills');
        }

        function billsOf(body) {
            const { bills } = body;
            if (!Array.isArray(bills) || bills.length === 0 || bills.length > MAX_BILLS) {
                lib.fail('INVALID_FIELD_VALUE', `bills must be a list of 1 to ${MAX_BILLS} bills`);
            }
            return bills;
        }

        /** The main-line rows of the vendor bills matching condition (one getRange, 10 units). */
        function billRows(condition, columns) {
            return search.create({
                type: search.Type.VENDOR_BILL,
                filters: lib.allOf([['mainline', search.Operator.IS, 'T'], condition]),
                columns,
            }).run().getRange({ start: 0, end: MAX_BILLS });
        }

        /** {externalId: internal id} of the bills already holding these externalIds (one search, 10 units). */
        function idsByExternalId(externalIds) {
            const found = {};
            if (externalIds.length === 0) {
                return found;
            }
            billRows(['externalid', search.Operator.ANYOF, externalIds], ['externalid']).forEach((row) => {
                found[String(row.getValue('externalid'))] = String(row.id);
            });
            return found;
        }

        /**
         * {id: {tranId, total, lastModifiedDate}} of the batch's bills (one search, 10 units). The total in
         * the bill's currency is the main line's fxamount with Multiple Currencies, else its amount; a bill
         * credits A/P, so its main line can read negative: the contract gives the bill's total (column
         * ids and sign UNCERTAIN, netsuite-connector.md §Record fields; the single POST loads the record).
         */
        function readBack(ids) {
            const amount = lib.featureOn('MULTICURRENCY') ? 'fxamount' : 'amount';
            const out = {};
            if (ids.length === 0) {
                return out;
            }
            billRows(['internalid', search.Operator.ANYOF, ids], ['tranid', amount, 'lastmodifieddate']).forEach((row) => {
                const total = lib.num(row.getValue(amount));
                out[String(row.id)] = {
                    tranId: lib.text(row.getValue('tranid')),
                    total: total === null ? null : Math.abs(total),
                    lastModifiedDate: lib.isoDateTime(row.getValue('lastmodifieddate')),
                };
            });
            return out;
        }

        function parseOne(raw) {
            try {
                return { input: billInput.parse(raw) };
            } catch (e) {
                return { error: errorOf(e) };
            }
        }

        /** NetSuite's code and message of an error thrown for one bill; a script bug is rethrown. */
        function errorOf(e) {
            if (!e || e.type !== 'error.SuiteScriptError') {
                throw e;
            }
            return { code: String(e.name), message: String(e.message) };
        }

        /** Creates one bill; a failed save is answered by the bill a concurrent request saved first. */
        function createOne(input) {
            try {
                return { status: 'created', id: billWriter.create(input) };
            } catch (e) {
                const error = errorOf(e);
                const raced = idsByExternalId([input.externalId])[input.externalId];
                return raced ? { status: 'existing', id: raced } : { status: 'error', error };
            }
        }

        function post(body) {
            const parsed = billsOf(body).map(parseOne);
            const externalIds = parsed.filter((p) => p.input).map((p) => p.input.externalId);
            const known = idsByExternalId(Array.from(new Set(externalIds)));
            let stopped = false;
            const outcomes = parsed.map((p) => {
                if (p.error) {
                    return { status: 'error', error: p.error };
                }
                const ext = p.input.externalId;
                if (known[ext]) { // created before, or earlier in this batch
                    return { status: 'existing', id: known[ext] };
                }
                stopped = stopped || lib.usageLeft() - BILL_UNITS - SEARCH_UNITS < lib.RESERVE_UNITS;
                if (stopped) {
                    return { status: 'notAttempted' };
                }
                const outcome = createOne(p.input);
                if (outcome.id) {
                    known[ext] = outcome.id;
                }
                return outcome;
            });
            if (outcomes.every((o) => o.status === 'notAttempted')) {
                lib.fail('SSS_USAGE_LIMIT_EXCEEDED', 'Not enough governance units left to create one bill; retry the request.');
            }
            const bills = readBack(Array.from(new Set(outcomes.filter((o) => o.id).map((o) => o.id))));
            const results = outcomes.map((o, index) => {
                const externalId = parsed[index].input ? parsed[index].input.externalId : null;
                const result = { index, externalId, status: o.status };
                return o.id ? { ...result, id: o.id, ...bills[o.id] } : (o.error ? { ...result, error: o.error } : result);
            });
            return { results };
        }

        return { MAX_BILLS, BILL_UNITS, isBatch, post };
    });
