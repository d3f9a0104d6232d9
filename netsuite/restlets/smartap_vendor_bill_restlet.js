/**
 * @NApiVersion 2.1
 * @NScriptType Restlet
 * @NModuleScope SameAccount
 *
 * SmartAP vendor bills RESTlet (script customscript_smartap_bill, deployment customdeploy_smartap_bill).
 * GET ?id=<internal id> or ?externalId=<value> returns one bill with its lines and the vendor payments
 * applied to it; GET without either returns a page ordered by lastmodifieddate then internal id,
 * filtered by `since`, paged by `offset`/`limit`. POST creates a bill, idempotent by externalId: an
 * existing bill with that externalId is returned with "created": false and nothing is written; POST
 * {"bills": [...]} does the same for up to 100 bills and answers each (smartap_bill_batch;
 * docs/netsuite.md has every shape). No put/delete entry points.
 */
define(['N/search', 'N/record', './smartap_lib', './smartap_txn_lib', './smartap_bill_input', './smartap_bill_writer',
    './smartap_bill_batch'],
    (search, record, lib, txn, billInput, billWriter, billBatch) => {
        function toBill(rec, payments, currencies) {
            const head = txn.header(rec, currencies);
            const paid = lib.sumMoney(payments.map((p) => p.amount));
            // amountpaid / amountremaining are vendor bill header fields
            // (netsuite-connector.md §Record fields); where the record does not expose them they follow from
            // the payments found (vendor credits applied to the bill are then not counted: UNCERTAIN which
            // accounts lack the fields).
            const amountPaid = lib.num(rec.getValue({ fieldId: 'amountpaid' }));
            const amountRemaining = lib.num(rec.getValue({ fieldId: 'amountremaining' }));
            const paidValue = amountPaid === null ? paid : amountPaid;
            const remaining = amountRemaining === null ? lib.subtractMoney(head.total || 0, paidValue) : amountRemaining;
            return {
                id: head.id,
                externalId: lib.text(rec.getValue({ fieldId: 'externalid' })),
                tranId: head.tranId,
                entity: head.entity,
                tranDate: head.tranDate,
                dueDate: lib.isoDate(rec.getValue({ fieldId: 'duedate' })),
                status: head.status,
                statusRef: txn.standardBillStatus(head.status),
                currency: head.currency,
                subsidiary: head.subsidiary,
                memo: head.memo,
                total: head.total,
                amountPaid: paidValue,
                amountRemaining: remaining,
                createdFrom: lib.recordRef(rec, 'createdfrom'),
                lastModifiedDate: head.lastModifiedDate,
                lines: txn.readLines(rec),
                payments,
            };
        }

        /**
         * 10 units per bill plus 5 per distinct currency, then one payment search for the page
         * (PAYMENT_SEARCH_UNITS).
         */
        function buildBills(rows, currencies) {
            const records = txn.loadRows(record.Type.VENDOR_BILL, rows, txn.PAYMENT_SEARCH_UNITS, currencies);
            const payments = txn.paymentsByBill(records.map((rec) => String(rec.id)));
            return records.map((rec) => toBill(rec, payments[String(rec.id)], currencies));
        }

        const spec = {
            type: search.Type.VENDOR_BILL,
            label: 'vendor bill',
            baseFilters: () => [['mainline', search.Operator.IS, 'T']],
            columns: () => [],
            buildItems: buildBills,
        };

        function externalIdCondition(externalId) {
            return ['externalid', search.Operator.ANYOF, [externalId]];
        }

        function getByExternalId(externalId) {
            return lib.getOne(spec, [externalIdCondition(externalId)],
                `vendor bill with externalId "${externalId}" not found`);
        }

        /** The internal id of the bill with this externalId, or null (10 units). */
        function findIdByExternalId(externalId) {
            const rows = search.create({
                type: search.Type.VENDOR_BILL,
                filters: lib.allOf([spec.baseFilters()[0], externalIdCondition(externalId)]),
                columns: ['internalid'],
            }).run().getRange({ start: 0, end: 1 });
            return rows.length === 0 ? null : String(rows[0].id);
        }

        function get(params) {
            const p = params || {};
            const hasId = !lib.isEmpty(p.id);
            const hasExternalId = !lib.isEmpty(p.externalId);
            if (hasId && hasExternalId) {
                lib.fail('INVALID_PARAMETER', 'use either id or externalId, not both');
            }
            if (hasExternalId) {
                return getByExternalId(String(p.externalId));
            }
            return lib.handleGet(spec, p);
        }

        function answer(id, created) {
            const bill = lib.getById(spec, id);
            return { id: bill.id, tranId: bill.tranId, externalId: bill.externalId, created, bill };
        }

        /**
         * Creates a vendor bill unless one with the same externalId exists. Units: lookup 10, create or
         * transform 10, save 20, read back 35 to 55 (search 10, load 10, currency 5, payment search
         * 10 to 30).
         */
        function post(body) {
            const data = billInput.toObject(body);
            if (billBatch.isBatch(data)) {
                return billBatch.post(data);
            }
            const input = billInput.parse(data);
            const existing = findIdByExternalId(input.externalId);
            if (existing) {
                return answer(existing, false);
            }
            let id;
            try {
                id = billWriter.create(input);
            } catch (e) {
                // NetSuite keeps externalId unique per record type, so a concurrent request with the
                // same externalId makes this save fail; that request's bill is the answer.
                const raced = findIdByExternalId(input.externalId);
                if (raced) {
                    return answer(raced, false);
                }
                throw e;
            }
            return answer(id, true);
        }

        return { get, post };
    });
