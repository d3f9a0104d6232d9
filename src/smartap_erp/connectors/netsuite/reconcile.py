"""NetSuite's side of a reconciliation report (netsuite-connector.md §SuiteQL).

Vendors only, for now: `SELECT id, entityid, companyname, isinactive FROM vendor ORDER BY id`
through SuiteQL, paged by `offset`/`limit` at the connector's page size (1,000), in either mode (in
RESTlet mode SuiteQL is still served by the SuiteTalk host, as for the removal feed). Budget:
max(1, ⌈n/1000⌉). Purchase orders, bills and payments are not reconciled for NetSuite yet: SuiteQL
gives a transaction's currency as an internal id, which needs the currency list to turn into a code.
"""

from __future__ import annotations

import dataclasses

from smartap_erp.connectors.base import rebase_url
from smartap_erp.connectors.netsuite.connector import SUITEQL, NetSuiteConnector
from smartap_erp.connectors.reconciliation import ERPRow, ERPSnapshot, ReconcileObject
from smartap_erp.http.paginate import OffsetLimit

VENDORS = "SELECT id, entityid, companyname, isinactive FROM vendor ORDER BY id"


async def read_snapshot(erp: NetSuiteConnector) -> ERPSnapshot:
    call = erp.suiteql_call(VENDORS)
    if erp.mode == "restlet":
        real = f"https://{erp.host}.suitetalk.api.netsuite.com{SUITEQL}"
        call = dataclasses.replace(call, url=rebase_url(real, erp.options.base_url))
    rows = [
        row
        async for page in erp.pages(call, OffsetLimit(limit=erp.page_size), "items")
        for row in page.records
    ]
    return ERPSnapshot(
        vendors=[
            ERPRow(
                str(v["id"]),
                v.get("companyname") or v.get("entityid"),
                "inactive" if str(v.get("isinactive") or "F").upper() in ("T", "TRUE") else "active",
            )
            for v in rows
        ],
        objects=frozenset({ReconcileObject.VENDORS}),
    )
