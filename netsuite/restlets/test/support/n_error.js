'use strict';
/**
 * Fake N/error: error.create returns a SuiteScriptError the script throws; the test harness turns it
 * into NetSuite's RESTlet error answer (HTTP 400, {"error": {"code", "message"}}).
 */

class SuiteScriptError extends Error {
    constructor(name, message, notifyOff) {
        super(message);
        this.name = name;
        this.type = 'error.SuiteScriptError';
        this.notifyOff = Boolean(notifyOff);
    }
}

function createErrorModule() {
    return {
        Type: { INVALID_FLD_VALUE: 'INVALID_FLD_VALUE', SSS_MISSING_REQD_ARGUMENT: 'SSS_MISSING_REQD_ARGUMENT' },
        create(options) {
            if (!options || typeof options.name !== 'string' || typeof options.message !== 'string') {
                throw new SuiteScriptError('SSS_MISSING_REQD_ARGUMENT', 'error.create needs name and message');
            }
            return new SuiteScriptError(options.name, options.message, options.notifyOff);
        },
    };
}

module.exports = { SuiteScriptError, createErrorModule };
