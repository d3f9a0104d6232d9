"""Time-ordered row ids (UUID version 7, RFC 9562 §5.7) for the tables an import fills in bulk.

A random (version 4) key lands anywhere in a primary-key B-tree, so every insert touches a random
page: SQLite's index maintenance dominated a first import and grew with the table (issue 17,
docs/performance.md). A version 7 id starts with the 48-bit Unix time in milliseconds, so new rows
append at the right edge of the index. Layout: `unix_ts_ms` (48 bits), version 7 (4), `rand_a` (12),
variant 0b10 (2), `rand_b` (62); the 74 bits after the timestamp are random, drawn from `os.urandom`.
Ids are monotonic in a process (RFC 9562 §6.2, method 2): within one millisecond, or when the clock
steps back, the previous id's 74 bits are incremented by one; a fresh millisecond draws new bits with
the top one clear, so increments cannot overflow in practice (if they would, the timestamp is moved
on by one millisecond, as §6.2 allows). `uuid7s(n)` takes n such ids at once (a page's rows): the same
ids n calls in one millisecond would give, for one clock read and one lock (0.9 -> 0.4 ms for 1,000).

Use these only where an id is a key and nothing more: they reveal when the row was made and are
guessable from a neighbour. Nothing here may be a secret or a sharding key (tokens keep their own
hashed columns; `erp_connections` keeps version 4 ids, see `UUIDPrimaryKey`).
"""

from __future__ import annotations

import os
import threading
import time
import uuid

_VERSION = 0x7 << 76
_VARIANT = 0b10 << 62
_RAND_A = 0xFFF << 62  # where rand_a sits in the 74 random bits (above the 62 of rand_b)
_RAND_B = (1 << 62) - 1
_LIMIT = 1 << 74
_FRESH = (1 << 73) - 1  # a new millisecond's bits keep the top one clear: room to count up

_lock = threading.Lock()
_last_ms = 0
_last_bits = 0
_new = object.__new__
_set = object.__setattr__
_UNKNOWN = uuid.SafeUUID.unknown


def uuid7() -> uuid.UUID:
    """A new version 7 UUID, greater than every one this process made before."""
    global _last_ms, _last_bits
    ms = time.time_ns() // 1_000_000
    with _lock:
        if ms > _last_ms:
            bits = int.from_bytes(os.urandom(10)) & _FRESH
        else:  # same millisecond (or the clock stepped back): count up from the last id
            ms, bits = _last_ms, _last_bits + 1
            if bits >= _LIMIT:
                ms, bits = ms + 1, int.from_bytes(os.urandom(10)) & _FRESH
        _last_ms, _last_bits = ms, bits
    value = (ms & 0xFFFF_FFFF_FFFF) << 80 | _VERSION | (bits & _RAND_A) << 2 | _VARIANT | bits & _RAND_B
    # uuid.UUID(int=...) re-checks the range and version in Python; the value is built valid above
    made = _new(uuid.UUID)
    _set(made, "int", value)
    _set(made, "is_safe", _UNKNOWN)
    return made


def uuid7s(count: int) -> list[uuid.UUID]:
    """`count` new version 7 UUIDs, ascending, as `count` calls of `uuid7` in one millisecond would
    give them (one clock read and one lock for the lot: a page's rows take their ids at once)."""
    global _last_ms, _last_bits
    if count <= 0:
        return []
    ms = time.time_ns() // 1_000_000
    with _lock:
        if ms > _last_ms:
            first = int.from_bytes(os.urandom(10)) & _FRESH
        else:
            ms, first = _last_ms, _last_bits + 1
        if first + count > _LIMIT:  # no room to count up in this millisecond: the next one
            ms, first = ms + 1, int.from_bytes(os.urandom(10)) & _FRESH
        _last_ms, _last_bits = ms, first + count - 1
    stamp = (ms & 0xFFFF_FFFF_FFFF) << 80 | _VERSION | _VARIANT
    made = []
    for bits in range(first, first + count):
        one = _new(uuid.UUID)
        _set(one, "int", stamp | (bits & _RAND_A) << 2 | bits & _RAND_B)
        _set(one, "is_safe", _UNKNOWN)
        made.append(one)
    return made


def uuid7_time(value: uuid.UUID) -> int:
    """The Unix time in milliseconds a version 7 UUID carries."""
    return value.int >> 80
