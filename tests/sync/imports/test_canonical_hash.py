"""The canonical JSON behind `synced_hash` is built without `json.dumps` for plain values (issue 17);
stored hashes must not change, or every mapped record would look changed on both sides after an
upgrade. These tests hold it to the reference text, `json.dumps(plain(value), sort_keys=True, ...)`,
for generated projections of every type a projection holds, and to hashes stored by earlier versions."""

from __future__ import annotations

import datetime as dt
import enum
import json
import uuid
from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from smartap_erp.domain.models import ERPAddress, ERPVendor
from smartap_erp.domain.results import RecordError
from smartap_erp.sync.imports.vendor_digest import erp_projection
from smartap_erp.sync.records import canonical_hash, canonical_json, plain


class Colour(enum.StrEnum):
    RED = "red"


class Level(enum.IntEnum):
    LOW = 1


def reference(value: Any) -> str:
    return json.dumps(plain(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


leaves = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(),  # any code point: controls, quotes, non-ASCII, surrogates
    st.decimals(allow_nan=False, allow_infinity=False),
    st.uuids(),
    st.datetimes(timezones=st.just(dt.UTC)),
    st.dates(),
    st.sampled_from([Colour.RED, Level.LOW]),
)
values = st.recursive(
    leaves,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.lists(inner, max_size=4).map(tuple),
        st.dictionaries(st.one_of(st.text(), st.integers()), inner, max_size=5),
    ),
    max_leaves=20,
)


@settings(max_examples=500, deadline=None)
@given(values)
def test_canonical_json_is_the_reference_text(value: Any) -> None:
    assert canonical_json(value) == reference(value)


def test_none_values_are_left_out_at_every_level_and_keys_are_sorted() -> None:
    projection = {"name": 'Ä "q"\n', "email": None, "address": {"line1": "1", "city": None}, "a": [None]}
    assert canonical_json(projection) == '{"a":[null],"address":{"line1":"1"},"name":"Ä \\"q\\"\\n"}'


def test_hashes_stored_by_earlier_versions_are_unchanged() -> None:
    """Values computed with the previous implementation (json.dumps over `plain`)."""
    vendor = {
        "name": "Vendor 1 Supplies",
        "email": "ap1@vendor1.example",
        "phone": None,
        "address": {"line1": "1 Main St", "city": "Springfield", "country": "US"},
        "tax_id": "TX-00000001",
        "payment_terms": "Net 30",
        "currency": "USD",
        "is_active": True,
    }
    order = {"po_number": "PO-1", "total": Decimal("12.50"), "lines": [{"quantity": Decimal("2.000")}]}
    assert canonical_hash(vendor) == "02a5c4520570dfe398c1c3c3715af2938ee4ad3cd46a480216bfd3407bbe4998"
    assert canonical_hash(order) == "495de30f5d682baa805ebeca972814204fc7302ef2c87f58de32951c0d06e743"
    other = {"id": uuid.UUID(int=1), "on": dt.date(2024, 5, 1)}
    assert canonical_hash(other) == "ed9a56c5afecdc7dc6373e522355b64a2805a384ea79a32fa22b66c9fb65ad58"


addresses = st.builds(
    ERPAddress, **{name: st.one_of(st.none(), st.text(max_size=8)) for name in ERPAddress.model_fields}
)


@settings(max_examples=200, deadline=None)
@given(addresses)
def test_the_vendor_projection_reads_the_address_as_pydantic_dumps_it(address: ERPAddress) -> None:
    """`erp_projection` reads the address's fields itself instead of `model_dump(exclude_none=True)`."""
    vendor = ERPVendor(external_id="1", name="Acme", address=address)
    dumped = address.model_dump(exclude_none=True)
    projected = erp_projection(vendor)["address"]
    assert projected == (dumped or None)
    assert list(projected or {}) == list(dumped)  # same order: stored JSON text is unchanged too


texts = st.one_of(st.none(), st.text(max_size=8))
vendors = st.builds(
    ERPVendor,
    external_id=st.just("1"),
    name=st.text(min_size=1, max_size=12).filter(str.strip),
    email=texts,
    phone=texts,
    address=st.one_of(st.none(), addresses),
    tax_id=texts,
    payment_terms=texts,
    currency=st.one_of(st.none(), st.sampled_from(["EUR", "USD"])),
    is_active=st.booleans(),
)


@settings(max_examples=300, deadline=None)
@given(vendors)
def test_a_page_writer_hashes_and_stores_a_vendor_as_the_reference_does(vendor: ERPVendor) -> None:
    """The vendor page writer builds its hash text and the stored address JSON itself (issue 17): the
    same hash as `canonical_hash` of the projection, the same text as `json.dumps` (SQLAlchemy's JSON)."""
    from smartap_erp.sync.imports.vendor_digest import digest_record

    item = digest_record("1", vendor)
    projection = erp_projection(vendor)
    assert not isinstance(item, RecordError)
    assert item.erp_hash == canonical_hash(projection)
    address = projection["address"]
    assert item.address_json == (None if address is None else json.dumps(address))
    assert item.erp_hash != canonical_hash({**projection, "name": projection["name"] + "x"})


def test_an_address_outside_the_fast_path_takes_the_reference_texts() -> None:
    from smartap_erp.sync.imports.vendor_digest import _address_texts

    for address in ({"city": 7, "line1": "1 Main St"}, {"zone": "Ä", "city": "Lyon"}, {"city": "Lyon"}):
        hashed, stored = _address_texts(address)
        assert (hashed, stored) == (reference(address), json.dumps(address))
