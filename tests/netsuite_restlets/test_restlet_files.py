"""Static checks of the NetSuite RESTlet deliverables that need no Node.

The five scripts an administrator uploads must carry the JSDoc tags NetSuite reads (API 2.1, script
type Restlet, SameAccount scope), and docs/netsuite.md, the reference the connector and the
simulator follow, must name every script file, script id and deployment id it asks admins to create.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
RESTLETS = REPO / "netsuite" / "restlets"
GUIDE = REPO / "docs" / "netsuite.md"
SCRIPTS = {
    "smartap_vendor_restlet.js": "smartap_vendor",
    "smartap_purchase_order_restlet.js": "smartap_po",
    "smartap_vendor_bill_restlet.js": "smartap_bill",
    "smartap_account_restlet.js": "smartap_account",
    "smartap_tax_code_restlet.js": "smartap_taxcode",
}
LIBRARIES = (
    "smartap_lib.js",
    "smartap_txn_lib.js",
    "smartap_bill_input.js",
    "smartap_bill_writer.js",
    "smartap_bill_batch.js",
)


def _jsdoc_header(path: Path) -> str:
    match = re.match(r"/\*\*(.*?)\*/", path.read_text(encoding="utf-8"), re.DOTALL)
    assert match, f"{path.name} must start with a JSDoc block"
    return match.group(1)


@pytest.mark.parametrize("file_name", sorted(SCRIPTS))
def test_restlet_declares_suitescript_tags(file_name: str) -> None:
    header = _jsdoc_header(RESTLETS / file_name)
    assert re.search(r"@NApiVersion 2\.1\b", header)
    assert re.search(r"@NScriptType Restlet\b", header)
    assert re.search(r"@NModuleScope SameAccount\b", header)


@pytest.mark.parametrize("file_name", LIBRARIES)
def test_library_has_no_script_type(file_name: str) -> None:
    header = _jsdoc_header(RESTLETS / file_name)
    assert re.search(r"@NApiVersion 2\.1\b", header)
    assert "@NScriptType" not in header


def test_guide_names_every_file_script_and_deployment() -> None:
    guide = GUIDE.read_text(encoding="utf-8")
    for file_name, suffix in SCRIPTS.items():
        assert file_name in guide
        assert f"customscript_{suffix}" in guide
        assert f"customdeploy_{suffix}" in guide
    for file_name in LIBRARIES:
        assert file_name in guide
