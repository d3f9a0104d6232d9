/**
 * @NApiVersion 2.1
 * @NScriptType Restlet
 * @NModuleScope SameAccount
 *
 * SmartAP vendors RESTlet (script customscript_smartap_vendor, deployment customdeploy_smartap_vendor).
 * GET ?id=<internal id> returns one vendor; GET without id returns a page of vendors ordered by
 * lastmodifieddate then internal id, filtered by `since` and paged by `offset`/`limit`
 * (docs/netsuite.md has the full contract). Read-only: no post/put/delete entry points.
 */
define(['N/search', './smartap_lib'], (search, lib) => {
    // Vendor search column ids (netsuite-connector.md §Record fields gives the record fields; `taxidnum` as a
    // search column is UNCERTAIN). currency/subsidiary exist only with the Multiple Currencies / OneWorld
    // features; asking for them without the feature makes the search fail, hence the checks.
    function columns() {
        const cols = ['externalid', 'entityid', 'companyname', 'isperson', 'email', 'phone', 'isinactive',
            'taxidnum', 'terms', 'address', 'address1', 'address2', 'city', 'state', 'zipcode', 'country'];
        if (lib.featureOn('MULTICURRENCY')) {
            cols.push('currency');
        }
        if (lib.featureOn('SUBSIDIARIES')) {
            cols.push('subsidiary');
        }
        return cols;
    }

    function hasColumn(row, column) {
        return row.columns.some((c) => c.name === column);
    }

    function optionalRef(row, column) {
        return hasColumn(row, column) ? lib.rowRef(row, column) : null;
    }

    function currencyId(row) {
        return hasColumn(row, 'currency') ? row.getValue('currency') : null;
    }

    /**
     * One vendor search row in the contract's shape. The row carries every field; only the currency's
     * ISO code needs a read (5 units per distinct currency per call, lib.currencyCache).
     */
    function toVendor(row, currencies) {
        const value = (column) => row.getValue(column);
        return {
            id: String(row.id),
            externalId: lib.text(value('externalid')),
            entityId: lib.text(value('entityid')),
            companyName: lib.text(value('companyname')),
            isPerson: lib.bool(value('isperson')),
            email: lib.text(value('email')),
            phone: lib.text(value('phone')),
            isInactive: lib.bool(value('isinactive')),
            taxIdNum: lib.text(value('taxidnum')),
            terms: lib.rowRef(row, 'terms'),
            currency: lib.currencyRef(optionalRef(row, 'currency'), currencies),
            subsidiary: optionalRef(row, 'subsidiary'),
            // `address` is the default billing address as one text block
            // (netsuite-connector.md §Record fields defaultAddress).
            defaultAddress: lib.text(value('address')),
            address: {
                addr1: lib.text(value('address1')),
                addr2: lib.text(value('address2')),
                city: lib.text(value('city')),
                state: lib.text(value('state')),
                zip: lib.text(value('zipcode')),
                country: lib.text(value('country')),
            },
            lastModifiedDate: lib.isoDateTime(value('lastmodifieddate')),
        };
    }

    const spec = {
        type: search.Type.VENDOR,
        label: 'vendor',
        baseFilters: () => [],
        columns,
        buildItems: (rows, currencies) => lib.buildWithinBudget(rows,
            (row) => currencies.cost(currencyId(row)), 0, (row) => toVendor(row, currencies)),
    };

    return {
        get: (params) => lib.handleGet(spec, params),
    };
});
