'use strict';
/** Fake N/runtime: the current script's remaining usage and the account's enabled features. */

function createRuntimeModule(governance, features, scriptId) {
    return {
        getCurrentScript() {
            return {
                id: scriptId,
                deploymentId: scriptId.replace('customscript', 'customdeploy'),
                getRemainingUsage: () => governance.remaining(),
                getParameter: () => null,
            };
        },
        isFeatureInEffect(options) {
            if (!options || typeof options.feature !== 'string') {
                throw new Error('isFeatureInEffect needs options.feature');
            }
            return Boolean(features[options.feature.toUpperCase()]);
        },
    };
}

module.exports = { createRuntimeModule };
