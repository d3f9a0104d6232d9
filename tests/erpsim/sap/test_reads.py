"""Entity-set reads: $filter typing, $select, $orderby, $top/$skip, counts and server-driven paging."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from erpsim.sap.odata import ODataError, normalize_date, parse_filter
from erpsim.sap.schema import ENTITY_SETS

BP = ENTITY_SETS["BusinessPartners"]


async def _all(client: httpx.AsyncClient, url: str, **params: str) -> list[dict[str, Any]]:
    response = await client.get(url, params=params, headers={"Prefer": "odata.maxpagesize=0"})
    assert response.status_code == 200, response.text
    assert response.headers["Preference-Applied"] == "odata.maxpagesize=0"
    return list(response.json()["value"])


async def test_default_page_is_20_with_next_link(client: httpx.AsyncClient) -> None:
    first = (
        await client.get("/b1s/v1/BusinessPartners", params={"$filter": "CardType eq 'cSupplier'"})
    ).json()
    assert len(first["value"]) == 20
    assert first["odata.nextLink"].startswith("/b1s/v1/BusinessPartners?")
    assert "$skip=20" in first["odata.nextLink"]
    codes = [bp["CardCode"] for bp in first["value"]]
    url = first["odata.nextLink"]
    while url:
        page = (await client.get(url)).json()
        codes += [bp["CardCode"] for bp in page["value"]]
        url = page.get("odata.nextLink")
    expected = await _all(client, "/b1s/v1/BusinessPartners", **{"$filter": "CardType eq 'cSupplier'"})
    assert codes == [bp["CardCode"] for bp in expected]
    assert len(codes) == 45 and codes == sorted(codes)


async def test_prefer_maxpagesize_and_v2_relative_next_link(client: httpx.AsyncClient, config: Any) -> None:
    response = await client.get("/b1s/v1/BusinessPartners", headers={"Prefer": "odata.maxpagesize=7"})
    assert len(response.json()["value"]) == 7
    assert response.headers["Preference-Applied"] == "odata.maxpagesize=7"
    from tests.erpsim.sap.conftest import login_body

    await client.post("/b1s/v2/Login", json=login_body(config))
    v2 = (await client.get("/b1s/v2/BusinessPartners", headers={"B1S-PageSize": "5"})).json()
    assert len(v2["value"]) == 5
    assert v2["@odata.nextLink"].startswith("BusinessPartners?")


async def test_top_and_skip_page_within_top(client: httpx.AsyncClient) -> None:
    everything = await _all(client, "/b1s/v1/PurchaseOrders")
    page = (await client.get("/b1s/v1/PurchaseOrders", params={"$top": "25", "$skip": "2"})).json()
    assert [p["DocEntry"] for p in page["value"]] == [p["DocEntry"] for p in everything[2:22]]
    assert "$top=5" in page["odata.nextLink"] and "$skip=22" in page["odata.nextLink"]
    rest = (await client.get(page["odata.nextLink"])).json()
    assert [p["DocEntry"] for p in rest["value"]] == [p["DocEntry"] for p in everything[22:27]]
    assert "odata.nextLink" not in rest


async def test_enum_by_name_or_value_and_select(client: httpx.AsyncClient) -> None:
    by_name = await _all(
        client,
        "/b1s/v1/BusinessPartners",
        **{"$filter": "CardType eq 'cSupplier'", "$select": "CardCode,CardType,Frozen"},
    )
    by_value = await _all(client, "/b1s/v1/BusinessPartners", **{"$filter": "CardType eq 'S'"})
    assert [b["CardCode"] for b in by_name] == [b["CardCode"] for b in by_value]
    assert set(by_name[0]) == {"CardCode", "CardType", "Frozen"}
    assert all(b["CardType"] == "cSupplier" for b in by_name)


async def test_date_literal_forms_and_boolean_logic(client: httpx.AsyncClient) -> None:
    everything = await _all(client, "/b1s/v1/BusinessPartners")
    cutoff = sorted(bp["UpdateDate"] for bp in everything)[len(everything) // 2]
    compact = cutoff.replace("-", "")
    expected = {
        bp["CardCode"] for bp in everything if bp["UpdateDate"] >= cutoff and bp["CardType"] == "cSupplier"
    }
    for literal in (f"'{cutoff}'", f"'{compact}'", f"datetime'{cutoff}T23:59:59'"):
        rows = await _all(
            client,
            "/b1s/v1/BusinessPartners",
            **{"$filter": f"(UpdateDate ge {literal}) and CardType eq 'cSupplier'"},
        )
        assert {bp["CardCode"] for bp in rows} == expected
    either = await _all(client, "/b1s/v1/BusinessPartners", **{"$filter": "Frozen eq 'tYES' or Valid eq 'N'"})
    assert {bp["CardCode"] for bp in either} == {
        bp["CardCode"] for bp in everything if bp["Frozen"] == "tYES" or bp["Valid"] == "tNO"
    }


async def test_orderby_desc_count_and_functions(client: httpx.AsyncClient) -> None:
    rows = await _all(client, "/b1s/v1/PurchaseInvoices", **{"$orderby": "DocTotal desc, DocEntry"})
    totals = [r["DocTotal"] for r in rows]
    assert totals == sorted(totals, reverse=True)
    count = await client.get(
        "/b1s/v1/PurchaseInvoices/$count", params={"$filter": "DocumentStatus eq 'bost_Open'"}
    )
    assert int(count.text) == sum(1 for r in rows if r["DocumentStatus"] == "bost_Open")
    inline = (
        await client.get("/b1s/v1/PurchaseInvoices", params={"$inlinecount": "allpages", "$top": "1"})
    ).json()
    assert inline["odata.count"] == str(len(rows))
    name = rows[0]["CardName"]
    starts = await _all(
        client, "/b1s/v1/BusinessPartners", **{"$filter": f"startswith(CardName, '{name[:4]}')"}
    )
    assert starts and all(bp["CardName"].startswith(name[:4]) for bp in starts)
    lower = await _all(
        client, "/b1s/v1/BusinessPartners", **{"$filter": f"contains(CardName, '{name[:4].lower()}')"}
    )
    insensitive = await client.get(
        "/b1s/v1/BusinessPartners",
        headers={"B1S-CaseInsensitive": "true", "Prefer": "odata.maxpagesize=0"},
        params={"$filter": f"contains(CardName, '{name[:4].lower()}')"},
    )
    assert len(insensitive.json()["value"]) > len(lower)


async def test_single_entity_and_not_found(client: httpx.AsyncClient) -> None:
    bp = await client.get("/b1s/v1/BusinessPartners('V10003')")
    assert bp.status_code == 200
    assert bp.json()["CardCode"] == "V10003"
    assert bp.json()["odata.metadata"].endswith("#BusinessPartners/@Element")
    missing = await client.get("/b1s/v1/PurchaseInvoices(99999)")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == -2028
    unknown = await client.get("/b1s/v1/Vendors")
    assert unknown.status_code == 404
    assert "Vendors" in unknown.json()["error"]["message"]["value"]


@pytest.mark.parametrize(
    "params",
    [
        {"$filter": "Nope eq 1"},
        {"$filter": "CardType eq 'cWrong'"},
        {"$filter": "CardCode eq"},
        {"$filter": "UpdateDate ge 'yesterday'"},
        {"$select": "CardCode,Bogus"},
        {"$orderby": "CardCode sideways"},
        {"$top": "-1"},
        {"$bogus": "1"},
    ],
)
async def test_bad_query_options_are_400_in_envelope(
    client: httpx.AsyncClient, params: dict[str, str]
) -> None:
    response = await client.get("/b1s/v1/BusinessPartners", params=params)
    assert response.status_code == 400
    assert set(response.json()["error"]) == {"code", "message"}


def test_filter_parser_units() -> None:
    pred = parse_filter("not (CardType eq 'C') and (Phone1 ne null or CardCode eq 'it''s')", BP)
    assert pred({"CardType": "cSupplier", "Phone1": "1"})
    assert not pred({"CardType": "cCustomer", "Phone1": "1"})
    assert pred({"CardType": "cSupplier", "Phone1": None, "CardCode": "it's"})
    assert parse_filter("UpdateTime gt '18:38'", BP)({"UpdateTime": "18:38:01"})
    assert parse_filter("substringof('cme', CardName)", BP)({"CardName": "Acme"})
    assert normalize_date("20240501") == "2024-05-01"
    with pytest.raises(ODataError):
        parse_filter("CardCode eq 'x' extra", BP)
