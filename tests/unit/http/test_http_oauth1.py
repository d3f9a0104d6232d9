"""NetSuite TBA signing: the published test vector, RFC 5849 base-string rules, fresh nonce per send."""

from __future__ import annotations

import httpx
import pytest

from smartap_erp.http import RetryPolicy, build_client
from smartap_erp.http.oauth1 import (
    OAuth1TBAAuth,
    base_string_uri,
    normalized_parameters,
    percent_encode,
    realm_for,
    request_parameters,
    signature_base_string,
)

# netsuite-connector.md §Signature test vector, Oracle's worked example (section_1534941088).
VECTOR_URL = (
    "https://1234567.restlets.api.netsuite.com/app/site/hosting/restlet.nl"
    "?script=6&deploy=1&customParam=someValue&testParam=someOtherValue"
)
CONSUMER_KEY = "ef40afdd8abaac111b13825dd5e5e2ddddb44f86d5a0dd6dcf38c20aae6b67e4"
CONSUMER_SECRET = "d26ad321a4b2f23b0741c8d38392ce01c3e23e109df6c96eac6d099e9ab9e8b5"
TOKEN_ID = "2b0ce516420110bcbd36b69e99196d1b7f6de3c6234c5afb799b73d87569f5cc"
TOKEN_SECRET = "c29a677df7d5439a458c063654187e3d678d73aca8e3c9d8bea1478a3eb0d295"
NONCE = "fjaLirsIcCGVZWzBX0pg"
TIMESTAMP = 1508242306
EXPECTED_SIGNATURE = "i7MEtGwhCTIZbTsTrNGw9LdcERn4wsjt5C7TxmKWIfU="


def vector_auth(nonce: str = NONCE, timestamp: float = TIMESTAMP) -> OAuth1TBAAuth:
    return OAuth1TBAAuth(
        account_id="1234567",
        consumer_key=CONSUMER_KEY,
        consumer_secret=CONSUMER_SECRET,
        token_id=TOKEN_ID,
        token_secret=TOKEN_SECRET,
        clock=lambda: timestamp,
        nonce=lambda: nonce,
    )


def header_fields(request: httpx.Request) -> dict[str, str]:
    value = request.headers["Authorization"]
    assert value.startswith("OAuth ")
    pairs = (part.strip().split("=", 1) for part in value[len("OAuth ") :].split(","))
    return {name: raw.strip('"') for name, raw in pairs}


def test_published_test_vector_signature_is_reproduced() -> None:
    request = httpx.Request("POST", VECTOR_URL)
    vector_auth().sign(request)

    fields = header_fields(request)
    assert httpx.URL(f"?s={fields['oauth_signature']}").params["s"] == EXPECTED_SIGNATURE
    assert fields["oauth_signature"] == percent_encode(EXPECTED_SIGNATURE)  # encoded in the header
    assert fields["realm"] == "1234567"
    assert fields["oauth_signature_method"] == "HMAC-SHA256"
    assert fields["oauth_nonce"] == NONCE
    assert fields["oauth_timestamp"] == str(TIMESTAMP)
    assert fields["oauth_version"] == "1.0"


def test_base_string_sorts_query_and_oauth_parameters_together_and_double_encodes() -> None:
    auth = vector_auth()
    request = httpx.Request("POST", VECTOR_URL)
    oauth = auth.oauth_parameters()
    base = signature_base_string("post", request.url, [*oauth.items(), *request_parameters(request)])

    assert base.startswith(
        "POST&https%3A%2F%2F1234567.restlets.api.netsuite.com%2Fapp%2Fsite%2Fhosting%2Frestlet.nl"
        "&customParam%3DsomeValue%26deploy%3D1%26oauth_consumer_key%3D"
    )
    assert "realm" not in base  # header only (netsuite-connector.md §Token-based authentication)
    assert "%26script%3D6%26testParam%3DsomeOtherValue" in base


