/**
 * @NApiVersion 2.1
 * @NScriptType Restlet
 * @NModuleScope SameAccount
 *
 * SmartAP tax codes RESTlet (script customscript_smartap_taxcode, deployment
 * customdeploy_smartap_taxcode). GET ?id=<internal id> returns one tax code; GET without id returns a
 * page of tax codes ordered by lastmodifieddate then internal id, filtered by `since` and paged by
 * `offset`/`limit` (docs/netsuite.md). Read-only.
 */
define(['N/search', './smartap_lib'], (search, lib) => {
    // Tax codes are Sales Tax Item records (search type salestaxitem) in accounts using legacy tax;
    // SuiteTax accounts keep tax codes elsewhere (netsuite-connector.md §REST record API: tax record names
    // UNCERTAIN). That the salestaxitem search offers lastmodifieddate for `since` and ordering is UNCERTAIN
    // as well.
    function columns() {
        return ['itemid', 'description', 'rate', 'isinactive'];
    }

    function toTaxCode(row) {
        return {
            id: String(row.id),
            itemId: lib.text(row.getValue('itemid')),
            description: lib.text(row.getValue('description')),
            // The rate column reads like "8.25%"; the contract carries the percent as a number.
            rate: lib.num(row.getValue('rate')),
            isInactive: lib.bool(row.getValue('isinactive')),
        };
    }

    const spec = {
        type: search.Type.SALES_TAX_ITEM,
        label: 'tax code',
        baseFilters: () => [],
        columns,
        buildItems: (rows) => rows.map(toTaxCode),
    };

    return {
        get: (params) => lib.handleGet(spec, params),
    };
});
