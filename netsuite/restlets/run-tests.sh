#!/usr/bin/env bash
# Runs the SmartAP RESTlet tests with Node's built-in test runner (Node 20+, no packages needed).
# Exits non-zero when a test fails. TZ is Pacific time because NetSuite runs server scripts there;
# the fake user's preference zone differs on purpose (see test/support/n_format.js).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")"

if ! command -v node >/dev/null 2>&1; then
    echo "run-tests.sh: node is not on PATH (Node 20 or newer is needed)" >&2
    exit 127
fi

export TZ=America/Los_Angeles
exec node --test --test-reporter=spec test/*.test.js