def test_signature_changes_when_the_query_changes() -> None:
    first, second = (
        httpx.Request("POST", VECTOR_URL),
        httpx.Request("POST", VECTOR_URL.replace("deploy=1", "deploy=2")),
    )
    vector_auth().sign(first)
    vector_auth().sign(second)
    assert header_fields(first)["oauth_signature"] != header_fields(second)["oauth_signature"]


def test_signature_changes_with_nonce_and_timestamp() -> None:
    signatures = set()
    for nonce, timestamp in ((NONCE, TIMESTAMP), ("otherNonce123", TIMESTAMP), (NONCE, TIMESTAMP + 1)):
        request = httpx.Request("POST", VECTOR_URL)
        vector_auth(nonce, timestamp).sign(request)
        signatures.add(header_fields(request)["oauth_signature"])
    assert len(signatures) == 3


def test_form_body_is_signed_but_json_body_is_not() -> None:
    plain = httpx.Request("POST", "https://a.example/x")
    form = httpx.Request("POST", "https://a.example/x", data={"b": "two words"})
    json_body = httpx.Request("POST", "https://a.example/x", json={"b": "two words"})

    assert request_parameters(plain) == []
    assert request_parameters(form) == [("b", "two words")]
    assert request_parameters(json_body) == []
    for request in (plain, form, json_body):
        vector_auth().sign(request)
    assert header_fields(plain)["oauth_signature"] == header_fields(json_body)["oauth_signature"]
    assert header_fields(plain)["oauth_signature"] != header_fields(form)["oauth_signature"]


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("HTTPS://Example.COM:443/Path/a?x=1", "https://example.com/Path/a"),
        ("http://example.com:80/p", "http://example.com/p"),
        ("https://example.com:8443/p", "https://example.com:8443/p"),
        ("https://example.com", "https://example.com/"),
    ],
)
def test_base_string_uri_follows_rfc_5849(url: str, expected: str) -> None:
    assert base_string_uri(httpx.URL(url)) == expected


def test_parameters_are_rfc3986_encoded_and_sorted_by_name_then_value() -> None:
    assert percent_encode("a b+c~*") == "a%20b%2Bc~%2A"
    assert (
        normalized_parameters([("b", "2"), ("a", "z"), ("a", "y"), ("c d", "é")])
        == "a=y&a=z&b=2&c%20d=%C3%A9"
    )


def test_realm_is_upper_case_with_underscore() -> None:
    assert realm_for("1234567-sb1") == "1234567_SB1"
    request = httpx.Request(
        "GET", "https://1234567-sb1.suitetalk.api.netsuite.com/services/rest/record/v1/vendor"
    )
    OAuth1TBAAuth(
        account_id="1234567-sb1", consumer_key="ck", consumer_secret="cs", token_id="t", token_secret="ts"
    ).sign(request)
    assert header_fields(request)["realm"] == "1234567_SB1"


async def test_every_retry_is_signed_again_with_a_fresh_nonce() -> None:
    nonces = iter(["nonce-one-aaaa", "nonce-two-bbbb", "nonce-three-cc"])
    auth = OAuth1TBAAuth(
        account_id="1234567",
        consumer_key=CONSUMER_KEY,
        consumer_secret=CONSUMER_SECRET,
        token_id=TOKEN_ID,
        token_secret=TOKEN_SECRET,
        clock=lambda: TIMESTAMP,
        nonce=lambda: next(nonces),
    )
    seen: list[dict[str, str]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(header_fields(request))
        return httpx.Response(503 if len(seen) == 1 else 200, json={})

    async def no_sleep(_: float) -> None:
        return None

    client = build_client(
        "https://1234567.restlets.api.netsuite.com",
        auth=auth,
        transport=httpx.MockTransport(handler),
        retry=RetryPolicy(max_attempts=3),
        sleep=no_sleep,
    )
    async with client:
        response = await client.get("/app/site/hosting/restlet.nl", params={"script": "6", "deploy": "1"})

    assert response.status_code == 200
    assert [fields["oauth_nonce"] for fields in seen] == ["nonce-one-aaaa", "nonce-two-bbbb"]
    assert seen[0]["oauth_signature"] != seen[1]["oauth_signature"]
