/**
 * @NApiVersion 2.1
 * @NScriptType Restlet
 * @NModuleScope SameAccount
 *
 * SmartAP chart-of-accounts RESTlet (script customscript_smartap_account, deployment
 * customdeploy_smartap_account). GET ?id=<internal id> returns one account; GET without id returns a
 * page of accounts ordered by lastmodifieddate then internal id, filtered by `since` and paged by
 * `offset`/`limit` (docs/netsuite.md). Read-only.
 */
define(['N/search', './smartap_lib'], (search, lib) => {
    // Account search columns: number / name / type are the account search's ids for the record
    // fields acctnumber / acctname / accttype (netsuite-connector.md §Record fields marks the exact ids
    // UNCERTAIN). `type` returns NetSuite's internal type id (Expense, AcctPay, Bank, ...). currency exists
    // only with Multiple Currencies.
    function columns() {
        const cols = ['number', 'name', 'type', 'isinactive'];
        if (lib.featureOn('MULTICURRENCY')) {
            cols.push('currency');
        }
        return cols;
    }

    function hasCurrency(row) {
        return row.columns.some((c) => c.name === 'currency');
    }

    /** One account row; its currency's ISO code costs 5 units per distinct currency per call. */
    function toAccount(row, currencies) {
        return {
            id: String(row.id),
            acctNumber: lib.text(row.getValue('number')),
            acctName: lib.text(row.getValue('name')),
            acctType: lib.text(row.getValue('type')),
            isInactive: lib.bool(row.getValue('isinactive')),
            currency: hasCurrency(row) ? lib.currencyRef(lib.rowRef(row, 'currency'), currencies) : null,
            lastModifiedDate: lib.isoDateTime(row.getValue('lastmodifieddate')),
        };
    }

    const spec = {
        type: search.Type.ACCOUNT,
        label: 'account',
        baseFilters: () => [],
        columns,
        buildItems: (rows, currencies) => lib.buildWithinBudget(rows,
            (row) => (hasCurrency(row) ? currencies.cost(row.getValue('currency')) : 0), 0,
            (row) => toAccount(row, currencies)),
    };

    return {
        get: (params) => lib.handleGet(spec, params),
    };
});
