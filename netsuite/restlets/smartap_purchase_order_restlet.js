/**
 * @NApiVersion 2.1
 * @NScriptType Restlet
 * @NModuleScope SameAccount
 *
 * SmartAP purchase orders RESTlet (script customscript_smartap_po, deployment customdeploy_smartap_po).
 * GET ?id=<internal id> returns one purchase order with its item and expense lines; GET without id
 * returns a page ordered by lastmodifieddate then internal id, filtered by `since` and by `status`
 * (comma-separated standard statuses: open, closed, draft, cancelled), paged by `offset`/`limit`
 * (docs/netsuite.md). Read-only.
 */
define(['N/search', 'N/record', './smartap_lib', './smartap_txn_lib'], (search, record, lib, txn) => {
    const STANDARD_STATUSES = ['open', 'closed', 'draft', 'cancelled'];

    function parseStatuses(raw) {
        if (lib.isEmpty(raw)) {
            return [];
        }
        const wanted = String(raw).split(',').map((s) => s.trim().toLowerCase()).filter((s) => s !== '');
        const unknown = wanted.filter((s) => !STANDARD_STATUSES.includes(s));
        if (wanted.length === 0 || unknown.length > 0) {
            lib.fail('INVALID_PARAMETER',
                `status must be a comma-separated list of ${STANDARD_STATUSES.join(', ')}; got "${raw}"`);
        }
        return wanted;
    }

    function listFilters(params) {
        const statuses = parseStatuses(params.status);
        return statuses.length === 0 ? [] : [['status', search.Operator.ANYOF, txn.poStatusCodes(statuses)]];
    }

    function toPurchaseOrder(rec, currencies) {
        const head = txn.header(rec, currencies);
        return {
            id: head.id,
            tranId: head.tranId,
            entity: head.entity,
            tranDate: head.tranDate,
            status: head.status,
            statusRef: txn.standardPoStatus(head.status),
            currency: head.currency,
            subsidiary: head.subsidiary,
            memo: head.memo,
            total: head.total,
            lastModifiedDate: head.lastModifiedDate,
            lines: txn.readLines(rec),
        };
    }

    const spec = {
        type: search.Type.PURCHASE_ORDER,
        label: 'purchase order',
        // mainline = T: one row per purchase order, not one per line.
        baseFilters: () => [['mainline', search.Operator.IS, 'T']],
        columns: () => [],
        listFilters,
        // 10 units per purchase order (record.load of a transaction), 5 per distinct currency.
        buildItems: (rows, currencies) => txn.loadRows(record.Type.PURCHASE_ORDER, rows, 0, currencies)
            .map((rec) => toPurchaseOrder(rec, currencies)),
    };

    return {
        get: (params) => lib.handleGet(spec, params),
    };
});
