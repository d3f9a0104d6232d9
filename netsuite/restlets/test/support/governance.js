'use strict';
/**
 * Usage-unit meter of one RESTlet execution (netsuite-connector.md §RESTlets: 5,000 units). The fake N/
 * modules charge what Oracle's governance table lists; going over the limit throws SSS_USAGE_LIMIT_EXCEEDED,
 * as NetSuite does, which a test sees as a failure of the script's own budgeting.
 */
const { SuiteScriptError } = require('./n_error');

class Governance {
    constructor(limit) {
        this.reset(limit);
    }

    reset(limit) {
        this.limit = limit === undefined ? 5000 : limit;
        this.used = 0;
        this.calls = [];
    }

    charge(units, what) {
        this.used += units;
        this.calls.push([what, units]);
        if (this.used > this.limit) {
            throw new SuiteScriptError('SSS_USAGE_LIMIT_EXCEEDED',
                `Script Execution Usage Limit Exceeded (${what} after ${this.used - units} of ${this.limit} units)`);
        }
    }

    remaining() {
        return this.limit - this.used;
    }
}

module.exports = { Governance };
