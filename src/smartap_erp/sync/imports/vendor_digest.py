"""What a vendor page writer computes from each ERP vendor alone, before any database read (issue 17):
the projection SmartAP stores and hashes, the normalised name matching uses, the `synced_hash` (the
text `records.canonical_json` gives, built here for the projection's known keys and plain values:
the same hashes as ever), the address as its JSON column stores it (the text `json.dumps` gives,
built once), and the record's refusal when a value is longer than its column.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table

from smartap_erp.db.models import Vendor
from smartap_erp.domain.models import ERPAddress, ERPVendor
from smartap_erp.domain.results import RecordError
from smartap_erp.sync.imports.bulk import JSONText
from smartap_erp.sync.records import bounded_columns, canonical_json

VENDORS: Table = Vendor.__table__  # type: ignore[assignment]
_NOT_NAME = re.compile(r"[^0-9a-z]+")
_QUOTED_FIELDS = tuple((name, f'"{name}":') for name in sorted(ERPAddress.model_fields))


def normalise_name(name: str) -> str:
    """'ACME  Supplies, Inc.' -> 'acme supplies inc': case, punctuation and spacing ignored."""
    return " ".join(_NOT_NAME.sub(" ", name.casefold()).split())


def erp_projection(vendor: ERPVendor) -> dict[str, Any]:
    address = _address(vendor.address) if vendor.address else None
    return {
        "name": vendor.name,
        "email": vendor.email,
        "phone": vendor.phone,
        "address": address or None,
        "tax_id": vendor.tax_id,
        "payment_terms": vendor.payment_terms,
        "currency": vendor.currency,
        "is_active": vendor.is_active,
    }


def _address(address: ERPAddress) -> dict[str, Any]:
    """`address.model_dump(exclude_none=True)` (its fields are plain strings), without pydantic's
    serialiser: read per record, it was a third of the projection's cost. A pydantic model keeps its
    fields in its `__dict__`, in declaration order (ERPAddress forbids extra fields)."""
    return {name: value for name, value in address.__dict__.items() if value is not None}


@dataclass(slots=True)
class Incoming:
    record: ERPVendor
    projection: dict[str, Any]
    normalized: str
    erp_hash: str
    address_json: JSONText | None  # the address as the JSON column stores it, serialised once


def digest_record(key: str, record: ERPVendor) -> Incoming | RecordError:
    projection = erp_projection(record)
    normalized = normalise_name(record.name)
    bad = _too_long(projection, normalized)
    if bad is not None:
        return bad.model_copy(update={"record_id": key})
    hashed, stored = _address_texts(projection["address"])
    digest = hashlib.sha256(_canonical(projection, hashed).encode()).hexdigest()
    return Incoming(record, projection, normalized, digest, stored)


def _address_texts(address: dict[str, Any] | None) -> tuple[str | None, JSONText | None]:
    """The address's canonical JSON (sorted keys, as `records.canonical_json`) for the hash, and
    `json.dumps(address)`, the text SQLAlchemy's JSON type stores: both built directly for a dict of
    strings keyed by ERPAddress's fields (an address), the reference functions for anything else."""
    if address is None:
        return None, None
    try:  # quoting refuses anything but a str (TypeError)
        stored = ", ".join([f"{_ascii(k)}: {_ascii(v)}" for k, v in address.items()])
        hashed = [f"{quoted}{_quoted(address[k])}" for k, quoted in _QUOTED_FIELDS if k in address]
    except TypeError:
        hashed = []
    if len(hashed) != len(address):  # another key, or a value that is not a string
        return canonical_json(address), JSONText(json.dumps(address))
    return "{" + ",".join(hashed) + "}", JSONText("{" + stored + "}")


_HASHED = tuple((key, f'"{key}":') for key in sorted(erp_projection(ERPVendor(external_id="-", name="-"))))


def _canonical(projection: dict[str, Any], address_json: str | None) -> str:
    """`records.canonical_json(projection)`, the same text (so the same `synced_hash`), built for the
    vendor projection's known keys and plain values without sorting them each time; any other
    value takes the general path."""
    parts = []
    for key, quoted in _HASHED:
        value = projection[key]
        if value is None:
            continue
        if key == "address":
            parts.append(quoted + str.__str__(address_json or ""))
        elif type(value) is str:
            parts.append(quoted + _quoted(value))
        elif value is True or value is False:
            parts.append(quoted + ("true" if value else "false"))
        else:
            return canonical_json(projection)
    return "{" + ",".join(parts) + "}"


_quoted = json.encoder.encode_basestring  # as records.canonical_json quotes strings
_ascii = json.encoder.encode_basestring_ascii  # as json.dumps quotes them (ensure_ascii)
_BOUNDED = tuple((name, length) for name, length in bounded_columns(VENDORS))


def _too_long(projection: dict[str, Any], normalized: str) -> RecordError | None:
    """`records.too_long` of the vendor row (projection and normalised name), without building it."""
    for name, length in _BOUNDED:
        value = normalized if name == "normalized_name" else projection.get(name)
        if isinstance(value, str) and len(value) > length:
            return RecordError(field=name, message=f"{name} is {len(value)} characters; at most {length} fit")
    return None
