"""The `netsuite` package (0.12, authlib) and requests-oauthlib against the NetSuite simulator.

Both sign with Token-Based Authentication, HMAC-SHA256, and add `oauth_body_hash` =
base64(SHA-1(body)) to requests with a body: `netsuite` always (authlib, `force_include_body=True`,
jacobsvante/netsuite PR 26), requests-oauthlib when asked to (`force_include_body=True`) - issue 12
item 18. How they reach the simulator:
- `netsuite`: it builds `https://<account>.suitetalk.api.netsuite.com/services/rest<subpath>` (and
  the `restlets` host) in `_make_url`, with no base-URL setting; a two-line subclass overrides only
  that method to put the simulator's loopback base URL in front of the same path. It signs the URL it
  requests, which is what the simulator verifies for non-NetSuite host names.
- requests-oauthlib: the URL is the caller's; nothing to redirect.
`netsuite` 0.12 declares httpx<0.28 and runs here on the product's httpx 0.28.1 (pyproject
`[tool.uv]` override): everything below works except one thing, seen and recorded here: httpx 0.28
replaces (no longer merges) a URL's query with `params=`, so the client's RESTlet calls lose
`script`/`deploy` when given `params` - RESTlet paging is therefore driven with requests-oauthlib.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest
import requests
from netsuite import Config, NetSuiteRestApi, NetSuiteRestlet, TokenAuth
from netsuite.exceptions import NetsuiteAPIRequestError
from requests_oauthlib import OAuth1

from erpsim.core.testing import LiveServer

pytestmark = [
    pytest.mark.contract,
    # the clients' own deprecation notices (netsuite posts a str as `data=`; oauthlib's HMAC-SHA256 name)
    pytest.mark.filterwarnings("ignore:Use 'content=<...>' to upload raw bytes/text content"),
    pytest.mark.filterwarnings("ignore:use sign_hmac_sha256_with_client instead"),
]
RESTLET = "/app/site/hosting/restlet.nl"


class Loopback:
    """The simulator's base URL in place of the account host names, for `netsuite`'s `_make_url`."""

    base = ""


class LoopbackRestApi(NetSuiteRestApi):
    def _make_url(self, subpath: str) -> str:
        return f"{Loopback.base}/services/rest{subpath}"


class LoopbackRestlet(NetSuiteRestlet):
    def _make_url(self, subpath: str) -> str:
        return f"{Loopback.base}{RESTLET}{subpath}"


@pytest.fixture
def live(serve: Callable[..., LiveServer], monkeypatch: pytest.MonkeyPatch) -> LiveServer:
    server = serve("netsuite")
    monkeypatch.setattr(Loopback, "base", server.base_url)
    return server


def _config(live: LiveServer) -> Config:
    creds = live.sim.credentials()
    auth = TokenAuth(
        consumer_key=creds["consumer_key"],
        consumer_secret=creds["consumer_secret"],
        token_id=creds["token_id"],
        token_secret=creds["token_secret"],
    )
    return Config(account=creds["account_id"], auth=auth)


def _oauth1(live: LiveServer, **options: Any) -> OAuth1:
    creds = live.sim.credentials()
    return OAuth1(
        creds["consumer_key"],
        creds["consumer_secret"],
        creds["token_id"],
        creds["token_secret"],
        signature_method="HMAC-SHA256",
        realm=creds["account_id"],
        **options,
    )


def _bill(live: LiveServer, external_id: str, sublist: Callable[[list[Any]], Any]) -> dict[str, Any]:
    store = live.sim.store
    vendor = next(v for v in store.ordered("vendor") if not v["isInactive"])
    expense = next(a for a in store.records["account"].values() if a["acctType"] == "Expense")
    lines = [{"account": {"id": expense["id"]}, "amount": 150.25, "memo": "contract test"}]
    return {
        "externalId": external_id,
        "entity": {"id": vendor["id"]},
        "tranId": external_id.upper(),
        "tranDate": "2024-06-01",
        "dueDate": "2024-07-01",
        "expense": sublist(lines),
    }


async def test_netsuite_client_reads_rest_collections_and_suiteql_pages(live: LiveServer) -> None:
    rest = LoopbackRestApi(_config(live))
    ids: list[str] = []
    offset = 0
    while True:
        page = await rest.get("/record/v1/vendor", params={"limit": 8, "offset": offset})
        ids += [item["id"] for item in page["items"]]
        if not page["hasMore"]:
            break
        offset += 8
    assert len(ids) == len(set(ids)) == page["totalResults"] == live.sim.store.count("vendor")
    rows: list[dict[str, Any]] = []
    offset = 0
    while True:
        result = await rest.suiteql("SELECT id, companyname FROM vendor ORDER BY id", limit=8, offset=offset)
        rows += result["items"]
        if not result["hasMore"]:
            break
        offset += 8
    assert sorted(row["id"] for row in rows) == sorted(ids)  # POST with a SHA-1 body hash, every page


async def test_netsuite_client_creates_a_bill_and_sees_the_duplicate(live: LiveServer) -> None:
    rest = LoopbackRestApi(_config(live))
    body = _bill(live, "ct-ns-1", lambda lines: {"items": lines})
    created = await rest.request("POST", "/record/v1/vendorBill", json=body)
    assert created.status_code == 204, created.text
    bill_id = created.headers["Location"].rsplit("/", 1)[1]
    read = await rest.get(f"/record/v1/vendorBill/{bill_id}")
    assert (read["externalId"], read["tranId"]) == ("ct-ns-1", "CT-NS-1")
    with pytest.raises(NetsuiteAPIRequestError) as duplicate:
        await rest.post("/record/v1/vendorBill", json=body)
    assert duplicate.value.status_code == 400
    assert json.loads(duplicate.value.response_text)["o:errorDetails"][0]["o:errorCode"] == "DUP_RCRD"
    restlet = LoopbackRestlet(_config(live))
    posted = await restlet.post(
        "customscript_smartap_bill",
        deploy="customdeploy_smartap_bill",
        json=_bill(live, "ct-ns-2", lambda lines: lines),
    )
    assert posted["created"] is True
    listed = await restlet.get("customscript_smartap_vendor", deploy="customdeploy_smartap_vendor")
    assert listed["count"] == live.sim.store.count("vendor")
    assert live.sim.verifier.audit["body_hash_mismatch"] == 0


async def test_netsuite_client_wrong_secret_is_an_invalid_login(live: LiveServer) -> None:
    config = _config(live)
    assert isinstance(config.auth, TokenAuth)
    config.auth.token_secret = "0" * 64
    with pytest.raises(NetsuiteAPIRequestError) as refused:
        await LoopbackRestApi(config).get("/record/v1/vendor")
    assert refused.value.status_code == 401
    assert "INVALID_LOGIN" in refused.value.response_text


def test_requests_oauthlib_pages_a_restlet_and_posts_with_a_body_hash(live: LiveServer) -> None:
    url = f"{live.base_url}{RESTLET}"
    script = {"script": "customscript_smartap_vendor", "deploy": "customdeploy_smartap_vendor"}
    ids: list[str] = []
    offset = 0
    while True:
        page = requests.get(
            url, params={**script, "limit": 7, "offset": offset}, auth=_oauth1(live), timeout=10
        )
        assert page.status_code == 200, page.text
        ids += [item["id"] for item in page.json()["items"]]
        if not page.json()["hasMore"]:
            break
        offset += 7
    assert len(ids) == len(set(ids)) == live.sim.store.count("vendor")
    bill_script = {"script": "customscript_smartap_bill", "deploy": "customdeploy_smartap_bill"}
    for external_id, hashed in (("ct-ro-1", True), ("ct-ro-2", False)):
        response = requests.post(
            url,
            params=bill_script,
            json=_bill(live, external_id, lambda lines: lines),
            auth=_oauth1(live, force_include_body=hashed),
            timeout=10,
        )
        assert response.status_code == 200, response.text
        header = response.request.headers["Authorization"]  # requests-oauthlib leaves it as bytes
        assert (b"oauth_body_hash" in (header if isinstance(header, bytes) else header.encode())) is hashed
    assert live.sim.verifier.audit["success"] == len(ids) // 7 + 1 + 2


def test_replayed_authorization_header_is_refused(live: LiveServer) -> None:
    """TBA has no token refresh: every request needs a fresh nonce and timestamp
    (netsuite-connector.md §Token-based authentication)."""
    session = requests.Session()
    prepared = session.prepare_request(
        requests.Request("GET", f"{live.base_url}/services/rest/record/v1/vendor", auth=_oauth1(live))
    )
    assert session.send(prepared, timeout=10).status_code == 200
    replay = session.send(prepared, timeout=10)
    assert replay.status_code == 401
    assert replay.json()["o:errorDetails"][0]["o:errorCode"] == "INVALID_LOGIN"
    assert live.sim.verifier.audit["nonce_used"] == 1
    assert httpx.__version__ == "0.28.1"  # the override this file's docstring describes
